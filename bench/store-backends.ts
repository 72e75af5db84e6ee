// What one store call costs on each backend: the same repository calls on SQLite (a WAL file, as
// the daemon opens it) and on PostgreSQL 15 through the synchronous bridge (a throwaway cluster
// on 127.0.0.1, fsync off, as the tests start it: the figures are the bridge and the round trip,
// not a disk). Every call blocks the event loop for as long as it takes, on both: that time is
// what is measured, per call, median and p99.
//
//   npx tsc -p tsconfig.json && node dist/bench/store-backends.js [--calls N] [--devices N]
//
// Calls measured, each on a store holding `--devices` devices:
//   devices.get             one row by id (a read)
//   applyScan unchanged     the hot path of every scan: the active keys, nothing written
//   recordScan              the scan's outcome on the device row (one write, no transaction)
//   readings.record (10)    a UPS's 10 values, a point due for each (one transaction)
//   applyScan raise+clear   an alarm raised and another cleared, events appended (one transaction)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Alarm } from '../src/alarms/model.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import type { ReadingSample } from '../src/store/readings.js';
import { SqliteStore, type Store } from '../src/store/store.js';
import { newDevice } from '../test/helpers/devices.js';
import { startPostgres } from '../test/helpers/postgres.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '5000' }, devices: { type: 'string', default: '1000' } } });
const CALLS = Number(args.calls);
const DEVICES = Number(args.devices);

let now = 1_700_000_000_000;
const clock = { now: () => now };

interface Figures {
  medianUs: number;
  p99Us: number;
}

function measure(calls: number, call: (i: number) => void): Figures {
  // Warm up: statements prepared, code compiled, caches filled.
  for (let i = 0; i < Math.min(200, calls); i++) call(i);
  const took: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    call(i);
    took.push(performance.now() - start);
  }
  took.sort((a, b) => a - b);
  const at = (q: number) => Math.round(took[Math.min(took.length - 1, Math.floor(took.length * q))]! * 1000);
  return { medianUs: at(0.5), p99Us: at(0.99) };
}

function populate(store: Store): number[] {
  const ids: number[] = [];
  for (let n = 0; n < DEVICES; n++) {
    ids.push(store.devices.insert(newDevice({ name: `dev-${n}`, address: `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`, profile: 'rfc1628-ups' })).id);
  }
  return ids;
}

const alarm = (n: number): Alarm => ({ key: `ups.alarms.${n}`, severity: 'warning', code: `ups.alarm${n}`, description: `Alarm ${n}` });
const ups = (value: number): ReadingSample[] =>
  Array.from({ length: 10 }, (_, i) => ({ reading: `reading${i}`, instance: '', label: '', unit: 'volts', value: value + i, state: null }));

function run(store: Store): Record<string, Figures> {
  const ids = populate(store);
  const pick = (i: number) => ids[i % ids.length]!;
  // Every device with two active alarms, as a fleet with some trouble has.
  for (const id of ids) store.alarms.applyScan(id, [alarm(1), alarm(2)], now);
  const results: Record<string, Figures> = {};
  results['devices.get'] = measure(CALLS, (i) => store.devices.get(pick(i)));
  results['applyScan unchanged'] = measure(CALLS, (i) => store.alarms.applyScan(pick(i), [alarm(1), alarm(2)], now));
  results['recordScan'] = measure(CALLS, (i) => store.devices.recordScan(pick(i), { at: now + i, durationMs: 20, ok: true, error: null }));
  // A new value a minute apart: a point due for each of the 10.
  results['readings.record (10)'] = measure(CALLS, (i) => {
    now += 60_000;
    store.readings.record(pick(i), ups(i % 100), now);
  });
  // Each device's set flips at every call it gets (the warm-up's included): every call raises one
  // alarm and clears another.
  const flipped = new Set<number>();
  results['applyScan raise+clear'] = measure(CALLS, (i) => {
    const id = pick(i);
    const flip = !flipped.delete(id);
    if (flip) flipped.add(id);
    const { raised, cleared } = store.alarms.applyScan(id, flip ? [alarm(1), alarm(3)] : [alarm(1), alarm(2)], now + i);
    if (raised.length !== 1 || cleared.length !== 1) throw new Error(`device ${id}: raised ${raised.length}, cleared ${cleared.length}, expected 1 and 1`);
  });
  return results;
}

const dir = mkdtempSync(join(tmpdir(), 'priscan-bench-store-'));
const postgres = await startPostgres({ preferredPort: 25490 });
try {
  const sqlite = SqliteStore.open(join(dir, 'priscan.db'), clock);
  const onSqlite = run(sqlite);
  sqlite.close();
  const connection = await postgres.createDatabase('bench_store');
  const pg = PostgresStore.open(clock, { connection, location: 'bench' });
  const onPostgres = run(pg);
  const { calls } = pg.bridge.stats();
  pg.close();

  console.log(`store call cost, ${CALLS} calls each on ${DEVICES} devices (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}); µs`);
  console.log(`${'call'.padEnd(24)}${'sqlite median'.padStart(15)}${'p99'.padStart(8)}${'postgres median'.padStart(17)}${'p99'.padStart(8)}`);
  for (const name of Object.keys(onSqlite)) {
    const s = onSqlite[name]!;
    const p = onPostgres[name]!;
    console.log(`${name.padEnd(24)}${String(s.medianUs).padStart(15)}${String(s.p99Us).padStart(8)}${String(p.medianUs).padStart(17)}${String(p.p99Us).padStart(8)}`);
  }
  console.log(`postgres bridge calls in all: ${calls}`);
  console.log(JSON.stringify({ calls: CALLS, devices: DEVICES, sqlite: onSqlite, postgres: onPostgres }));
} finally {
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
