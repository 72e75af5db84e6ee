// UDP loss: with 30% of the devices' notifications lost, is every alarm still stored, within one
// safety-net interval at worst?
//
//   npm run bench:udp-loss               (about 5 minutes)
//   npm run bench:udp-loss -- --quick    (about 2.5 minutes)
//   options: --devices N (default 1000), --drop-rate R (default 0.3), --seed N, --no-pin
//
// One priority-scanning daemon with every device's safety net at the config's 60 s minimum, on
// a simulated fleet in a child process whose devices lose each notification they send with
// probability R (each device's own seeded generator). Alarms are raised on random devices and
// held longer than one interval, then cleared; each change is stored either by the scan its
// notification triggered or, when that notification was lost, by the next safety-net scan.
// Devices 127.2.16.1+ on port 17110.
import { parseArgs } from 'node:util';
import { seededRandom } from '../simulators/devices/device.js';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { DetectionLog, round, summarize } from './lib/detection-log.js';
import { until } from './lib/monitors.js';
import { planChanges, playChanges } from './lib/plan.js';
import { loadNow, startSingleFleet, type SingleFleet } from './lib/single-fleet.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '1000' },
    'drop-rate': { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const DEVICES = Number(args.devices);
const DROP_RATE = Number(args['drop-rate']);
const SEED = Number(args.seed);
if (!Number.isInteger(DEVICES) || DEVICES < 10 || DEVICES > 5000) throw new Error('--devices must be a whole number from 10 to 5000');
if (!(DROP_RATE >= 0 && DROP_RATE < 1)) throw new Error('--drop-rate must be from 0 to below 1');

const PORT = 17110;
const BASE = '127.2.16.1';
const INTERVAL_S = 60;
// Held past one interval (plus the scan), so the safety net always has the chance to see each raise.
const PLAN = { alarm: 'fanFailure', alarms: Math.min(DEVICES, quick ? 100 : 300), raiseWindowMs: quick ? 30_000 : 120_000, holdMinMs: 65_000, holdMaxMs: 80_000 };
const code = `sim.${SIM_ALARMS[PLAN.alarm]?.code}`;
const random = seededRandom(SEED);

let bench: SingleFleet | undefined;
try {
  bench = await startSingleFleet({ baseAddress: BASE, port: PORT, devices: DEVICES, intervalSeconds: INTERVAL_S, pin: !args['no-pin'] });
  const { link, monitor, machine, setup, addresses } = bench;
  await link.request({ type: 'drop-rate', fleet: 'priscan', range: { from: 0, to: DEVICES }, rate: DROP_RATE });
  process.stderr.write(`${DEVICES} devices registered in ${setup.registrationMs} ms; ${PLAN.alarms} alarms over ${PLAN.raiseWindowMs / 1000} s, ${DROP_RATE * 100}% of notifications lost\n`);

  const log = new DetectionLog(monitor, (c) => c === code);
  const before = (await link.request({ type: 'counters' })).fleets.priscan;
  const played = await playChanges(link, planChanges({ ...PLAN, devices: DEVICES, fleets: ['priscan'] }, random));
  const address = (index: number) => addresses[index] as string;
  // Given two intervals: a change not stored by then is reported as missed.
  const allStored = await until(() => played.every((c) => log.storedAt(address(c.index), code, c.action, c.changedAt) !== undefined), 2 * INTERVAL_S * 1000);
  const after = (await link.request({ type: 'counters' })).fleets.priscan;
  log.close();

  const byTrigger: Record<string, number[]> = {};
  let missed = 0;
  for (const change of played) {
    const stored = log.storedChange(address(change.index), code, change.action, change.changedAt);
    if (!stored) {
      missed++;
      continue;
    }
    (byTrigger[stored.trigger] ??= []).push(stored.at - change.changedAt);
  }
  const all = Object.values(byTrigger).flat();
  const sent = (after?.notificationsSent ?? NaN) - (before?.notificationsSent ?? NaN);
  const dropped = (after?.notificationsDropped ?? NaN) - (before?.notificationsDropped ?? NaN);
  const detection = summarize(all);
  const result = {
    name: 'udp-loss',
    quick,
    seed: SEED,
    devices: DEVICES,
    intervalS: INTERVAL_S,
    dropRate: DROP_RATE,
    machine: { ...machine, loadAverage1m: { ...machine.loadAverage1m, end: loadNow() } },
    setup,
    changes: played.length,
    notChanged: played.filter((c) => !c.changed).length,
    notifications: { sent, dropped, droppedShare: round(dropped / (sent + dropped), 3) },
    stored: played.length - missed,
    missed,
    storedBy: Object.fromEntries(Object.entries(byTrigger).map(([trigger, times]) => [trigger, summarize(times)])),
    detection,
    maxDetectionOverInterval: round(detection.maxMs / (INTERVAL_S * 1000), 3),
    goals: { everyChangeStored: allStored && missed === 0, withinOneInterval: detection.maxMs <= INTERVAL_S * 1000 },
  };
  const row = (label: string, ...cells: Array<string | number>) => console.log(`${label.padEnd(40)}${cells.map((x) => String(x).padStart(11)).join('')}`);
  console.log(`UDP loss, ${DEVICES} simulated devices, ${DROP_RATE * 100}% of notifications lost, safety net every ${INTERVAL_S} s (${machine.cores} cores, load ${machine.loadAverage1m.start} -> ${result.machine.loadAverage1m.end})`);
  row('changes played (raise + clear)', played.length);
  row('notifications sent / lost (share)', sent, dropped, result.notifications.droppedShare);
  row('change -> stored (ms)', 'n', 'p50', 'p99', 'max', 'mean');
  for (const [trigger, s] of Object.entries(result.storedBy)) row(`  stored by a ${trigger} scan`, s.count, s.p50Ms, s.p99Ms, s.maxMs, s.meanMs);
  row('  all', detection.count, detection.p50Ms, detection.p99Ms, detection.maxMs, detection.meanMs);
  row('missed', missed);
  row('max detection / interval', result.maxDetectionOverInterval);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await bench?.stop();
}
