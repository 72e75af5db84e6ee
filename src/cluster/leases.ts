/**
 * The SQL of membership and shard leases. Every time is the database's `now()` (the start of the
 * round's transaction), so collectors' own clocks never decide who owns what. Rows are locked
 * in shard order, the order a writer fencing several shards should use too.
 */
import type pg from 'pg';
import type { CollectorLoad } from './balance.js';
import type { ShardClaim } from './shards.js';

type Query = Pick<pg.ClientBase, 'query'>;

export interface Member {
  collectorId: string;
  notifyAddr: string;
  apiAddr: string;
  leaseMs: number;
}

/**
 * Registers or renews this collector; `joining` starts its join grace period afresh. Returns
 * whether it (re)joined now: new, `joining`, or back after its lease lapsed.
 */
export async function heartbeat(db: Query, member: Member, joining: boolean): Promise<boolean> {
  const row = await db.query<{ joined: boolean }>(
    `INSERT INTO collector (id, notify_addr, api_addr, started_at, lease_until)
     VALUES ($1, $2, $3, now(), now() + $4 * interval '1 millisecond')
     ON CONFLICT (id) DO UPDATE SET
       notify_addr = EXCLUDED.notify_addr,
       api_addr = EXCLUDED.api_addr,
       -- back from the dead (paused past its lease) is a join too
       started_at = CASE WHEN $5 OR collector.lease_until <= now() THEN now() ELSE collector.started_at END,
       lease_until = EXCLUDED.lease_until
     RETURNING started_at = now() AS joined`,
    [member.collectorId, member.notifyAddr, member.apiAddr, member.leaseMs, joining],
  );
  return row.rows[0]?.joined ?? true;
}

/** Extends the leases still held at the epochs we hold them; returns the shards renewed. */
export async function renewShards(db: Query, member: Member, held: readonly ShardClaim[]): Promise<Set<number>> {
  if (held.length === 0) return new Set();
  const renewed = await db.query<{ shard: number }>(
    `WITH mine AS (
       SELECT s.shard FROM shard_lease s
       JOIN unnest($2::int[], $3::bigint[]) AS h (shard, epoch) ON h.shard = s.shard AND h.epoch = s.epoch
       WHERE s.owner = $1 AND s.lease_until > now()
       ORDER BY s.shard FOR UPDATE OF s
     )
     UPDATE shard_lease s SET lease_until = now() + $4 * interval '1 millisecond'
     FROM mine WHERE s.shard = mine.shard
     RETURNING s.shard`,
    [member.collectorId, held.map((c) => c.shard), held.map((c) => c.epoch), member.leaseMs],
  );
  return new Set(renewed.rows.map((r) => r.shard));
}

export interface ClusterLoad {
  /** Live collectors; `owned` counts valid leases (ours included, whichever life took them). */
  collectors: CollectorLoad[];
  freeOrphaned: number;
  freeReleased: number;
}

/** What the balance plan needs: live collectors' loads and the shards free to claim. */
export async function readLoad(db: Query, me: string, held: readonly number[], joinGraceMs: number): Promise<ClusterLoad> {
  const collectors = await db.query<{ id: string; settled: boolean; owned: number }>(
    `SELECT c.id, now() - c.started_at >= $1 * interval '1 millisecond' AS settled, count(s.shard)::int AS owned
     FROM collector c LEFT JOIN shard_lease s ON s.owner = c.id AND s.lease_until > now()
     WHERE c.lease_until > now()
     GROUP BY c.id`,
    [joinGraceMs],
  );
  const free = await db.query<{ orphaned: number; released: number }>(
    `SELECT count(*) FILTER (WHERE orphaned)::int AS orphaned, count(*) FILTER (WHERE NOT orphaned)::int AS released
     FROM (SELECT ${ORPHANED} AS orphaned FROM ${CLAIMABLE}) free`,
    [me, held],
  );
  const counts = free.rows[0] ?? { orphaned: 0, released: 0 };
  return { collectors: collectors.rows, freeOrphaned: counts.orphaned, freeReleased: counts.released };
}

