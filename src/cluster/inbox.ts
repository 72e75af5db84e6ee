/**
 * Notifications received by a collector that does not own the device, on their way to the one
 * that does. The row is the message; NOTIFY is only a doorbell (lost when nobody listens), so
 * the owner also drains on (re)connection, on acquiring shards and every round.
 */
import type pg from 'pg';
import { ClusterError } from './errors.js';
import { shardOf, type ShardClaim } from './shards.js';

type Query = Pick<pg.ClientBase, 'query'>;

/** The channel owners LISTEN on; its payload is the shard number, never the notification. */
export const INBOX_CHANNEL = 'priscan_inbox';
/** A decoded notification is a few kB at most; anything far larger is refused, not queued. */
export const MAX_INBOX_PAYLOAD_BYTES = 64 * 1024;

export interface ForwardedNotification {
  id: number;
  deviceId: number;
  shard: number;
  /** The epoch of the owner's lease when it took the row: fence writes it causes with this. */
  epoch: number;
  payload: unknown;
  receivedAt: Date;
  /** Collector id that received the notification from the device. */
  receivedBy: string;
}

/** Queues a notification for the device's owner and rings its doorbell, in one statement. */
export async function forwardToOwner(db: Query, forward: { deviceId: number; payload: unknown; receivedBy: string }): Promise<{ id: number; shard: number }> {
  const shard = shardOf(forward.deviceId);
  const json = JSON.stringify(forward.payload);
  if (json === undefined) throw new ClusterError('INBOX_PAYLOAD_TOO_LARGE', 'the payload is not JSON');
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_INBOX_PAYLOAD_BYTES) throw new ClusterError('INBOX_PAYLOAD_TOO_LARGE', `a forwarded notification of ${bytes} bytes exceeds ${MAX_INBOX_PAYLOAD_BYTES}`);
  const queued = await db.query<{ id: string }>(
    `WITH queued AS (
       INSERT INTO inbox (device_id, shard, payload, received_by) VALUES ($1, $2, $3::jsonb, $4) RETURNING id, shard
     )
     SELECT id, pg_notify('${INBOX_CHANNEL}', shard::text) FROM queued`,
    [forward.deviceId, shard, json, forward.receivedBy],
  );
  return { id: Number(queued.rows[0]?.id), shard };
}

/**
 * Takes up to `limit` queued notifications of shards we hold at these epochs, oldest first.
 * Run inside a transaction: the rows are deleted only if it commits, so a delivery that fails
 * (or a collector that dies mid-way) leaves them for the next try; the share lock on the leases
 * keeps them from being claimed by a peer until then.
 */
export async function takeForwarded(db: Query, me: string, held: readonly ShardClaim[], limit: number): Promise<ForwardedNotification[]> {
  if (held.length === 0) return [];
  const taken = await db.query<{ id: string; device_id: string; shard: number; epoch: string; payload: unknown; received_at: Date; received_by: string }>(
    `DELETE FROM inbox i USING (
       SELECT q.id, s.epoch FROM inbox q
       JOIN shard_lease s ON s.shard = q.shard
       JOIN unnest($2::int[], $3::bigint[]) AS h (shard, epoch) ON h.shard = s.shard AND h.epoch = s.epoch
       WHERE s.owner = $1 AND s.lease_until > now()
       ORDER BY q.id LIMIT $4
       FOR UPDATE OF q SKIP LOCKED
       FOR SHARE OF s SKIP LOCKED
     ) pick
     WHERE i.id = pick.id
     RETURNING i.id, i.device_id, i.shard, pick.epoch, i.payload, i.received_at, i.received_by`,
    [me, held.map((c) => c.shard), held.map((c) => c.epoch), limit],
  );
  return taken.rows
    .map((r) => ({ id: Number(r.id), deviceId: Number(r.device_id), shard: r.shard, epoch: Number(r.epoch), payload: r.payload, receivedAt: r.received_at, receivedBy: r.received_by }))
    .sort((a, b) => a.id - b.id);
}
