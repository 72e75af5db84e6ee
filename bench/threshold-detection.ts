// How fast a threshold violation is stored, found two ways, in one run:
//   (a) by a notification-triggered scan: a NetBotz's inlet temperature goes to 30.0 °C (over the
//       profile's default 27 °C warning) and the device sends its alert-present notification;
//   (b) by a faster cadence and no notification at all: the same change on devices of a site
//       whose temperature threshold asks for a 10 s cadence (the minimum), found by their next
//       periodic scan. Beside it, the default 300 s safety net, which is not waited for: the same
//       delay stated analytically and played on the daemon's own scheduler with a fake clock (the
//       model is checked against the measured 10 s cadence, played the same way).
// Both measure the time from the simulator serving the new value to the threshold alarm's event
// on the daemon's alarm bus (published once its transaction committed), raise and clear.
//
//   npm run bench:thresholds               (about 2 minutes)
//   npm run bench:thresholds -- --quick    (under a minute)
//   options: --seed N, --no-pin
//
// One daemon (in this process, core 1) on a NetBotz fleet in a child process (core 0): devices
// 127.0.246.1+ port 17232; the first ones for (a), the rest, on site `fast-cadence`, for (b).
import { parseArgs } from 'node:util';
import { thresholdCode } from '../src/thresholds/evaluate.js';
import { seededRandom } from '../simulators/devices/device.js';
import { analyticDelay, simulatedDelays, type DelayFigures } from './lib/cadence-model.js';
import { DetectionLog, round, summarize, type Summary } from './lib/detection-log.js';
import type { FleetLink } from './lib/fleet-link.js';
import { until } from './lib/monitors.js';
import { planChanges, playChanges, type MakeChange, type PlannedChange, type PlayedChange } from './lib/plan.js';
import { loadNow, startSingleFleet, type SingleFleet } from './lib/single-fleet.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const SEED = Number(args.seed);
if (!Number.isInteger(SEED)) throw new Error('--seed must be a whole number');

const BASE = '127.0.246.1';
const PORT = 17232;
const SAFETY_NET_S = 300;
const CADENCE_S = 10;
const SITE = 'fast-cadence';
/** NetBotz tempSensorValue is in 0.1 °C: 30.0 °C, over the default 27 °C warning and under the 32 °C critical. */
const READING = { name: 'tempSensorValue', violating: 300 };
const CODE = thresholdCode('temperature', 'above');
/** Each violation on its own device at a random moment of the window, cleared after a hold. */
const TRAP = { devices: quick ? 30 : 100, raiseWindowMs: quick ? 10_000 : 60_000, holdMinMs: 2_000, holdMaxMs: 5_000 };
const CADENCE = { devices: quick ? 40 : 200, raiseWindowMs: quick ? 10_000 : 60_000, holdMinMs: (CADENCE_S + 2) * 1000, holdMaxMs: (CADENCE_S + 8) * 1000 };
const MODEL = { devices: 1000, violations: 20_000 };

const random = seededRandom(SEED);

/** One reading change per planned change: raise serves the violating value, clear gives the device its own back. */
const readingChange =
  (link: FleetLink, notify: boolean, offset: number): MakeChange =>
  (c) =>
    link.request({ type: 'set-reading', fleet: c.fleet, index: c.index + offset, reading: READING.name, value: c.action === 'raise' ? READING.violating : null, notify });

function plan(shape: typeof TRAP): PlannedChange[] {
  return planChanges({ ...shape, alarm: READING.name, alarms: shape.devices, devices: shape.devices, fleets: ['priscan'] }, random);
}

/** Change -> stored per action, and what triggered the scans that stored them; missing ones counted, not guessed. */
function figures(log: DetectionLog, played: readonly PlayedChange[], addressOf: (c: PlayedChange) => string) {
  const ms = { raise: [] as number[], clear: [] as number[] };
  const triggers: Record<string, number> = {};
  let missed = 0;
  for (const change of played) {
    const stored = log.storedChange(addressOf(change), CODE, change.action, change.changedAt);
    if (!stored) {
      missed++;
      continue;
    }
    ms[change.action].push(stored.at - change.changedAt);
    triggers[stored.trigger] = (triggers[stored.trigger] ?? 0) + 1;
  }
  return { raise: summarize(ms.raise), clear: summarize(ms.clear), triggers, missed, notChanged: played.filter((c) => !c.changed).length };
}

