// What storing readings costs: the extra work on the scan hot path, a prune batch, a device's
// removal, and the history's disk use, beside the alarm diff every scan already does, in one run.
//
//   npm run bench:readings                 (about three minutes)
//   npm run bench:readings -- --quick      (fewer rounds, a smaller history and fleet)
//   (node --expose-gc dist/bench/readings-store.js measures the heap after a collection)
//
// Everything runs in this process on a fresh SQLite file in WAL mode, as the daemon opens it.
// Per scan: the unchanged alarm diff (the baseline: a read, no write lock) and the scan record
// (a write every scan), against recording 3 (NetBotz), 10 (a UPS) and 50 values, with no point
// due and with a point due for every value. Disk: a fleet's history written at the default
// policy, its size measured as it grows and before and after deleting every point (VACUUMed).
// /metrics: 10,000 devices' readings shown, then scraped (CPU time and heap).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMetrics } from '../src/metrics/metrics.js';
import { DEFAULT_HISTORY_POLICY, type ReadingSample } from '../src/store/readings.js';
import { SqliteStore } from '../src/store/store.js';
import type { Alarm } from '../src/alarms/model.js';
import { newDevice } from '../test/helpers/devices.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const ROUNDS = args.quick ? 3 : 7;
const SCANS_PER_ROUND = args.quick ? 500 : 2000;
const HISTORY_DEVICES = args.quick ? 50 : 200;
const SERIES_PER_DEVICE = 10;
const DAY_MS = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'priscan-bench-readings-'));
let clockNow = 1_700_000_000_000;
const clock = { now: () => clockNow };

function openStore(name: string): SqliteStore {
  return SqliteStore.open(join(dir, name), clock);
}

function addDevice(store: SqliteStore, n: number): number {
  return store.devices.insert(newDevice({ name: `dev-${n}`, address: `127.9.${Math.floor(n / 250)}.${(n % 250) + 1}`, profile: 'rfc1628-ups' })).id;
}

const samples = (count: number, value: (i: number) => number): ReadingSample[] =>
  Array.from({ length: count }, (_, i) => ({ reading: `reading${i % 12}`, instance: String(Math.floor(i / 12) + 1), label: `Row ${i}`, unit: 'volts', value: value(i), state: null }));

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Microseconds per call of `scan`, median over rounds. */
function perScan(scan: (i: number) => void): number {
  const rounds: number[] = [];
  let i = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    for (let n = 0; n < SCANS_PER_ROUND; n++) scan(i++);
    rounds.push(((performance.now() - started) * 1000) / SCANS_PER_ROUND);
  }
  return round2(median(rounds));
}

function hotPath() {
  const store = openStore('hot.db');
  const id = addDevice(store, 1);
  const alarms: Alarm[] = [{ key: 'a:0:ups.onBattery', severity: 'warning', code: 'ups.onBattery', description: 'On battery' }];
  store.alarms.applyScan(id, alarms, clockNow);
  const result: Record<string, number> = {};
  result.alarmDiffUnchangedUs = perScan(() => store.alarms.applyScan(id, alarms, clockNow));
  result.recordScanStateUs = perScan(() => store.devices.recordScan(id, { at: clockNow, durationMs: 3, ok: true, error: null }));
  for (const count of [3, 10, 50]) {
    // No point due: the same values, within the unchanged interval.
    const same = samples(count, (i) => 200 + i);
    store.readings.record(id, same, (clockNow += 1000));
    result[`record${count}NoPointUs`] = perScan(() => store.readings.record(id, same, (clockNow += 1)));
    // A point due for every value: a new value each scan, past the minimum interval.
    result[`record${count}AllPointsUs`] = perScan((n) => store.readings.record(id, samples(count, (i) => n + i), (clockNow += DEFAULT_HISTORY_POLICY.minIntervalMs)));
  }
  store.close();
  return result;
}

