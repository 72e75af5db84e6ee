// Detection by priority scanning against a 1,000-device simulated fleet, beside the polling
// baseline operators would otherwise run, in the same run:
//   1. latency from a device raising (or clearing) an alarm to priscan storing it, and the same
//      alarms on an identical fleet polled by Debian's snmp_exporter, scraped every 15 s by a
//      real Prometheus: detection = the first Prometheus sample showing the change;
//   2. SNMP request packets per alarm, counted at each fleet's devices over the same window;
//   3. a storm: every device raises and sends 10 alert-present notifications at once.
//
//   npm run bench:detection               (about 8 minutes: alarms over 5 minutes)
//   npm run bench:detection -- --quick    (about 2 minutes)
//   options: --devices N (default 1000), --seed N, --no-pin
//
// Processes: the simulated fleets run in a child process (bench/lib/fleet-worker.ts) pinned to
// core 0 with snmp_exporter and Prometheus; the daemon runs in this one, pinned to core 1.
// All traffic stays on loopback: priscan's devices 127.0.60.1+ port 16200, the exporter's
// 127.1.110.1+ port 17000, Prometheus 127.0.0.1:17010, snmp_exporter 127.0.0.1:17011.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '../simulators/devices/device.js';
import { kernelUdpCounters } from '../test/helpers/notifications.js';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { deviceAddress } from '../simulators/fleet.js';
import { DetectionLog, round, summarize, type Summary } from './lib/detection-log.js';
import { FleetLink, hasTaskset, pinSelf } from './lib/fleet-link.js';
import { monotonicMs, type FleetName } from './lib/fleet-protocol.js';
import { metricSum, startMonitor, until, untilRegistered, type Monitor } from './lib/monitors.js';
import { planChanges, playChanges, type PlayedChange } from './lib/plan.js';
import { baselineDetections, wallClockOffset, type BaselineDetection } from './lib/polling-baseline.js';
import { pollingToolsMissing, startPrometheus, startSnmpExporter, type RunningPrometheus, type RunningTool } from './lib/snmp-exporter.js';

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

const FLEETS = {
  priscan: { baseAddress: '127.0.60.1', port: 16200 },
  exporter: { baseAddress: '127.1.110.1', port: 17000 },
} as const;
const PROMETHEUS_LISTEN = '127.0.0.1:17010';
const EXPORTER_LISTEN = '127.0.0.1:17011';
const SAFETY_NET_S = 300;
const SCRAPE_INTERVAL_S = 15;
// Raised on distinct devices at random moments over the window, each held longer than one scrape
// interval so the poller cannot miss an alarm outright; the same changes on both fleets.
const DETECTION = {
  alarm: 'onBattery',
  alarms: Math.min(DEVICES, quick ? 60 : 300),
  raiseWindowMs: quick ? 45_000 : 300_000,
  holdMinMs: (SCRAPE_INTERVAL_S + 1) * 1000,
  holdMaxMs: quick ? 25_000 : 60_000,
};
const STORM = { alarm: 'overload', notificationsPerDevice: 10 };
const codeOf = (alarm: string) => `sim.${SIM_ALARMS[alarm]?.code}`;
type BenchFleet = keyof typeof FLEETS;
// Computed once: the wait loops look addresses up for every change every 20 ms, in the daemon's process.
const ADDRESSES: Record<BenchFleet, string[]> = {
  priscan: Array.from({ length: DEVICES }, (_, i) => deviceAddress(FLEETS.priscan.baseAddress, i)),
  exporter: Array.from({ length: DEVICES }, (_, i) => deviceAddress(FLEETS.exporter.baseAddress, i)),
};
const addresses = (fleet: FleetName) => ADDRESSES[fleet as BenchFleet];
const addressOf = (c: PlayedChange) => addresses(c.fleet)[c.index] as string;

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

interface Baseline {
  prometheus: RunningPrometheus;
  exporter: RunningTool;
}

