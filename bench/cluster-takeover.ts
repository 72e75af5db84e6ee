// Cluster failover with default settings (lease 10 s, renewal every 3 s): three coordinators in
// their own processes on a throwaway PostgreSQL; SIGKILL one and time until the survivors hold
// every shard it had (goal < 15 s). Also: a graceful stop's hand-over, and a fourth collector
// joining (grace 15 s, then 4 shards per round).
// Usage: node dist/bench/cluster-takeover.js [--runs N] [--no-join]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_CLUSTER_TIMING } from '../src/cluster/settings.js';
import { SHARD_COUNT } from '../src/cluster/shards.js';
import { startPostgres } from '../test/helpers/postgres.js';

const COLLECTOR = resolve(dirname(fileURLToPath(import.meta.url)), 'lib/cluster-collector.js');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'no-join': { type: 'boolean', default: false } } });

interface Collector {
  id: string;
  child: ChildProcess;
  acquiredAt: number[];
  lostAt: number[];
}

const postgres = await startPostgres({ preferredPort: 25480 });
const children: Collector[] = [];
process.once('exit', () => children.forEach((c) => c.child.kill('SIGKILL')));

function spawnCollector(id: string, database: pg.ClientConfig): Promise<Collector> {
  const child = spawn(process.execPath, [COLLECTOR, JSON.stringify({ id, database })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const collector: Collector = { id, child, acquiredAt: [], lostAt: [] };
  children.push(collector);
  return new Promise((ready, fail) => {
    child.once('exit', (code) => fail(new Error(`collector ${id} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; at: number };
      if (event.event === 'ready') ready(collector);
      if (event.event === 'acquired') collector.acquiredAt.push(event.at);
      if (event.event === 'lost') collector.lostAt.push(event.at);
    });
  });
}

async function owners(observer: pg.Client): Promise<Map<number, string>> {
  const rows = await observer.query<{ shard: number; owner: string }>('SELECT shard, owner FROM shard_lease WHERE lease_until > now()');
  return new Map(rows.rows.map((r) => [r.shard, r.owner]));
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, pollMs = 50): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return Date.now();
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stopAll(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      const exited = new Promise((r) => c.child.once('exit', r));
      c.child.kill('SIGTERM');
      await exited;
    }
  }
}

/** Three collectors, balanced; returns the observer session. */
async function balancedCluster(run: string): Promise<{ observer: pg.Client; database: pg.ClientConfig }> {
  const database = await postgres.createDatabase(`takeover_${run}`);
  const observer = new pg.Client(database);
  await observer.connect();
  for (const id of ['c1', 'c2', 'c3']) await spawnCollector(id, database);
  await waitFor('three balanced collectors', async () => {
    const counts = [...(await owners(observer)).values()].reduce((m, o) => m.set(o, (m.get(o) ?? 0) + 1), new Map<string, number>());
    return [...counts.values()].sort().join() === '85,85,86';
  }, 30_000);
  return { observer, database };
}

const kills: number[] = [];
for (let run = 1; run <= Number(values.runs); run++) {
  const { observer } = await balancedCluster(`kill${run}`);
  // Kill at a random point of the renewal cycle, as a real crash would.
  await new Promise((r) => setTimeout(r, Math.random() * DEFAULT_CLUSTER_TIMING.renewMs));
  const victim = children[run % 3]!;
  const before = await owners(observer);
  const orphaned = [...before].filter(([, owner]) => owner === victim.id).map(([shard]) => shard);
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  const doneAt = await waitFor('the survivors to hold every shard', async () => {
    const now = await owners(observer);
    return now.size === SHARD_COUNT && orphaned.every((s) => now.get(s) !== undefined && now.get(s) !== victim.id);
  }, 30_000);
  kills.push(doneAt - killedAt);
  console.log(`run ${run}: SIGKILL of ${victim.id} (${orphaned.length} shards) -> all taken over in ${doneAt - killedAt} ms`);
  await observer.end();
  await stopAll();
}

// A graceful stop releases at once: the survivors claim on their next round.
const graceful = await balancedCluster('graceful');
const leaving = children[0]!;
const stopAt = Date.now();
leaving.child.kill('SIGTERM');
const handedAt = await waitFor('the survivors to hold every shard', async () => {
  const now = await owners(graceful.observer);
  return now.size === SHARD_COUNT && ![...now.values()].includes(leaving.id);
}, 30_000);
console.log(`graceful stop of ${leaving.id}: all taken over in ${handedAt - stopAt} ms`);
await graceful.observer.end();
await stopAll();

let joinMs: number | undefined;
if (!values['no-join']) {
  const { observer, database } = await balancedCluster('join');
  const joinAt = Date.now();
  const joiner = await spawnCollector('c4', database);
  const firstAt = await waitFor('the joiner to get a shard', async () => [...(await owners(observer)).values()].includes('c4'), 60_000, 200);
  const doneAt = await waitFor('four balanced collectors', async () => [...(await owners(observer)).values()].filter((o) => o === 'c4').length >= 63, 180_000, 200);
  joinMs = doneAt - joinAt;
  console.log(`join of c4: first shard after ${firstAt - joinAt} ms, 63+ shards after ${joinMs} ms in ${joiner.acquiredAt.length} rounds`);
  await observer.end();
  await stopAll();
}

await postgres.stop();
const sorted = [...kills].sort((a, b) => a - b);
const summary = {
  bench: 'cluster-takeover',
  settings: DEFAULT_CLUSTER_TIMING,
  sigkillTakeoverMs: { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) },
  gracefulHandoverMs: handedAt - stopAt,
  joinBalancedMs: joinMs,
  machine: { cores: cpus().length, node: process.version },
};
console.log(`RESULT ${JSON.stringify(summary)}`);
process.exitCode = (sorted.at(-1) ?? Infinity) < 15_000 ? 0 : 1;