/** A fleet's history at the default policy: `devices` × 10 series, a scan every `intervalS`, values changing every scan. */
function history(name: string, devices: number, intervalS: number, hours: number, afterFirstScan: (store: SqliteStore) => void = () => undefined) {
  const store = openStore(name);
  const ids = Array.from({ length: devices }, (_, n) => addDevice(store, n));
  const start = clockNow;
  let scans = 0;
  for (let t = 0; t < hours * 3_600_000; t += intervalS * 1000) {
    clockNow = start + t;
    for (const id of ids) store.readings.record(id, samples(SERIES_PER_DEVICE, (i) => 200 + ((scans + i) % 17) / 10), clockNow);
    if (scans++ === 0) afterFirstScan(store);
  }
  return { store, ids, scans };
}

const pointCount = (store: SqliteStore) => (store.db.prepare('SELECT count(*) AS n FROM reading_points').get() as { n: number }).n;

/** The database file's size with the WAL folded in; VACUUMed first when asked (the daemon never does). */
function fileBytes(store: SqliteStore, path: string, vacuum = false): number {
  if (vacuum) store.db.exec('VACUUM');
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(path).size;
}

function disk() {
  const hours = args.quick ? 6 : 24;
  const path = join(dir, 'disk.db');
  let first = { bytes: 0, points: 0 };
  const { store, scans } = history('disk.db', HISTORY_DEVICES, 300, hours, (s) => (first = { bytes: fileBytes(s, path), points: pointCount(s) }));
  const points = pointCount(store);
  // As the daemon's file grows: B-tree pages part filled, as inserts leave them.
  const asWritten = (fileBytes(store, path) - first.bytes) / (points - first.points);
  const withPoints = fileBytes(store, path, true);
  store.db.exec('DELETE FROM reading_points');
  const packed = (withPoints - fileBytes(store, path, true)) / points;
  store.close();
  const perSeriesDay = (pointsPerDay: number) => Math.round((asWritten * pointsPerDay) / 100) / 10;
  return {
    points,
    scansPerSeries: scans,
    bytesPerPoint: round2(asWritten),
    bytesPerPointVacuumed: round2(packed),
    // A series' points per day: every scan while it changes (capped by minIntervalMs), else one per unchangedIntervalMs.
    kbPerSeriesDay300sChanging: perSeriesDay(DAY_MS / 300_000),
    kbPerSeriesDay30sChanging: perSeriesDay(DAY_MS / 30_000),
    kbPerSeriesDayUnchanged: perSeriesDay(DAY_MS / DEFAULT_HISTORY_POLICY.unchangedIntervalMs),
  };
}

/** Prune batches and a device's removal on two days of history at a 30 s cadence. */
function maintenance() {
  const devices = args.quick ? 10 : 40;
  const { store, ids } = history('prune.db', devices, 30, 48);
  const before = clockNow - 24 * 3_600_000;
  const batches: number[] = [];
  let after = 0;
  let deleted = 0;
  for (;;) {
    const started = performance.now();
    const step = store.readings.prune({ before, after, maxRows: 500 });
    batches.push(performance.now() - started);
    deleted += step.deletedPoints;
    if (step.next === null) break;
    after = step.next;
  }
  const pointsOfOne = (store.db.prepare('SELECT count(*) AS n FROM reading_points p JOIN reading_series s ON s.id = p.series_id WHERE s.device_id = ?').get(ids[0]) as { n: number }).n;
  const started = performance.now();
  store.removeDevice(ids[0]!, { reason: 'device removed', at: clockNow });
  const removalMs = performance.now() - started;
  store.close();
  return {
    pruneBatches: batches.length,
    prunedPoints: deleted,
    pruneBatchMsMedian: round2(median(batches)),
    pruneBatchMsP99: round2(quantile(batches, 0.99)),
    pruneBatchMsMax: round2(Math.max(...batches)),
    removedDevicePoints: pointsOfOne,
    deviceRemovalMs: round2(removalMs),
  };
}

