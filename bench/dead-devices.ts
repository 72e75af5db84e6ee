// Dead and slow devices: with half of a 1,000-device fleet not answering (or answering slowly),
// does the live half's detection stay within 2x of the all-live figure, and the scan queue bounded?
//
//   npm run bench:dead-devices               (about 5 minutes)
//   npm run bench:dead-devices -- --quick    (about 2 minutes)
//   options: --devices N (default 1000), --seed N, --no-pin, --no-slow
//
// One priority-scanning daemon (default config: 32 concurrent scans, 3 s timeout, 1 retry,
// every device's safety net at the 60 s minimum) on a fleet in a child process. The fleet's
// first half is the live half: alarms are raised and cleared there at random. The second
// half sends a steady stream of alert-present notifications from its own addresses in every
// phase (each device about every 10 s), so notification-triggered scans of it compete with
// the live half's. Phases:
//   A  all answer;
//   B  the second half stops answering (the `silent` fault: no answers, notifications still
//      go out), measured from the moment it stops, so its first failing scans, its safety-net
//      scans and its notifications all fall inside the phase;
//   C  the second half answers every request 1 s late (within the 3 s timeout).
// Devices 127.2.0.1+ on port 17100.
import { parseArgs } from 'node:util';
import { seededRandom } from '../simulators/devices/device.js';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { deviceAddress } from '../simulators/fleet.js';
import { DetectionLog, round, summarize, type Summary } from './lib/detection-log.js';
import type { FleetLink } from './lib/fleet-link.js';
import type { DeviceBehaviour } from './lib/fleet-protocol.js';
import { metricSum, until, type Monitor } from './lib/monitors.js';
import { planChanges, playChanges, type PlayedChange } from './lib/plan.js';
import { QueueSampler, type QueueFigures } from './lib/queue-sampler.js';
import { loadNow, startSingleFleet, type SingleFleet } from './lib/single-fleet.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
    'no-slow': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const DEVICES = Number(args.devices);
const SEED = Number(args.seed);
if (!Number.isInteger(DEVICES) || DEVICES < 20 || DEVICES > 5000 || DEVICES % 2 !== 0) throw new Error('--devices must be an even whole number from 20 to 5000');

