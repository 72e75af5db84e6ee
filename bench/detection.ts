// Detection by priority scanning against a 1,000-device simulated fleet:
//   1. latency from a device raising (or clearing) an alarm to priscan storing it;
//   2. a storm: every device raises and sends 10 alert-present notifications at once;
//   3. the same detection by a plain 15 s poller, in the same run, for comparison.
//
//   npm run bench:detection               (about 2.5 minutes)
//   npm run bench:detection -- --quick    (about 1 minute)
//   options: --devices N (default 1000), --seed N, --no-pin
//
// Two processes: the simulated fleets run in a child process (bench/lib/fleet-worker.ts),
// the daemons in this one, each pinned to its own core when taskset exists. All traffic
// stays on loopback (devices 127.0.60.1+ and 127.0.64.1+, port 16200).
import os from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '../simulators/devices/device.js';
import { kernelUdpCounters } from '../test/helpers/notifications.js';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { deviceAddress } from '../simulators/fleet.js';
import { DetectionLog, round, summarize, type Summary } from './lib/detection-log.js';
import { FleetLink, hasTaskset, pinSelf } from './lib/fleet-link.js';
import type { FleetName } from './lib/fleet-protocol.js';
import { evenStagger, metricSum, startMonitor, until, untilRegistered, type Monitor } from './lib/monitors.js';
import { planChanges, playChanges, type PlayedChange } from './lib/plan.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const DEVICES = Number(args.devices);
const SEED = Number(args.seed);
if (!Number.isInteger(DEVICES) || DEVICES < 10 || DEVICES > 5000) throw new Error('--devices must be a whole number from 10 to 5000');
if (!Number.isInteger(SEED)) throw new Error('--seed must be a whole number');

const PORT = 16200;
const BASE: Record<FleetName, string> = { priscan: '127.0.60.1', polled: '127.0.64.1' };
const SAFETY_NET_S = 300;
const POLL_INTERVAL_S = 15;
const LATENCY = { alarm: 'onBattery', alarms: Math.min(DEVICES, quick ? 100 : 300), raiseWindowMs: quick ? 10_000 : 30_000, holdMinMs: 500, holdMaxMs: 3_000 };
const STORM = { alarm: 'overload', notificationsPerDevice: 10 };
// Holds longer than one poll interval, so the poller cannot miss an alarm outright.
const COMPARISON = { alarm: 'fanFailure', alarms: Math.min(DEVICES, quick ? 20 : 60), raiseWindowMs: quick ? 15_000 : 60_000, holdMinMs: 16_000, holdMaxMs: quick ? 20_000 : 30_000 };
const codeOf = (alarm: string) => `sim.${SIM_ALARMS[alarm]?.code}`;
// Computed once: the wait loops look addresses up for every change every 20 ms, in the daemon's process.
const ADDRESSES: Record<FleetName, string[]> = {
  priscan: Array.from({ length: DEVICES }, (_, i) => deviceAddress(BASE.priscan, i)),
  polled: Array.from({ length: DEVICES }, (_, i) => deviceAddress(BASE.polled, i)),
};
const addresses = (fleet: FleetName) => ADDRESSES[fleet];

const random = seededRandom(SEED);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kernel UDP counters (all sockets on the host): a storm that overflows a receive buffer shows here. */
function kernelUdp(): { inErrors: number; rcvbufErrors: number } {
  return kernelUdpCounters() ?? { inErrors: NaN, rcvbufErrors: NaN };
}

async function drained(monitor: Monitor, timeoutMs: number): Promise<boolean> {
  const scheduler = monitor.running.scheduler;
  return until(() => scheduler.queued + scheduler.running === 0, timeoutMs);
}

/** Latency of each played change to the time `log` stored it; missing ones are counted, not guessed. */
function latencies(log: DetectionLog, played: readonly PlayedChange[], addressOf: (c: PlayedChange) => string) {
  const byAction = { raise: [] as number[], clear: [] as number[] };
  let missed = 0;
  for (const change of played) {
    const stored = log.storedAt(addressOf(change), codeOf(change.alarm), change.action, change.changedAt);
    if (stored === undefined) missed++;
    else byAction[change.action].push(stored - change.changedAt);
  }
  return { raise: summarize(byAction.raise), clear: summarize(byAction.clear), all: summarize([...byAction.raise, ...byAction.clear]), missed };
}

const allStored = (log: DetectionLog, played: readonly PlayedChange[], addressOf: (c: PlayedChange) => string) => () =>
  played.every((c) => log.storedAt(addressOf(c), codeOf(c.alarm), c.action, c.changedAt) !== undefined);

/** The daemon's own view: mean time from a notification arriving to its scan being stored (ms resolution). */
async function notificationToStored(running: Monitor['running']) {
  const metric = 'priscan_notification_to_stored_seconds';
  return { sumS: await metricSum(running, metric, {}, 'sum'), count: await metricSum(running, metric, {}, 'count') };
}

