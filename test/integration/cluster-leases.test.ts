// Cluster coordination against a real PostgreSQL (a throwaway cluster on 127.0.0.1:254xx):
// schema, membership, shard leases with epoch fencing, failover of a collector that stops
// renewing, and a join that moves shards slowly. Coordinators run on FakeClocks so the test
// decides when each does a round; leases expire on the database's real clock.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDiscoveryDocument } from '../../src/cluster/discovery.js';
import { assertShardEpoch } from '../../src/cluster/fence.js';
import { applyClusterSchema, CLUSTER_MIGRATIONS } from '../../src/cluster/schema.js';
import { SHARD_COUNT, shardOf, type ShardClaim } from '../../src/cluster/shards.js';
import { expectOneOwnerPerShard, leaseTable, observe, ownedCounts, roundOfAll, testCollector, type TestCollector } from '../helpers/cluster.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/cluster-leases.test.ts';
const skip = skipWithoutPostgres(FILE);

/** Short leases so lapses happen within the test; grace long enough to watch nothing move. */
const FAST = { leaseMs: 1_500, renewMs: 500, joinGraceMs: 800, movesPerRound: 8, hysteresis: 1 };

describe.skipIf(skip)('cluster leases on PostgreSQL', () => {
  let postgres: PostgresCluster;
  const started: TestCollector[] = [];
  const observers: pg.Client[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25440 });
  });

  afterAll(async () => {
    for (const c of started) await c.coordinator.stop().catch(() => undefined);
    for (const o of observers) await o.end().catch(() => undefined);
    await postgres?.stop();
  });

  /** A fresh database and a session of the test's own on it. */
  async function freshDatabase(): Promise<{ database: pg.ClientConfig; observer: pg.Client }> {
    const database = await postgres.createDatabase();
    const observer = await observe(database);
    observers.push(observer);
    return { database, observer };
  }

  async function startCollectors(database: pg.ClientConfig, ids: string[], settings: Partial<typeof FAST> = FAST): Promise<TestCollector[]> {
    const collectors = ids.map((id) => testCollector(database, id, { settings }));
    for (const c of collectors) {
      await c.coordinator.start();
      started.push(c);
    }
    return collectors;
  }

  const countsOf = (collectors: readonly TestCollector[]): number[] => collectors.map((c) => c.coordinator.heldShards().length);

  it('applies its schema once when collectors start together, and refuses a database written by a newer priscan', async () => {
    const database = await postgres.createDatabase();
    const clients = [new pg.Client(database), new pg.Client(database)];
    for (const client of clients) await client.connect();
    try {
      const results = await Promise.all(clients.map((client) => applyClusterSchema(client)));
      expect(results.map((r) => r.from).sort()).toEqual([0, CLUSTER_MIGRATIONS.length]);
      const shards = await postgres.superuser<{ n: number; epochs: number }>('SELECT count(*)::int AS n, sum(epoch)::int AS epochs FROM shard_lease', [], database.database);
      expect(shards.rows[0]).toEqual({ n: SHARD_COUNT, epochs: 0 });

      await postgres.superuser(`UPDATE priscan_schema SET version = 99 WHERE component = 'cluster'`, [], database.database);
      const newer = testCollector(database, 'old-priscan');
      await expect(newer.coordinator.start()).rejects.toMatchObject({ code: 'CLUSTER_SCHEMA_NEWER' });
      const collectors = await postgres.superuser('SELECT id FROM collector', [], database.database);
      expect(collectors.rows).toEqual([]);
      expect(newer.coordinator.health).toBe('stopped');
    } finally {
      for (const client of clients) await client.end();
    }
  });

  it('puts a device in the same shard in SQL (priscan_shard_of) as in the collector (shardOf)', async () => {
    const database = await postgres.createDatabase();
    const client = new pg.Client(database);
    await client.connect();
    try {
      await applyClusterSchema(client);
      const ids = [...Array.from({ length: 3000 }, (_, i) => i), 2 ** 31, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
      const sql = await client.query<{ shard: number }>('SELECT priscan_shard_of(id) AS shard FROM unnest($1::bigint[]) WITH ORDINALITY AS t (id, n) ORDER BY n', [ids]);
      expect(sql.rows.map((r) => r.shard)).toEqual(ids.map(shardOf));
    } finally {
      await client.end();
    }
  });

  it('keeps a collector live while it renews, and lists it as dead once its lease lapses', async () => {
    const database = await postgres.createDatabase();
    const [a, b] = await startCollectors(database, ['a', 'b']);
    const live = async () => (await a!.coordinator.collectors()).filter((c) => c.live).map((c) => c.id);
    expect(await live()).toEqual(['a', 'b']);

    // b stops renewing (its timers are a FakeClock nobody advances); a keeps renewing.
    await until('b to be dead', async () => {
      await a!.coordinator.runRound();
      return !(await live()).includes('b');
    }, 5_000);
    const listed = await a!.coordinator.collectors();
    expect(listed.map((c) => [c.id, c.live])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(serviceDiscoveryDocument(listed).map((group) => group.targets)).toEqual([[listed[0]!.apiAddr]]);
    expect(b!.coordinator.health).toBe('connected');
  });

  it('three collectors converge to 86/85/85 shards, one owner each', async () => {
    const { database, observer } = await freshDatabase();
    const collectors = await startCollectors(database, ['a', 'b', 'c']);
    await roundOfAll(collectors);
    expect(countsOf(collectors)).toEqual([86, 85, 85]);
    await roundOfAll(collectors);
    expect(countsOf(collectors)).toEqual([86, 85, 85]);
    const rows = await expectOneOwnerPerShard(observer, collectors);
    expect(Object.fromEntries(ownedCounts(rows))).toEqual({ a: 86, b: 85, c: 85 });
    // Each shard claimed once: a steady cluster does not re-claim.
    expect(rows.every((r) => r.epoch === 1)).toBe(true);
  });

  it('takes over the shards of a collector that stops renewing; its fenced writes fail; it rejoins cleanly', async () => {
    const { database, observer } = await freshDatabase();
    const collectors = await startCollectors(database, ['a', 'b', 'c']);
    const [a, b, c] = collectors as [TestCollector, TestCollector, TestCollector];
    await roundOfAll(collectors);
    const paused = a.coordinator.heldShards();
    expect(paused).toHaveLength(86);

    // a is "paused": no more rounds. b and c keep renewing until a's leases lapse on the database's clock.
    const pausedAt = Date.now();
    await until('a to lose its leases', async () => {
      await roundOfAll([b, c]);
      return !ownedCounts(await leaseTable(observer)).has('a');
    }, 5_000);
    await roundOfAll([b, c]);
    const takeoverMs = Date.now() - pausedAt;
    expect(countsOf([b, c])).toEqual([128, 128]);
    const rows = await leaseTable(observer);
    for (const claim of paused) expect(rows[claim.shard]).toMatchObject({ epoch: claim.epoch + 1, valid: true, owner: expect.stringMatching(/^[bc]$/) });
    console.log(`${FILE}: lease ${FAST.leaseMs} ms, round ${FAST.renewMs} ms: a's 86 shards taken over ${takeoverMs} ms after its last renewal`);

    // a wakes up still believing it owns its shards: a write fenced with its epoch is refused.
    const writer = new pg.Client(database);
    await writer.connect();
    try {
      const stale = paused[0]!;
      await writer.query('BEGIN');
      await expect(assertShardEpoch(writer, stale)).rejects.toMatchObject({ code: 'SHARD_FENCED', message: expect.stringContaining(`epoch ${stale.epoch}`) });
      await writer.query('ROLLBACK');
      const current = (b.coordinator.heldShards().find((h) => h.shard === stale.shard) ?? c.coordinator.heldShards().find((h) => h.shard === stale.shard)) as ShardClaim;
      await writer.query('BEGIN');
      await expect(assertShardEpoch(writer, current)).resolves.toBeUndefined();
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }

    // Its next round finds out: every shard it held is lost, then it rejoins with nothing.
    const acquiredBefore = a.acquired.length;
    const report = await a.coordinator.runRound();
    expect(report.lost).toEqual(paused.map((h) => h.shard));
    expect(a.lost.at(-1)).toEqual(paused.map((h) => h.shard));
    expect(a.coordinator.heldShards()).toEqual([]);
    const joined = (await a.coordinator.collectors()).find((m) => m.id === 'a');
    expect(joined).toMatchObject({ live: true, shards: 0 });

    // Back to 86/85/85 through the slow path, never more than K shards a round.
    await until('the cluster to rebalance', async () => {
      await roundOfAll(collectors);
      await expectOneOwnerPerShard(observer, collectors);
      return countsOf(collectors).join() === '86,85,85';
    }, 10_000);
    expect(a.acquired.slice(acquiredBefore).every((claims) => claims.length <= FAST.movesPerRound)).toBe(true);
  });

  it('moves shards to a joiner only after its grace period, at most K per round, never to two owners', async () => {
    const { database, observer } = await freshDatabase();
    // Leases long enough that a stalled test machine cannot make any lapse: only the join moves shards.
    const settings = { ...FAST, leaseMs: 5_000 };
    const first = await startCollectors(database, ['a', 'b', 'c'], settings);
    await roundOfAll(first);
    const before = await leaseTable(observer);
    const [d] = await startCollectors(database, ['d'], settings);
    const all = [...first, d!];

    // In its grace period the joiner gets nothing: the others are live, nothing is orphaned.
    const graceEnds = Date.now() + FAST.joinGraceMs;
    await roundOfAll(all);
    if (Date.now() < graceEnds) expect(d!.coordinator.heldShards()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now()) + 50));

    let rounds = 0;
    await until('d to reach its target', async () => {
      rounds++;
      for (const c of all) {
        await c.coordinator.runRound();
        await expectOneOwnerPerShard(observer, all);
      }
      return countsOf(all).join() === '64,64,64,64';
    }, 10_000);
    expect(d!.acquired.every((claims) => claims.length <= FAST.movesPerRound)).toBe(true);
    for (const c of first) expect(c.lost.every((shards) => shards.length <= FAST.movesPerRound), `${c.id} released ${c.lost.map((l) => l.length)}`).toBe(true);
    expect(rounds).toBeGreaterThanOrEqual(64 / FAST.movesPerRound);
    // Only what had to move moved, each shard once: 64 new epochs, all of them d's.
    const after = await leaseTable(observer);
    const moved = after.filter((row) => row.epoch !== before[row.shard]!.epoch);
    expect(moved).toHaveLength(64);
    expect(moved.every((row) => row.owner === 'd' && row.epoch === before[row.shard]!.epoch + 1)).toBe(true);
  });

  it('never renews a lease that lapsed, even when nobody took it: the shard is claimed again at a new epoch', async () => {
    const database = await postgres.createDatabase();
    const [a] = await startCollectors(database, ['a']);
    await a!.coordinator.runRound();
    const first = a!.coordinator.heldShards();
    expect(first).toHaveLength(SHARD_COUNT);
    await new Promise((resolve) => setTimeout(resolve, FAST.leaseMs + 100));
    // Back from the lapse it rejoins (losing everything) and claims on the next round, afresh.
    const rejoin = await a!.coordinator.runRound();
    expect(rejoin.lost).toEqual(first.map((c) => c.shard));
    expect(rejoin.acquired).toEqual([]);
    const next = await a!.coordinator.runRound();
    expect(next.acquired).toEqual(first.map((c) => ({ shard: c.shard, epoch: c.epoch + 1 })));
  });

  it('collectors back together after an outage longer than the lease share the shards at once, none taking all', async () => {
    const database = await postgres.createDatabase();
    const collectors = await startCollectors(database, ['a', 'b']);
    await roundOfAll(collectors);
    expect(countsOf(collectors)).toEqual([128, 128]);
    // Nobody renews for longer than a lease (as while PostgreSQL was down); then both come back, a first.
    await new Promise((resolve) => setTimeout(resolve, FAST.leaseMs + 100));
    await roundOfAll(collectors);
    await roundOfAll(collectors);
    expect(countsOf(collectors)).toEqual([128, 128]);
  });

  it('a fenced write in progress keeps its shard from being claimed until it commits', async () => {
    const database = await postgres.createDatabase();
    const [a, b] = await startCollectors(database, ['a', 'b']);
    await roundOfAll([a!, b!]);
    const claim = a!.coordinator.heldShards()[0]!;
    const writer = new pg.Client(database);
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await assertShardEpoch(writer, claim);
      // a stops renewing; once its leases lapse b claims all of them but the one being written.
      await until('b to take a\'s other shards', async () => {
        await b!.coordinator.runRound();
        return b!.coordinator.heldShards().length === SHARD_COUNT - 1;
      }, 5_000);
      expect(b!.coordinator.heldShards().some((h) => h.shard === claim.shard)).toBe(false);
      await writer.query('COMMIT');
      await b!.coordinator.runRound();
      expect(b!.coordinator.heldShards().find((h) => h.shard === claim.shard)).toEqual({ shard: claim.shard, epoch: claim.epoch + 1 });
    } finally {
      await writer.end();
    }
  });
});