/** Starts snmp_exporter and Prometheus on the fleet's core, and waits until every target has been scraped. */
async function startBaseline(core: number | undefined): Promise<Baseline> {
  const exporter = await startSnmpExporter({ listen: EXPORTER_LISTEN, core });
  try {
    const targets = addresses('exporter').map((a) => `${a}:${FLEETS.exporter.port}`);
    const prometheus = await startPrometheus({ listen: PROMETHEUS_LISTEN, exporter: EXPORTER_LISTEN, targets, intervalS: SCRAPE_INTERVAL_S, core });
    const allUp = async () => (await prometheus.scalar('count(up{job="snmp"} == 1)')) === DEVICES;
    const deadline = performance.now() + (SCRAPE_INTERVAL_S * 3 + 10) * 1000;
    while (!(await allUp())) {
      if (performance.now() > deadline) {
        await prometheus.stop();
        throw new Error(`Prometheus had not scraped all ${DEVICES} targets successfully within ${SCRAPE_INTERVAL_S * 3 + 10} s`);
      }
      await sleep(500);
    }
    return { prometheus, exporter };
  } catch (error) {
    await exporter.stop();
    throw error;
  }
}

async function measureDetection(link: FleetLink, priscan: Monitor, baseline: Baseline | undefined) {
  // Warm the JIT on both sides with changes of another alarm, so the first samples are not compile time.
  const warmUp = planChanges({ alarm: 'selfTest', alarms: Math.min(DEVICES, 30), raiseWindowMs: 2_000, holdMinMs: 200, holdMaxMs: 500, devices: DEVICES, fleets: ['priscan'] }, random);
  const warmUpLog = new DetectionLog(priscan, (code) => code === codeOf('selfTest'));
  await until(allStored(warmUpLog, await playChanges(link, warmUp), addressOf), 10_000);
  warmUpLog.close();
  await drained(priscan, 10_000);

  const log = new DetectionLog(priscan, (code) => code === codeOf(DETECTION.alarm));
  try {
    const { running } = priscan;
    const snapshot = async () => ({
      counters: (await link.request({ type: 'counters' })).fleets,
      trapScans: await metricSum(running, 'priscan_scans_total', { trigger: 'trap' }),
      periodicScans: await metricSum(running, 'priscan_scans_total', { trigger: 'periodic' }),
      scans: await metricSum(running, 'priscan_scans_total'),
      notification: await notificationToStored(running),
    });
    const fleets: FleetName[] = baseline ? ['priscan', 'exporter'] : ['priscan'];
    const wallOffsetAtStart = wallClockOffset(monotonicMs);
    const windowStartMs = Date.now();
    const startedAt = performance.now();
    const before = await snapshot();
    const plan = planChanges({ ...DETECTION, devices: DEVICES, fleets }, random);
    const played = await playChanges(link, plan);
    const of = (fleet: FleetName) => played.filter((c) => c.fleet === fleet);
    await until(allStored(log, of('priscan'), addressOf), 10_000);
    // The poller sees a change at its next scrape: give every device one full interval after the last change.
    if (baseline) await sleep(SCRAPE_INTERVAL_S * 1000 + 3_000);
    await drained(priscan, 10_000);
    // Both fleets are charged for the same window: from the first change to the last detection.
    const durationS = (performance.now() - startedAt) / 1000;
    const after = await snapshot();
    const wallOffsetMs = round((wallOffsetAtStart + wallClockOffset(monotonicMs)) / 2, 3);
    const packetsOf = (fleet: BenchFleet) => (after.counters[fleet]?.requests ?? NaN) - (before.counters[fleet]?.requests ?? NaN);
    const priscanFigures = latencies(log, of('priscan'), addressOf);
    const scans = after.scans - before.scans;
    const packets = packetsOf('priscan');
    const packetsPerScan = packets / Math.max(1, scans);
    const periodicScans = after.periodicScans - before.periodicScans;
    const notificationsStored = after.notification.count - before.notification.count;
    const priority = {
      ...priscanFigures,
      daemonNotificationToStoredMeanMs: round((1000 * (after.notification.sumS - before.notification.sumS)) / notificationsStored, 3),
      packets,
      packetsPerAlarm: round(packets / DETECTION.alarms, 2),
      scans,
      trapScans: after.trapScans - before.trapScans,
      periodicScans,
      packetsPerScan: round(packetsPerScan, 2),
      // The share of the traffic the alarms caused (their scans), without the safety net's.
      alarmTriggeredPacketsPerAlarm: round((packets - periodicScans * packetsPerScan) / DETECTION.alarms, 2),
      notChanged: of('priscan').filter((c) => !c.changed).length,
      otherEvents: log.unexpected,
    };
    let polling: (BaselineDetection & { packets: number; packetsPerAlarm: number }) | undefined;
    if (baseline) {
      const exporterPackets = packetsOf('exporter');
      const detections = await baselineDetections({
        prometheus: baseline.prometheus,
        played: of('exporter'),
        targetOf: (c) => `${addressOf(c)}:${FLEETS.exporter.port}`,
        code: SIM_ALARMS[DETECTION.alarm]?.code ?? NaN,
        wallOffsetMs,
        windowStartMs,
      });
      polling = { ...detections, packets: exporterPackets, packetsPerAlarm: round(exporterPackets / DETECTION.alarms, 2) };
    }
    return {
      alarms: DETECTION.alarms,
      raiseWindowS: DETECTION.raiseWindowMs / 1000,
      holdS: [DETECTION.holdMinMs / 1000, DETECTION.holdMaxMs / 1000],
      scrapeIntervalS: SCRAPE_INTERVAL_S,
      safetyNetIntervalS: SAFETY_NET_S,
      durationS: round(durationS, 1),
      priority,
      polling,
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

// --- run ---------------------------------------------------------------------------------
// Read before pinning: afterwards this process sees only its own core.
const cores = os.availableParallelism();
// Other work on the host shows in the tail latencies: the load average goes into the result.
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pinned = !args['no-pin'] && cores >= 2 && hasTaskset() && pinSelf(1);
const fleetCore = pinned ? 0 : undefined;
const missingTools = pollingToolsMissing();
const link = FleetLink.spawn(fleetCore);
let priscan: Monitor | undefined;
let baseline: Baseline | undefined;
try {
  const fleetNames: BenchFleet[] = missingTools.length === 0 ? ['priscan', 'exporter'] : ['priscan'];
  const { startupMs } = await link.request({ type: 'start', fleets: fleetNames.map((name) => ({ name, ...FLEETS[name], count: DEVICES })) });
  priscan = await startMonitor({ addresses: addresses('priscan'), port: FLEETS.priscan.port, priorityScanning: true, intervalSeconds: SAFETY_NET_S, random: Math.random });
  const registrationMs = await untilRegistered(priscan, 120_000);
  await drained(priscan, 60_000);
  process.stderr.write(`fleet up in ${startupMs} ms, ${DEVICES} devices registered in ${Math.round(registrationMs)} ms\n`);
  if (missingTools.length > 0) process.stderr.write(`polling baseline NOT RUN: ${missingTools.join(', ')} not installed (apt-get install prometheus prometheus-snmp-exporter)\n`);
  else {
    baseline = await startBaseline(fleetCore);
    process.stderr.write(`snmp_exporter and Prometheus scraping all ${DEVICES} devices every ${SCRAPE_INTERVAL_S} s\n`);
  }
  process.stderr.write(`raising ${DETECTION.alarms} alarms over ${DETECTION.raiseWindowMs / 1000} s (about ${Math.round((DETECTION.raiseWindowMs + DETECTION.holdMaxMs) / 1000 + SCRAPE_INTERVAL_S)} s)\n`);
  const detection = await measureDetection(link, priscan, baseline);
  await baseline?.prometheus.stop();
  await baseline?.exporter.stop();
  baseline = undefined;
  process.stderr.write('measuring the storm\n');
  const storm = await measureStorm(link, priscan);
  const p = detection.priority;
  const q = detection.polling;
  const ratio = (a: number | undefined, b: number | undefined, digits = 1) => (a === undefined || b === undefined ? null : round(a / b, digits));
  const result = {
    name: 'detection',
    quick,
    seed: SEED,
    devices: DEVICES,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    layout: { processes: q ? 4 : 2, fleetInChild: true, pinned, daemonCore: pinned ? 1 : null, fleetCore: fleetCore ?? null, baselineCore: q ? (fleetCore ?? null) : null },
    setup: { fleetStartupMs: startupMs, registrationMs: Math.round(registrationMs) },
    baseline: q ? { tool: 'prometheus-snmp-exporter 0.21 scraped by prometheus 2.42', scrapeIntervalS: SCRAPE_INTERVAL_S } : { notRun: `${missingTools.join(', ')} not installed` },
    detection,
    storm,
    ratios: {
      meanRaiseDetection: ratio(q?.raise.meanMs, p.raise.meanMs, 0),
      meanClearDetection: ratio(q?.clear.meanMs, p.clear.meanMs, 0),
      packetsPerAlarm: ratio(q?.packetsPerAlarm, p.packetsPerAlarm),
      alarmTriggeredPacketsPerAlarm: ratio(q?.packetsPerAlarm, p.alarmTriggeredPacketsPerAlarm),
    },
    goals: {
      meanDetection500xFaster: q ? q.raise.meanMs / p.raise.meanMs >= 500 : null,
      packetsPerAlarm100xFewer: q ? q.packetsPerAlarm / p.packetsPerAlarm >= 100 : null,
      stormUnder2s: storm.allStored && storm.allStoredMs < 2000,
      stormAtMostTwoScansPerDevice: storm.scansPerDeviceMax <= 2,
      stormNoneDropped: storm.notificationsDropped === 0,
      nothingMissed: p.missed === 0 && (q?.missed ?? 0) === 0,
    },
  };

  const row = (label: string, ...cells: Array<string | number | null | undefined>) => console.log(`${label.padEnd(46)}${cells.map((c) => String(c ?? '-').padStart(14)).join(' ')}`);
  const fmt = (s: Summary | undefined) => [s?.count, s?.meanMs, s?.p50Ms, s?.p99Ms, s?.maxMs];
  console.log(`priscan detection, ${DEVICES} simulated devices per fleet (${result.machine.cores} cores, node ${process.version}, ${pinned ? 'daemon on core 1, fleets and baseline on core 0' : 'not pinned'}, load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  row(`1. ${detection.alarms} alarms over ${detection.raiseWindowS} s: change -> detected (ms)`, 'n', 'mean', 'p50', 'p99', 'max');
  row('   priscan, raise -> stored', ...fmt(p.raise));
  row('   priscan, clear -> stored', ...fmt(p.clear));
  row(`   snmp_exporter + Prometheus (${SCRAPE_INTERVAL_S} s), raise`, ...(q ? fmt(q.raise) : ['not run']));
  row(`   snmp_exporter + Prometheus (${SCRAPE_INTERVAL_S} s), clear`, ...(q ? fmt(q.clear) : ['not run']));
  row('   mean raise detection, baseline / priscan', result.ratios.meanRaiseDetection === null ? 'not run' : `x${result.ratios.meanRaiseDetection}`, 'goal x500');
  row('   missed (priscan, baseline)', p.missed, q?.missed);
  row(`2. request packets in ${detection.durationS} s`, 'priscan', 'baseline', 'ratio');
  row('   packets at the devices', p.packets, q?.packets);
  row('   per alarm (raise + clear, safety net incl.)', p.packetsPerAlarm, q?.packetsPerAlarm, result.ratios.packetsPerAlarm === null ? 'not run' : `x${result.ratios.packetsPerAlarm} (goal x100)`);
  row('   per alarm, alarm-triggered scans only', p.alarmTriggeredPacketsPerAlarm, q?.packetsPerAlarm, result.ratios.alarmTriggeredPacketsPerAlarm === null ? '' : `x${result.ratios.alarmTriggeredPacketsPerAlarm}`);
  row('   scans (trap, periodic) / packets per scan', `${p.trapScans}, ${p.periodicScans}`, p.packetsPerScan);
  row('3. storm: 10 notifications from every device', '');
  row('   all alarms stored after (ms)', storm.allStoredMs, 'goal < 2000');
  row('   half of them stored after (ms)', storm.halfStoredMs);
  row('   scans per device (max / mean)', storm.scansPerDeviceMax, storm.scansPerDeviceMean);
  row('   notifications sent / received / dropped', storm.notificationsSent, storm.notificationsReceived, storm.notificationsDropped);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await baseline?.prometheus.stop();
  await baseline?.exporter.stop();
  await priscan?.stop();
  await link.stop();
}