const inSeconds = (s: Summary): DelayFigures => ({ meanS: round(s.meanMs / 1000, 3), p50S: round(s.p50Ms / 1000, 3), p99S: round(s.p99Ms / 1000, 3), maxS: round(s.maxMs / 1000, 3) });
const rounded = (f: DelayFigures): DelayFigures => ({ meanS: round(f.meanS, 3), p50S: round(f.p50S, 3), p99S: round(f.p99S, 3), maxS: round(f.maxS, 3) });

async function model(intervalS: number) {
  const delays = await simulatedDelays({ intervalS, devices: MODEL.devices, violations: MODEL.violations, seed: SEED });
  return { intervalS, analytic: rounded(analyticDelay(intervalS)), fakeClock: inSeconds(summarize(delays.map((d) => d * 1000))), samples: delays.length };
}

let fleet: SingleFleet | undefined;
try {
  fleet = await startSingleFleet({
    baseAddress: BASE,
    port: PORT,
    devices: TRAP.devices + CADENCE.devices,
    intervalSeconds: SAFETY_NET_S,
    pin: !args['no-pin'],
    kind: 'netbotz',
    monitor: {
      profile: 'netbotz',
      siteOf: (i) => (i >= TRAP.devices ? SITE : null),
      // As an operator writes it: the default warning kept, its devices read every 10 s.
      thresholds: [{ site: SITE, reading: 'temperature', level: 'warning', above: 27, intervalSeconds: CADENCE_S }],
    },
  });
  const { link, monitor, addresses } = fleet;
  const running = monitor.running;
  const cadences = running.store.devices.list().map((d) => running.thresholds.intervalSecondsFor(d) ?? d.intervalSeconds);
  const cadenceOf = { trap: [...new Set(cadences.slice(0, TRAP.devices))], cadence: [...new Set(cadences.slice(TRAP.devices))] };
  const drained = () => until(() => running.scheduler.queued + running.scheduler.running === 0, 30_000);
  await drained();

  // JIT warm-up on the notification path, on the (a) devices: raises and clears not measured.
  const warmLog = new DetectionLog(monitor, (code) => code === CODE);
  const warm = await playChanges(link, plan({ ...TRAP, raiseWindowMs: 1_000, holdMinMs: 200, holdMaxMs: 500 }), readingChange(link, true, 0));
  await until(() => warm.every((c) => warmLog.storedAt(addresses[c.index]!, CODE, c.action, c.changedAt) !== undefined), 10_000);
  warmLog.close();
  await drained();

  const log = new DetectionLog(monitor, (code) => code === CODE);
  const loadAtWindow = loadNow();
  process.stderr.write(`${TRAP.devices} violations with a notification and ${CADENCE.devices} without (cadence ${CADENCE_S} s), over ${CADENCE.raiseWindowMs / 1000} s\n`);
  const trapAddress = (c: PlayedChange) => addresses[c.index]!;
  const cadenceAddress = (c: PlayedChange) => addresses[c.index + TRAP.devices]!;
  const [trapPlayed, cadencePlayed] = await Promise.all([
    playChanges(link, plan(TRAP), readingChange(link, true, 0)),
    playChanges(link, plan(CADENCE), readingChange(link, false, TRAP.devices)),
  ]);
  const stored = (played: readonly PlayedChange[], addressOf: (c: PlayedChange) => string) => () => played.every((c) => log.storedAt(addressOf(c), CODE, c.action, c.changedAt) !== undefined);
  await until(stored(trapPlayed, trapAddress), 10_000);
  // A change the cadence finds is stored within one interval; a little more for a busy machine.
  await until(stored(cadencePlayed, cadenceAddress), (CADENCE_S + 10) * 1000);
  const trap = figures(log, trapPlayed, trapAddress);
  const cadence = figures(log, cadencePlayed, cadenceAddress);
  log.close();

  process.stderr.write('the same delays on the scheduler with a fake clock\n');
  const [model10, model300] = [await model(CADENCE_S), await model(SAFETY_NET_S)];
  const measured10 = inSeconds(cadence.raise);
  const result = {
    name: 'threshold-detection',
    quick,
    seed: SEED,
    reading: { profile: 'netbotz', reading: 'temperature', raw: READING, threshold: 'default warning above 27 °C (hysteresis 1)' },
    machine: { ...fleet.machine, loadAverage1m: { start: fleet.machine.loadAverage1m.start, window: loadAtWindow, end: loadNow() } },
    layout: { pinned: fleet.pinned, daemonCore: fleet.pinned ? 1 : null, fleetCore: fleet.pinned ? 0 : null },
    setup: { ...fleet.setup, devices: TRAP.devices + CADENCE.devices, scanIntervalS: cadenceOf },
    trapTriggered: { devices: TRAP.devices, raiseWindowS: TRAP.raiseWindowMs / 1000, ...trap },
    fastCadence: { devices: CADENCE.devices, cadenceS: CADENCE_S, raiseWindowS: CADENCE.raiseWindowMs / 1000, ...cadence },
    safetyNet: { ...model300, note: 'not waited for: analytic, and the daemon scheduler on a fake clock' },
    cadenceModel: model10,
    ratios: {
      // How much sooner the cadence finds it than the safety net would (medians).
      safetyNetOverCadenceP50: round(model300.fakeClock.p50S / measured10.p50S, 1),
      safetyNetOverCadenceP99: round(model300.fakeClock.p99S / measured10.p99S, 1),
      // How much sooner a notification finds it than the cadence does.
      cadenceOverTrapP50: round(cadence.raise.p50Ms / trap.raise.p50Ms, 0),
      // The model against the measurement at the same 10 s: near 1 when the model holds.
      measuredOverModel10P50: round(measured10.p50S / model10.fakeClock.p50S, 2),
    },
    goals: { nothingMissed: trap.missed === 0 && cadence.missed === 0, trapFoundByTrapScans: (trap.triggers.trap ?? 0) === trapPlayed.length },
  };

  const row = (label: string, ...cells: Array<string | number | undefined>) => console.log(`${label.padEnd(52)}${cells.map((c) => String(c ?? '-').padStart(11)).join(' ')}`);
  const ms = (s: Summary) => [s.count, s.meanMs, s.p50Ms, s.p99Ms, s.maxMs];
  const sec = (f: DelayFigures) => ['', f.meanS, f.p50S, f.p99S, f.maxS];
  console.log(`threshold violation (NetBotz temperature 21.5 -> 30.0 °C, default warning 27 °C) -> stored (load ${result.machine.loadAverage1m.start} -> ${result.machine.loadAverage1m.end})`);
  row('(a) with a notification, ms', 'n', 'mean', 'p50', 'p99', 'max');
  row('    raise -> stored', ...ms(trap.raise));
  row('    clear -> stored', ...ms(trap.clear));
  row(`(b) no notification, ${CADENCE_S} s cadence, ms`, 'n', 'mean', 'p50', 'p99', 'max');
  row('    raise -> stored', ...ms(cadence.raise));
  row('    clear -> stored', ...ms(cadence.clear));
  row('next periodic scan, s', '', 'mean', 'p50', 'p99', 'max');
  row(`    ${CADENCE_S} s cadence: analytic`, ...sec(model10.analytic));
  row(`    ${CADENCE_S} s cadence: scheduler, fake clock`, ...sec(model10.fakeClock));
  row(`    ${SAFETY_NET_S} s safety net: analytic`, ...sec(model300.analytic));
  row(`    ${SAFETY_NET_S} s safety net: scheduler, fake clock`, ...sec(model300.fakeClock));
  console.log(`safety net / ${CADENCE_S} s cadence (p50, p99): x${result.ratios.safetyNetOverCadenceP50}, x${result.ratios.safetyNetOverCadenceP99}; cadence / notification (p50): x${result.ratios.cadenceOverTrapP50}`);
  console.log(`scans that stored them: (a) ${JSON.stringify(trap.triggers)}, (b) ${JSON.stringify(cadence.triggers)}; missed ${trap.missed} + ${cadence.missed}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await fleet?.stop();
}