async function measureLatency(link: FleetLink, priscan: Monitor) {
  const address = (c: PlayedChange) => addresses(c.fleet)[c.index] as string;
  // Warm the JIT on both sides with changes of another alarm, so the first samples are not compile time.
  const warmUp = planChanges({ alarm: 'selfTest', alarms: Math.min(DEVICES, 30), raiseWindowMs: 2_000, holdMinMs: 200, holdMaxMs: 500, devices: DEVICES, fleets: ['priscan'] }, random);
  const warmUpLog = new DetectionLog(priscan, (code) => code === codeOf('selfTest'));
  await until(allStored(warmUpLog, await playChanges(link, warmUp), address), 10_000);
  warmUpLog.close();
  await drained(priscan, 10_000);

  const log = new DetectionLog(priscan, (code) => code === codeOf(LATENCY.alarm));
  try {
    const daemonBefore = await notificationToStored(priscan.running);
    const plan = planChanges({ ...LATENCY, devices: DEVICES, fleets: ['priscan'] }, random);
    const played = await playChanges(link, plan);
    await until(allStored(log, played, address), 10_000);
    await drained(priscan, 10_000);
    const daemonAfter = await notificationToStored(priscan.running);
    const daemonMeanMs = round((1000 * (daemonAfter.sumS - daemonBefore.sumS)) / (daemonAfter.count - daemonBefore.count), 3);
    return {
      alarms: LATENCY.alarms,
      windowS: LATENCY.raiseWindowMs / 1000,
      notChanged: played.filter((c) => !c.changed).length,
      ...latencies(log, played, address),
      daemonNotificationToStoredMeanMs: daemonMeanMs,
      otherEvents: log.unexpected,
    };
  } finally {
    log.close();
  }
}

async function measureStorm(link: FleetLink, priscan: Monitor) {
  const { running } = priscan;
  const code = codeOf(STORM.alarm);
  const log = new DetectionLog(priscan, (c) => c === code);
  const devices = addresses('priscan');
  try {
    const scansBefore = new Map(priscan.scansByAddress);
    const receivedBefore = await metricSum(running, 'priscan_notifications_received_total');
    const acceptedBefore = await metricSum(running, 'priscan_notifications_received_total', { result: 'accepted' });
    const trapScansBefore = await metricSum(running, 'priscan_scans_total', { trigger: 'trap' });
    const otherScansBefore = (await metricSum(running, 'priscan_scans_total')) - trapScansBefore;
    const udpBefore = kernelUdp();

    const storm = await link.request({ type: 'storm', fleet: 'priscan', alarm: STORM.alarm, extraNotifications: STORM.notificationsPerDevice - 1 });
    const stored = await until(() => devices.every((a) => log.storedAt(a, code, 'raise', storm.startedAt) !== undefined), 30_000);
    const storedAfter = devices.map((a) => (log.storedAt(a, code, 'raise', storm.startedAt) ?? NaN) - storm.startedAt);
    await drained(priscan, 30_000);
    // Datagrams still in the socket buffer would be counted late: wait until the intake is quiet.
    let received = await metricSum(running, 'priscan_notifications_received_total');
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      const now = await metricSum(running, 'priscan_notifications_received_total');
      if (now === received) break;
      received = now;
    }
    await drained(priscan, 30_000);
    const udpAfter = kernelUdp();
    const scans = devices.map((a) => (priscan.scansByAddress.get(a) ?? 0) - (scansBefore.get(a) ?? 0));
    const trapScans = (await metricSum(running, 'priscan_scans_total', { trigger: 'trap' })) - trapScansBefore;
    const result = {
      devices: devices.length,
      notificationsSent: storm.notificationsSent,
      sendMs: round(storm.finishedAt - storm.startedAt),
      allStored: stored,
      allStoredMs: round(Math.max(...storedAfter)),
      halfStoredMs: summarize(storedAfter).p50Ms,
      raisesStored: devices.filter((a) => log.count(a, code, 'raise', storm.startedAt) > 0).length,
      scansPerDeviceMax: Math.max(...scans),
      scansPerDeviceMean: round(scans.reduce((t, n) => t + n, 0) / scans.length, 3),
      devicesScannedTwice: scans.filter((n) => n === 2).length,
      trapScans,
      otherScans: (await metricSum(running, 'priscan_scans_total')) - trapScans - trapScansBefore - otherScansBefore,
      notificationsReceived: received - receivedBefore,
      notificationsAccepted: (await metricSum(running, 'priscan_notifications_received_total', { result: 'accepted' })) - acceptedBefore,
      notificationsDropped: storm.notificationsSent - (received - receivedBefore),
      kernelUdpRcvbufErrors: udpAfter.rcvbufErrors - udpBefore.rcvbufErrors,
      intakeReceiveBufferBytes: running.intake.receiveBufferSize,
    };
    // Leave the fleet clean for the comparison: clear every storm alarm and wait until stored.
    const clearedAt = performance.now();
    const { cleared } = await link.request({ type: 'clear-all', fleet: 'priscan', alarm: STORM.alarm });
    const clearsStored = await until(() => devices.every((a) => log.count(a, code, 'clear', storm.startedAt) > 0), 30_000);
    await drained(priscan, 30_000);
    return { ...result, clearStormDevices: cleared, clearStormStored: clearsStored, clearStormMs: Math.round(performance.now() - clearedAt) };
  } finally {
    log.close();
  }
}