/**
 * /metrics at scale: `devices` devices of 10 readings each shown, then scraped. CPU time (not wall
 * time: it holds on a busy machine), and the heap the shown series take, against the same fleet
 * without readings in the same run.
 */
async function metricsAtScale(devices: number) {
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const heapMb = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed / 1e6;
  };
  const heapBefore = heapMb();
  const metrics = createMetrics(() => clockNow);
  const shows: number[] = [];
  for (let n = 0; n < devices; n++) {
    const readings = samples(SERIES_PER_DEVICE, (i) => 200 + i).map((r) => ({ ...r, label: r.instance, states: [] }));
    const started = cpuMs();
    metrics.readings.show(n + 1, { device: `dev-${n}`, site: 'dc1', at: clockNow, readings });
    shows.push(cpuMs() - started);
  }
  const scrapes: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 5; r++) {
    const started = cpuMs();
    bytes = (await metrics.registry.metrics()).length;
    scrapes.push(cpuMs() - started);
    await new Promise((done) => setImmediate(done));
  }
  const heapWith = heapMb();
  const bare = createMetrics(() => clockNow);
  const scrapesBare: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = cpuMs();
    await bare.registry.metrics();
    scrapesBare.push(cpuMs() - started);
  }
  return {
    metricsDevices: devices,
    showUs: round2((shows.reduce((a, b) => a + b, 0) * 1000) / shows.length),
    scrapeCpuMs: round2(median(scrapes)),
    scrapeCpuMsWithoutReadings: round2(median(scrapesBare)),
    scrapeMb: round2(bytes / 1e6),
    heapMbForShownReadings: round2(heapWith - heapBefore),
  };
}

try {
  const shownAtScale = await metricsAtScale(args.quick ? 2000 : 10_000);
  const hot = hotPath();
  const space = disk();
  const upkeep = maintenance();
  const rows: Array<[string, string]> = [
    ['alarm diff, unchanged scan (baseline)', `${hot.alarmDiffUnchangedUs} µs`],
    ['scan state update (baseline)', `${hot.recordScanStateUs} µs`],
    ...[3, 10, 50].map((n): [string, string] => [`readings, ${n} values: no point / a point each`, `${hot[`record${n}NoPointUs`]} µs / ${hot[`record${n}AllPointsUs`]} µs`]),
    ['history point on disk: as written / VACUUMed', `${space.bytesPerPoint} bytes / ${space.bytesPerPointVacuumed} bytes (${space.points} points)`],
    ['a series per day: 300 s scans, changing / 30 s / unchanged', `${space.kbPerSeriesDay300sChanging} kB / ${space.kbPerSeriesDay30sChanging} kB / ${space.kbPerSeriesDayUnchanged} kB`],
    ['prune batch (500 rows): median / p99 / max', `${upkeep.pruneBatchMsMedian} ms / ${upkeep.pruneBatchMsP99} ms / ${upkeep.pruneBatchMsMax} ms (${upkeep.pruneBatches} batches, ${upkeep.prunedPoints} points)`],
    ['removing a device with 48 h of 30 s history', `${upkeep.deviceRemovalMs} ms (${upkeep.removedDevicePoints} points)`],
    [`/metrics, ${shownAtScale.metricsDevices} devices × 10 readings: a scan's show`, `${shownAtScale.showUs} µs CPU`],
    ['  a scrape, CPU (without readings)', `${shownAtScale.scrapeCpuMs} ms (${shownAtScale.scrapeCpuMsWithoutReadings} ms), ${shownAtScale.scrapeMb} MB of text`],
    ['  heap the shown series take', `${shownAtScale.heapMbForShownReadings} MB`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(`RESULT ${JSON.stringify({ scenario: 'readings-store', quick: args.quick, loadAverage: os.loadavg().map((l) => round2(l)), ...hot, ...space, ...upkeep, ...shownAtScale })}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