/**
 * Shards we may claim ($1 = us, $2 = shards we hold): lease lapsed or released, or recorded as
 * ours from an earlier life of this collector id (its epochs are unknown to us: claim afresh).
 */
const CLAIMABLE = `shard_lease s LEFT JOIN collector c ON c.id = s.owner AND c.lease_until > now()
  WHERE (s.lease_until <= now() OR s.owner = $1) AND NOT (s.shard = ANY($2::int[]))`;
/** Among those: nobody alive gave it up, so nobody should wait for it. */
const ORPHANED = `(s.owner IS NULL OR s.owner = $1 OR c.id IS NULL)`;

/** Claims up to `limit` shards of one kind, each at epoch + 1; returns what we got. */
export async function claimShards(db: Query, member: Member, claim: { kind: 'orphaned' | 'released'; limit: number; held: readonly number[] }): Promise<ShardClaim[]> {
  if (claim.limit <= 0) return [];
  const claimed = await db.query<{ shard: number; epoch: string }>(
    `WITH pick AS (
       SELECT s.shard FROM ${CLAIMABLE} AND ${claim.kind === 'orphaned' ? '' : 'NOT '}${ORPHANED}
       ORDER BY s.shard LIMIT $3
       FOR UPDATE OF s SKIP LOCKED
     )
     UPDATE shard_lease s SET owner = $1, epoch = s.epoch + 1, lease_until = now() + $4 * interval '1 millisecond'
     FROM pick WHERE s.shard = pick.shard
     RETURNING s.shard, s.epoch`,
    [member.collectorId, claim.held, claim.limit, member.leaseMs],
  );
  return claimed.rows.map((r) => ({ shard: r.shard, epoch: Number(r.epoch) })).sort((a, b) => a.shard - b.shard);
}

/** Ends the leases of up to `limit` of our shards (highest first) so a peer claims them. */
export async function releaseShards(db: Query, me: string, held: readonly ShardClaim[], limit: number): Promise<number[]> {
  if (limit <= 0 || held.length === 0) return [];
  const released = await db.query<{ shard: number }>(
    `WITH pick AS (
       SELECT s.shard FROM shard_lease s
       JOIN unnest($2::int[], $3::bigint[]) AS h (shard, epoch) ON h.shard = s.shard AND h.epoch = s.epoch
       WHERE s.owner = $1 AND s.lease_until > now()
       ORDER BY s.shard DESC LIMIT $4
       FOR UPDATE OF s SKIP LOCKED
     )
     UPDATE shard_lease s SET lease_until = now() FROM pick WHERE s.shard = pick.shard
     RETURNING s.shard`,
    [me, held.map((c) => c.shard), held.map((c) => c.epoch), limit],
  );
  return released.rows.map((r) => r.shard).sort((a, b) => a - b);
}

/** A graceful leave: our collector row and every lease we hold end now, for peers to claim. */
export async function leave(db: Query, me: string, held: readonly ShardClaim[]): Promise<void> {
  await releaseShards(db, me, held, held.length);
  await db.query('UPDATE collector SET lease_until = now() WHERE id = $1', [me]);
}

export interface CollectorInfo {
  id: string;
  notifyAddr: string;
  apiAddr: string;
  startedAt: Date;
  leaseUntil: Date;
  live: boolean;
  /** Shards it holds a valid lease on. */
  shards: number;
}

/** Every collector the database knows, live or not, with the shards each holds. */
export async function listCollectors(db: Query): Promise<CollectorInfo[]> {
  const rows = await db.query<{ id: string; notify_addr: string; api_addr: string; started_at: Date; lease_until: Date; live: boolean; shards: number }>(
    `SELECT c.id, c.notify_addr, c.api_addr, c.started_at, c.lease_until, c.lease_until > now() AS live, count(s.shard)::int AS shards
     FROM collector c LEFT JOIN shard_lease s ON s.owner = c.id AND s.lease_until > now()
     GROUP BY c.id ORDER BY c.id`,
  );
  return rows.rows.map((r) => ({ id: r.id, notifyAddr: r.notify_addr, apiAddr: r.api_addr, startedAt: r.started_at, leaseUntil: r.lease_until, live: r.live, shards: r.shards }));
}
