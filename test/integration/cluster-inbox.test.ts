// Notifications forwarded between collectors through PostgreSQL (inbox table + LISTEN/NOTIFY),
// and coordinators losing PostgreSQL: a dropped session, then a server restart. A throwaway
// cluster on 127.0.0.1:254xx. Most coordinators run on FakeClocks, so nothing but a NOTIFY (or
// the test) makes them act; the restart test runs real timers.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { MAX_INBOX_PAYLOAD_BYTES, type ForwardedNotification } from '../../src/cluster/inbox.js';
import { SHARD_COUNT, shardOf } from '../../src/cluster/shards.js';
import { deviceOwnedBy, expectOneOwnerPerShard, observe, roundOfAll, testCollector, type TestCollector, type TestCollectorOptions } from '../helpers/cluster.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/cluster-inbox.test.ts';
const skip = skipWithoutPostgres(FILE);

describe.skipIf(skip)('forwarded notifications and reconnection', () => {
  let postgres: PostgresCluster;
  const started: TestCollector[] = [];
  const observers: pg.Client[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25460 });
  });

  afterAll(async () => {
    for (const c of started) await c.coordinator.stop().catch(() => undefined);
    for (const o of observers) await o.end().catch(() => undefined);
    await postgres?.stop();
  });

  /** A fresh database, a session of the test's own on it, and collectors that have done a round each. */
  async function cluster(ids: string[], options: TestCollectorOptions = {}): Promise<{ observer: pg.Client; collectors: TestCollector[] }> {
    const database = await postgres.createDatabase();
    const observer = await observe(database);
    observers.push(observer);
    const collectors = ids.map((id) => testCollector(database, id, options));
    for (const c of collectors) {
      await c.coordinator.start();
      started.push(c);
    }
    await roundOfAll(collectors);
    return { observer, collectors };
  }

  const queued = async (observer: pg.Client): Promise<number> => (await observer.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox')).rows[0]!.n;

  it('delivers a notification forwarded by a peer to the owner through LISTEN/NOTIFY, in order', async () => {
    const { observer, collectors } = await cluster(['a', 'b']);
    const [a, b] = collectors as [TestCollector, TestCollector];
    const device = deviceOwnedBy(a);
    await b.coordinator.forward(device, { trap: 'upsOnBattery', n: 1 });
    await b.coordinator.forward(device, { trap: 'upsOnBattery', n: 2 });

    // No round runs (FakeClocks stand still): only the doorbell can have woken a.
    await until('a to take both', () => a.delivered.length === 2, 5_000);
    const claim = a.coordinator.claimFor(device);
    expect(a.delivered.map((n) => [n.deviceId, n.shard, n.epoch, n.receivedBy, n.payload])).toEqual([
      [device, shardOf(device), claim?.epoch, 'b', { trap: 'upsOnBattery', n: 1 }],
      [device, shardOf(device), claim?.epoch, 'b', { trap: 'upsOnBattery', n: 2 }],
    ]);
    expect(b.delivered).toEqual([]);
    expect(await queued(observer)).toBe(0);
  });

  it('keeps what is forwarded while the owner is disconnected, and delivers it when the owner reconnects', async () => {
    const { observer, collectors } = await cluster(['a', 'b']);
    const [a, b] = collectors as [TestCollector, TestCollector];
    const epochs = a.coordinator.heldShards();
    await postgres.superuser(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'priscan-cluster-a'`, [], observer.database);
    await until('a to notice', () => a.coordinator.health === 'reconnecting', 5_000);
    await expect(a.coordinator.forward(deviceOwnedBy(b), {})).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });

    const devices = [deviceOwnedBy(a, 1), deviceOwnedBy(a, 5_000), deviceOwnedBy(a, 9_000)];
    for (const device of devices) await b.coordinator.forward(device, { device });
    expect(await queued(observer)).toBe(3);
    expect(a.delivered).toEqual([]);

    // The back-off timer fires: a reconnects, LISTENs again, renews and drains.
    (a.clock as FakeClock).advance(1_000);
    await until('a to take what waited', () => a.delivered.length === 3, 5_000);
    expect(a.health).toEqual(['connected', 'reconnecting', 'connected']);
    expect(a.delivered.map((n) => n.deviceId)).toEqual(devices);
    expect(a.coordinator.heldShards()).toEqual(epochs);
    expect(await queued(observer)).toBe(0);

    // Listening again: a new notification arrives with no round to drain it.
    await b.coordinator.forward(devices[0]!, { again: true });
    await until('the doorbell to work again', () => a.delivered.length === 4, 5_000);
  });

  it('drops its shards when its leases lapse on its own clock while PostgreSQL is unreachable', async () => {
    const { observer, collectors } = await cluster(['a'], { settings: { leaseMs: 1_500, renewMs: 500, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 } });
    const [a] = collectors as [TestCollector];
    const clock = a.clock as FakeClock;
    expect(a.coordinator.heldShards()).toHaveLength(SHARD_COUNT);
    await postgres.superuser(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'priscan-cluster-a'`, [], observer.database);
    await until('a to notice', () => a.coordinator.health === 'reconnecting', 5_000);

    // Rounds keep coming (every 500 ms on a's clock) but cannot renew; no reconnection for a minute.
    for (let elapsed = 0; elapsed < 1_400; elapsed += 100) {
      clock.advance(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(a.lost).toEqual([]);
    await until('a to drop its shards', async () => {
      clock.advance(100);
      await new Promise((resolve) => setImmediate(resolve));
      return a.lost.length > 0;
    }, 5_000);
    expect(a.lost).toEqual([Array.from({ length: SHARD_COUNT }, (_, shard) => shard)]);
    expect(a.coordinator.heldShards()).toEqual([]);
    expect(a.coordinator.health).toBe('reconnecting');
  });

  it('leaves notifications queued when delivery fails, and delivers them on the next round', async () => {
    let attempts = 0;
    const delivered: ForwardedNotification[] = [];
    const { observer, collectors } = await cluster(['a', 'b'], {
      deliver: (batch) => {
        attempts++;
        if (attempts === 1) throw new Error('the daemon could not take them');
        delivered.push(...batch);
      },
    });
    const [a, b] = collectors as [TestCollector, TestCollector];
    const device = deviceOwnedBy(a);
    await b.coordinator.forward(device, { n: 1 });
    await until('the first attempt', () => attempts >= 1 && delivered.length === 0, 5_000);
    expect(await queued(observer)).toBe(1);
    await a.coordinator.runRound();
    expect(delivered.map((n) => n.payload)).toEqual([{ n: 1 }]);
    expect(await queued(observer)).toBe(0);
  });

  it("hands a dead owner's notifications to the collector that takes over its shard, never to the stale owner", async () => {
    const { observer, collectors } = await cluster(['a', 'b'], { settings: { leaseMs: 1_500, renewMs: 500 } });
    const [a, b] = collectors as [TestCollector, TestCollector];
    const device = deviceOwnedBy(a);
    const stale = a.coordinator.claimFor(device)!;

    // a stops renewing; once its leases lapse, a notification for its device is forwarded. a
    // still believes it owns the shard and hears the doorbell, but its epoch no longer takes rows.
    await until("a's leases to lapse", async () => {
      await b.coordinator.runRound();
      return (await observer.query(`SELECT 1 FROM shard_lease WHERE owner = 'a' AND lease_until > now()`)).rowCount === 0;
    }, 5_000);
    await b.coordinator.forward(device, { during: 'takeover' });
    expect(a.coordinator.claimFor(device)).toEqual(stale);
    expect(await queued(observer)).toBe(1);

    await b.coordinator.runRound();
    expect(b.coordinator.claimFor(device)).toEqual({ shard: stale.shard, epoch: stale.epoch + 1 });
    expect(b.delivered.map((n) => [n.deviceId, n.epoch, n.payload])).toEqual([[device, stale.epoch + 1, { during: 'takeover' }]]);
    expect(a.delivered).toEqual([]);
    expect(await queued(observer)).toBe(0);
  });

  it('refuses a payload too large to forward, and queues nothing', async () => {
    const { observer, collectors } = await cluster(['a']);
    await expect(collectors[0]!.coordinator.forward(1, { blob: 'x'.repeat(MAX_INBOX_PAYLOAD_BYTES) })).rejects.toMatchObject({ code: 'INBOX_PAYLOAD_TOO_LARGE' });
    await expect(collectors[0]!.coordinator.forward(-1, {})).rejects.toThrow(RangeError);
    expect(await queued(observer)).toBe(0);
  });

  it('reports reconnecting while PostgreSQL restarts, then holds every shard again and takes forwarded notifications', async () => {
    const settings = { leaseMs: 4_000, renewMs: 1_000, reconnectMinMs: 100, reconnectMaxMs: 500 };
    const database = await postgres.createDatabase();
    const observer = await observe(database);
    observers.push(observer);
    const collectors = ['a', 'b'].map((id) => testCollector(database, id, { clock: systemClock, settings }));
    for (const c of collectors) {
      await c.coordinator.start();
      started.push(c);
    }
    const [a, b] = collectors as [TestCollector, TestCollector];
    const balanced = () => a.coordinator.heldShards().length + b.coordinator.heldShards().length === SHARD_COUNT && a.coordinator.heldShards().length === 128;
    await until('the first rounds to share the shards', balanced, 10_000);

    await observer.end();
    observers.pop();
    await postgres.restart();
    await until('both to be back', () => collectors.every((c) => c.health.includes('reconnecting') && c.coordinator.health === 'connected' && balanced()), 15_000);
    for (const c of collectors) expect(c.health.slice(0, 3)).toEqual(['connected', 'reconnecting', 'connected']);

    const after = await observe(database);
    observers.push(after);
    await until('the lease table to agree', async () => {
      try {
        await expectOneOwnerPerShard(after, collectors);
        return (await after.query(`SELECT 1 FROM shard_lease WHERE lease_until <= now()`)).rowCount === 0;
      } catch {
        return false; // a round between our query and our look at the coordinators
      }
    }, 5_000);
    const device = deviceOwnedBy(a);
    await b.coordinator.forward(device, { after: 'restart' });
    await until('a to take it', () => a.delivered.some((n) => n.deviceId === device), 5_000);
  });
});