interface MethodFigures {
  detection: { raise: Summary; clear: Summary };
  missed: number;
  packets: number;
  packetsPerAlarm: number;
  scans: number;
  /** The daemon's own priscan_snmp_requests_total over the same interval, to compare with `packets`. */
  requestsMetric: number;
}

async function compareWithPolling(link: FleetLink, priscan: Monitor) {
  const poller = await startMonitor({ addresses: addresses('polled'), port: PORT, priorityScanning: false, intervalSeconds: POLL_INTERVAL_S, random: evenStagger(DEVICES) });
  const code = codeOf(COMPARISON.alarm);
  const logs = { priscan: new DetectionLog(priscan, (c) => c === code), polled: new DetectionLog(poller, (c) => c === code) };
  try {
    const scansOf = async (m: Monitor) => metricSum(m.running, 'priscan_scans_total');
    const requestsOf = async (m: Monitor) => metricSum(m.running, 'priscan_snmp_requests_total');
    const snapshot = async () => ({
      counters: (await link.request({ type: 'counters' })).fleets,
      priscanScans: await scansOf(priscan),
      polledScans: await scansOf(poller),
      priscanRequestsMetric: await requestsOf(priscan),
      polledRequestsMetric: await requestsOf(poller),
    });
    const startedAt = performance.now();
    const before = await snapshot();
    const plan = planChanges({ ...COMPARISON, devices: DEVICES, fleets: ['priscan', 'polled'] }, random);
    const played = await playChanges(link, plan);
    const address = (c: PlayedChange) => addresses(c.fleet)[c.index] as string;
    const of = (fleet: FleetName) => played.filter((c) => c.fleet === fleet);
    await until(() => allStored(logs.priscan, of('priscan'), address)() && allStored(logs.polled, of('polled'), address)(), (POLL_INTERVAL_S + 10) * 1000);
    // Both methods are charged for the same interval: from the first raise to the last detection.
    const durationS = (performance.now() - startedAt) / 1000;
    const after = await snapshot();
    const figures = (fleet: FleetName, scans: number, requestsMetric: number): MethodFigures => {
      const l = latencies(logs[fleet], of(fleet), address);
      // Counted where they arrive: the packets each fleet's devices answered.
      const packets = (after.counters[fleet]?.requests ?? NaN) - (before.counters[fleet]?.requests ?? NaN);
      return { detection: { raise: l.raise, clear: l.clear }, missed: l.missed, packets, packetsPerAlarm: round(packets / COMPARISON.alarms, 1), scans, requestsMetric };
    };
    const priority = figures('priscan', after.priscanScans - before.priscanScans, after.priscanRequestsMetric - before.priscanRequestsMetric);
    const polling = figures('polled', after.polledScans - before.polledScans, after.polledRequestsMetric - before.polledRequestsMetric);
    // The window is shorter than one 5-minute safety-net round, so add that round's steady-state share.
    const packetsPerScan = priority.packets / Math.max(1, priority.scans);
    const safetyNetPackets = Math.round((DEVICES * durationS * packetsPerScan) / SAFETY_NET_S);
    return {
      alarms: COMPARISON.alarms,
      raiseWindowS: COMPARISON.raiseWindowMs / 1000,
      holdS: [COMPARISON.holdMinMs / 1000, COMPARISON.holdMaxMs / 1000],
      pollIntervalS: POLL_INTERVAL_S,
      durationS: round(durationS, 1),
      priority: { ...priority, safetyNetPackets, packetsPerAlarmWithSafetyNet: round((priority.packets + safetyNetPackets) / COMPARISON.alarms, 1) },
      polling,
    };
  } finally {
    logs.priscan.close();
    logs.polled.close();
    await poller.stop();
  }
}

