// Cluster coordinators for tests: each with its own PostgreSQL session, its events recorded,
// and a check of the one-owner rule against the lease table.
import pg from 'pg';
import pino from 'pino';
import { expect } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import type { ClusterHealth } from '../../src/cluster/connection.js';
import { ClusterCoordinator } from '../../src/cluster/coordinator.js';
import type { ForwardedNotification } from '../../src/cluster/inbox.js';
import { clusterSettings, type ClusterSettings } from '../../src/cluster/settings.js';
import { SHARD_COUNT, shardOf, type ShardClaim } from '../../src/cluster/shards.js';
import { FakeClock } from './fake-clock.js';

export interface TestCollector {
  id: string;
  coordinator: ClusterCoordinator;
  /** A FakeClock unless the test asked for real timers: then rounds run only when the test says. */
  clock: Clock;
  acquired: ShardClaim[][];
  lost: number[][];
  health: ClusterHealth[];
  delivered: ForwardedNotification[];
}

export interface TestCollectorOptions {
  /** Real timers (rounds every renewMs) instead of a FakeClock the test drives. */
  clock?: Clock;
  settings?: Partial<ClusterSettings>;
  /** Replaces the default delivery, which records into `delivered`. */
  deliver?: (batch: ForwardedNotification[]) => Promise<void> | void;
}

const log = pino({ level: process.env.PRISCAN_TEST_LOG ?? 'silent' });

/** A coordinator named `id` (not started); its addresses are never contacted. */
export function testCollector(database: pg.ClientConfig, id: string, options: TestCollectorOptions = {}): TestCollector {
  const clock = options.clock ?? new FakeClock(Date.now());
  const settings = clusterSettings({ collectorId: id, notifyAddr: `${id}.collectors.test:162`, apiAddr: `${id}.collectors.test:8080`, ...options.settings });
  const collector: TestCollector = { id, clock, acquired: [], lost: [], health: [], delivered: [], coordinator: undefined as unknown as ClusterCoordinator };
  const deliver = options.deliver ?? ((batch: ForwardedNotification[]) => void collector.delivered.push(...batch));
  collector.coordinator = new ClusterCoordinator({ database, settings, clock, log, deliver });
  collector.coordinator.on('acquired', (claims) => collector.acquired.push(claims));
  collector.coordinator.on('lost', (shards) => collector.lost.push(shards));
  collector.coordinator.on('health', (health) => collector.health.push(health));
  return collector;
}

export const realTimers = systemClock;

/** One round of each, in order. */
export async function roundOfAll(collectors: readonly TestCollector[]): Promise<void> {
  for (const c of collectors) await c.coordinator.runRound();
}

export interface LeaseRow {
  shard: number;
  owner: string | null;
  epoch: number;
  valid: boolean;
}

/** The lease table as `observer` (a session of the test's own) sees it now. */
export async function leaseTable(observer: pg.ClientBase): Promise<LeaseRow[]> {
  const rows = await observer.query<{ shard: number; owner: string | null; epoch: string; valid: boolean }>('SELECT shard, owner, epoch, lease_until > clock_timestamp() AS valid FROM shard_lease ORDER BY shard');
  return rows.rows.map((r) => ({ ...r, epoch: Number(r.epoch) }));
}

/** Valid leases per owner, from the database. */
export function ownedCounts(rows: readonly LeaseRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.valid && r.owner) counts.set(r.owner, (counts.get(r.owner) ?? 0) + 1);
  return counts;
}

/**
 * The one-owner rule, seen from both sides: no shard is held by two collectors at the epoch
 * the database has, and every valid lease is held, at its epoch, by the collector it names.
 */
export async function expectOneOwnerPerShard(observer: pg.ClientBase, collectors: readonly TestCollector[]): Promise<LeaseRow[]> {
  const rows = await leaseTable(observer);
  expect(rows).toHaveLength(SHARD_COUNT);
  const held = new Map(collectors.map((c) => [c.id, new Map(c.coordinator.heldShards().map((h) => [h.shard, h.epoch]))]));
  const violations: string[] = [];
  for (const row of rows) {
    const holders = collectors.filter((c) => held.get(c.id)?.get(row.shard) === row.epoch).map((c) => c.id);
    if (holders.length > 1) violations.push(`shard ${row.shard} at epoch ${row.epoch} held by ${holders.join(' and ')}`);
    const named = row.owner === null ? undefined : held.get(row.owner);
    if (row.valid && named && named.get(row.shard) !== row.epoch) violations.push(`shard ${row.shard}: leased to ${row.owner} at epoch ${row.epoch}, which holds epoch ${named.get(row.shard)}`);
  }
  expect(violations).toEqual([]);
  return rows;
}

/** A session of the test's own on `database`, to look at the tables (the caller ends it). */
export async function observe(database: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(database);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A device id whose shard `collector` holds. */
export function deviceOwnedBy(collector: TestCollector, from = 1): number {
  const held = new Set(collector.coordinator.heldShards().map((c) => c.shard));
  for (let id = from; id < from + 100_000; id++) if (held.has(shardOf(id))) return id;
  throw new Error(`${collector.id} holds no shard`);
}