const PORT = 17100;
const BASE = '127.2.0.1';
const INTERVAL_S = 60;
const LIVE = DEVICES / 2;
const OTHER = { from: LIVE, to: DEVICES };
/** Each device of the other half notifies about every 10 s: a slice of it every 200 ms. */
const BACKGROUND = { everyMs: 200, cycleMs: 10_000 };
const PLAN = { alarm: 'onBattery', alarms: Math.min(LIVE, quick ? 100 : 300), raiseWindowMs: quick ? 20_000 : 60_000, holdMinMs: 500, holdMaxMs: 3_000 };
/** Raises in the first part of phase B fall while the daemon is still finding out that half the fleet is dead. */
const TRANSITION_MS = quick ? 10_000 : 20_000;
const SLOW_MS = 1_000;
/** How long after the last change of a phase its changes may still be stored; later ones count as missed. */
const STORE_TIMEOUT_MS = 120_000;
const code = `sim.${SIM_ALARMS[PLAN.alarm]?.code}`;
const ADDRESSES = Array.from({ length: DEVICES }, (_, i) => deviceAddress(BASE, i));
const random = seededRandom(SEED);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alert-present notifications from the other half, a slice at a time, until stopped. */
function startBackground(link: FleetLink): { stop(): Promise<number> } {
  const count = OTHER.to - OTHER.from;
  const size = Math.ceil(count / (BACKGROUND.cycleMs / BACKGROUND.everyMs));
  const slices = Math.ceil(count / size);
  let next = 0;
  let sent = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const from = OTHER.from + (next++ % slices) * size;
      sent += (await link.request({ type: 'notify', fleet: 'priscan', range: { from, to: Math.min(OTHER.to, from + size) } })).sent;
      await sleep(BACKGROUND.everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

interface PhaseFigures {
  phase: string;
  otherHalf: string;
  alarms: number;
  missed: number;
  /** Device change -> stored, measured across processes on the monotonic clock. */
  raise: Summary;
  clear: Summary;
  /** The daemon's own notification -> stored, for changes stored by a notification-triggered scan. */
  notificationToStored: Summary;
  storedBy: Record<string, number>;
  /** Phase B only: raises in the first TRANSITION_MS (the daemon still finding the dead) and after. */
  transition?: { raise: Summary; notificationToStored: Summary };
  steady?: { raise: Summary; notificationToStored: Summary };
  queue: QueueFigures;
  backgroundNotifications: number;
  unreachableScans: number;
  durationS: number;
}

function figuresOf(log: DetectionLog, played: readonly PlayedChange[], filter: (c: PlayedChange) => boolean = () => true) {
  const raise: number[] = [];
  const clear: number[] = [];
  const daemon: number[] = [];
  const storedBy: Record<string, number> = {};
  let missed = 0;
  for (const change of played.filter(filter)) {
    const stored = log.storedChange(ADDRESSES[change.index] as string, code, change.action, change.changedAt);
    if (!stored) {
      missed++;
      continue;
    }
    (change.action === 'raise' ? raise : clear).push(stored.at - change.changedAt);
    storedBy[stored.trigger] = (storedBy[stored.trigger] ?? 0) + 1;
    if (stored.trigger === 'trap') daemon.push(stored.requestToStoredMs);
  }
  return { raise: summarize(raise), clear: summarize(clear), notificationToStored: summarize(daemon), storedBy, missed };
}

async function runPhase(link: FleetLink, monitor: Monitor, phase: string, otherHalf: string, behaviour: DeviceBehaviour | undefined): Promise<PhaseFigures> {
  process.stderr.write(`phase ${phase}: other half ${otherHalf}\n`);
  const log = new DetectionLog(monitor, (c) => c === code);
  const sampler = new QueueSampler(monitor.running.scheduler);
  const background = startBackground(link);
  const unreachableBefore = await metricSum(monitor.running, 'priscan_scans_total', { result: 'unreachable' });
  const started = performance.now();
  try {
    if (behaviour) await link.request({ type: 'behave', fleet: 'priscan', range: OTHER, behaviour });
    const played = await playChanges(link, planChanges({ ...PLAN, devices: LIVE, fleets: ['priscan'] }, random));
    const allStored = () => played.every((c) => log.storedAt(ADDRESSES[c.index] as string, code, c.action, c.changedAt) !== undefined);
    await until(allStored, STORE_TIMEOUT_MS);
    const backgroundNotifications = await background.stop();
    const result: PhaseFigures = {
      phase,
      otherHalf,
      alarms: PLAN.alarms,
      ...figuresOf(log, played),
      queue: sampler.figures(),
      backgroundNotifications,
      unreachableScans: (await metricSum(monitor.running, 'priscan_scans_total', { result: 'unreachable' })) - unreachableBefore,
      durationS: round((performance.now() - started) / 1000, 1),
    };
    if (phase === 'B') {
      // By the plan's own time: raises planned within TRANSITION_MS of the other half going silent.
      const part = (early: boolean) => {
        const f = figuresOf(log, played, (c) => c.atMs < TRANSITION_MS === early);
        return { raise: f.raise, notificationToStored: f.notificationToStored };
      };
      result.transition = part(true);
      result.steady = part(false);
    }
    return result;
  } finally {
    sampler.stop();
    log.close();
    await background.stop();
  }
}

/** Restores the other half and waits until the daemon has seen every device answer again. */
async function restore(link: FleetLink, monitor: Monitor): Promise<boolean> {
  await link.request({ type: 'behave', fleet: 'priscan', range: OTHER, behaviour: { fault: 'none' } });
  const lost = () => monitor.running.store.alarms.active().some((a) => a.code === 'priscan.communicationLost');
  const background = startBackground(link);
  try {
    return await until(() => !lost(), 120_000);
  } finally {
    await background.stop();
  }
}

// --- run ---------------------------------------------------------------------------------
let bench: SingleFleet | undefined;
try {
  bench = await startSingleFleet({ baseAddress: BASE, port: PORT, devices: DEVICES, intervalSeconds: INTERVAL_S, pin: !args['no-pin'] });
  const { link, monitor, machine, pinned, setup } = bench;
  process.stderr.write(`fleet up in ${setup.fleetStartupMs} ms, ${DEVICES} devices registered in ${setup.registrationMs} ms\n`);
  // Warm the JIT with a few changes of another alarm, so phase A's first samples are not compile time.
  const warmCode = `sim.${SIM_ALARMS.selfTest?.code}`;
  const warmLog = new DetectionLog(monitor, (c) => c === warmCode);
  const warm = await playChanges(link, planChanges({ alarm: 'selfTest', alarms: Math.min(LIVE, 30), raiseWindowMs: 2_000, holdMinMs: 200, holdMaxMs: 500, devices: LIVE, fleets: ['priscan'] }, random));
  await until(() => warm.every((c) => warmLog.storedAt(ADDRESSES[c.index] as string, warmCode, c.action, c.changedAt) !== undefined), 20_000);
  warmLog.close();

  const phases: PhaseFigures[] = [];
  phases.push(await runPhase(link, monitor, 'A', 'answering', undefined));
  phases.push(await runPhase(link, monitor, 'B', 'not answering (silent), still notifying', { fault: 'silent' }));
  const recoveredAfterB = await restore(link, monitor);
  if (!args['no-slow']) {
    phases.push(await runPhase(link, monitor, 'C', `answering ${SLOW_MS} ms late, still notifying`, { fault: 'slow', delayMs: SLOW_MS }));
    await link.request({ type: 'behave', fleet: 'priscan', range: OTHER, behaviour: { fault: 'none' } });
  }
  const [a, b, c] = phases as [PhaseFigures, PhaseFigures, PhaseFigures | undefined];
  const ratio = (x: number, y: number) => round(x / y, 2);
  const ratios = (p: PhaseFigures) => ({
    raiseMean: ratio(p.raise.meanMs, a.raise.meanMs),
    raiseP50: ratio(p.raise.p50Ms, a.raise.p50Ms),
    raiseP99: ratio(p.raise.p99Ms, a.raise.p99Ms),
    notificationToStoredMean: ratio(p.notificationToStored.meanMs, a.notificationToStored.meanMs),
  });
  const result = {
    name: 'dead-devices',
    quick,
    seed: SEED,
    devices: DEVICES,
    config: { concurrency: 32, timeoutMs: 3000, retries: 1, intervalS: INTERVAL_S, slowMs: SLOW_MS },
    machine: { ...machine, loadAverage1m: { ...machine.loadAverage1m, end: loadNow() } },
    layout: { fleetInChild: true, pinned },
    setup,
    phases,
    recoveredAfterB,
    ratios: { deadOverLive: ratios(b), ...(c ? { slowOverLive: ratios(c) } : {}) },
    goals: {
      deadWithin2x: b.missed === 0 && b.raise.meanMs <= 2 * a.raise.meanMs && b.raise.p99Ms <= 2 * a.raise.p99Ms,
      ...(c ? { slowWithin2x: c.missed === 0 && c.raise.meanMs <= 2 * a.raise.meanMs && c.raise.p99Ms <= 2 * a.raise.p99Ms } : {}),
      nothingMissed: phases.every((p) => p.missed === 0),
    },
  };

  const row = (label: string, ...cells: Array<string | number>) => console.log(`${label.padEnd(46)}${cells.map((x) => String(x).padStart(11)).join('')}`);
  const fmt = (s: Summary) => [s.count, s.p50Ms, s.p99Ms, s.maxMs, s.meanMs];
  console.log(`dead and slow devices, ${DEVICES} simulated devices, live half ${LIVE} (${machine.cores} cores, ${pinned ? 'pinned' : 'not pinned'}, load ${machine.loadAverage1m.start} -> ${result.machine.loadAverage1m.end})`);
  row('live half, change -> stored (ms)', 'n', 'p50', 'p99', 'max', 'mean');
  for (const p of phases) {
    row(`${p.phase} raise (other half ${p.otherHalf.split(',')[0]})`, ...fmt(p.raise));
    row(`${p.phase} daemon notification -> stored`, ...fmt(p.notificationToStored));
    if (p.transition && p.steady) {
      row(`${p.phase}   raises in the first ${TRANSITION_MS / 1000} s`, ...fmt(p.transition.raise));
      row(`${p.phase}   raises after`, ...fmt(p.steady.raise));
    }
    row(`${p.phase} changes not stored within ${STORE_TIMEOUT_MS / 1000} s`, p.missed);
    row(`${p.phase} queue: max queued / max running / end`, p.queue.maxQueued, p.queue.maxRunning, p.queue.endQueued);
  }
  row('B/A raise mean, p99', result.ratios.deadOverLive.raiseMean, result.ratios.deadOverLive.raiseP99);
  if (result.ratios.slowOverLive) row('C/A raise mean, p99', result.ratios.slowOverLive.raiseMean, result.ratios.slowOverLive.raiseP99);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await bench?.stop();
}