// --- run ---------------------------------------------------------------------------------
// Read before pinning: afterwards this process sees only its own core.
const cores = os.availableParallelism();
// Other work on the host shows in the tail latencies: the load average goes into the result.
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pinned = !args['no-pin'] && cores >= 2 && hasTaskset() && pinSelf(1);
const link = FleetLink.spawn(pinned ? 0 : undefined);
let priscan: Monitor | undefined;
try {
  const fleets = (['priscan', 'polled'] as const).map((name) => ({ name, baseAddress: BASE[name], port: PORT, count: DEVICES }));
  const { startupMs } = await link.request({ type: 'start', fleets });
  priscan = await startMonitor({ addresses: addresses('priscan'), port: PORT, priorityScanning: true, intervalSeconds: SAFETY_NET_S, random: Math.random });
  const registrationMs = await untilRegistered(priscan, 120_000);
  await drained(priscan, 60_000);
  process.stderr.write(`fleet up in ${startupMs} ms, ${DEVICES} devices registered in ${Math.round(registrationMs)} ms; measuring latency\n`);
  const latency = await measureLatency(link, priscan);
  process.stderr.write('measuring the storm\n');
  const storm = await measureStorm(link, priscan);
  process.stderr.write(`comparing with a ${POLL_INTERVAL_S} s poller (about ${Math.round((COMPARISON.raiseWindowMs + COMPARISON.holdMaxMs) / 1000 + POLL_INTERVAL_S)} s)\n`);
  const comparison = await compareWithPolling(link, priscan);
  const p = comparison.priority;
  const q = comparison.polling;
  const result = {
    name: 'detection',
    quick,
    seed: SEED,
    devices: DEVICES,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    layout: { processes: 2, fleetInChild: true, pinned, daemonCore: pinned ? 1 : null, fleetCore: pinned ? 0 : null },
    setup: { fleetStartupMs: startupMs, registrationMs: Math.round(registrationMs) },
    latency,
    storm,
    comparison,
    ratios: {
      meanRaiseDetection: round(q.detection.raise.meanMs / p.detection.raise.meanMs, 0),
      packetsPerAlarm: round(q.packetsPerAlarm / p.packetsPerAlarm, 1),
      packetsPerAlarmWithSafetyNet: round(q.packetsPerAlarm / p.packetsPerAlarmWithSafetyNet, 1),
    },
    goals: {
      latencyP99Under25ms: latency.raise.p99Ms < 25,
      stormUnder2s: storm.allStored && storm.allStoredMs < 2000,
      stormAtMostTwoScansPerDevice: storm.scansPerDeviceMax <= 2,
      stormNoneDropped: storm.notificationsDropped === 0,
      nothingMissed: latency.missed === 0 && p.missed === 0 && q.missed === 0,
    },
  };

  const row = (label: string, ...cells: Array<string | number>) => console.log(`${label.padEnd(44)}${cells.map((c) => String(c).padStart(14)).join('')}`);
  const fmt = (s: Summary) => [s.count, s.p50Ms, s.p99Ms, s.maxMs];
  console.log(`priscan detection, ${DEVICES} simulated devices (${result.machine.cores} cores, node ${process.version}, ${pinned ? 'daemon and fleet pinned to cores 1 and 0' : 'not pinned'}, load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  row('1. latency, device change -> stored (ms)', 'n', 'p50', 'p99', 'max');
  row('   raise', ...fmt(latency.raise));
  row('   clear', ...fmt(latency.clear));
  row('   mean, notification in -> stored (daemon)', latency.daemonNotificationToStoredMeanMs);
  row('2. storm: 10 notifications from every device', '');
  row('   all alarms stored after (ms)', storm.allStoredMs);
  row('   half of them stored after (ms)', storm.halfStoredMs);
  row('   scans per device (max / mean)', storm.scansPerDeviceMax, storm.scansPerDeviceMean);
  row('   notifications sent / received / dropped', storm.notificationsSent, storm.notificationsReceived, storm.notificationsDropped);
  row(`3. same alarms (${comparison.alarms}), ${comparison.durationS} s`, 'priority', `poll ${POLL_INTERVAL_S} s`, 'ratio');
  row('   mean detection, raise (ms)', p.detection.raise.meanMs, q.detection.raise.meanMs, `x${result.ratios.meanRaiseDetection}`);
  row('   mean detection, clear (ms)', p.detection.clear.meanMs, q.detection.clear.meanMs, `x${round(q.detection.clear.meanMs / p.detection.clear.meanMs, 0)}`);
  row('   max detection, raise (ms)', p.detection.raise.maxMs, q.detection.raise.maxMs);
  row('   request packets per alarm (raise+clear)', p.packetsPerAlarm, q.packetsPerAlarm, `x${result.ratios.packetsPerAlarm}`);
  row('   ... with the 5-min safety net (steady)', p.packetsPerAlarmWithSafetyNet, q.packetsPerAlarm, `x${result.ratios.packetsPerAlarmWithSafetyNet}`);
  row('   missed', p.missed, q.missed);
  row('   (daemon metric priscan_snmp_requests_total)', p.requestsMetric, q.requestsMetric);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await priscan?.stop();
  await link.stop();
}
