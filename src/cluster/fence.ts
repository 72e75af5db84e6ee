import type pg from 'pg';
import { ClusterError, isFencedError } from './errors.js';
import type { ShardClaim } from './shards.js';

/**
 * The statement a write transaction runs before writing a shard's state (devices, alarms,
 * events of devices in that shard), with the epoch the writer's collector holds the shard at.
 * It raises SQLSTATE PRF01 when the lease moved on or lapsed, and keeps the lease share-locked
 * until the transaction ends, so no peer can claim the shard between the check and the commit.
 * Fence several shards in ascending order, the order renewals lock them in.
 */
export const FENCE_SQL = 'SELECT priscan_assert_shard_epoch($1, $2)';

/** Runs the fence inside the caller's transaction; SHARD_FENCED when this writer lost the shard. */
export async function assertShardEpoch(db: Pick<pg.ClientBase, 'query'>, claim: ShardClaim): Promise<void> {
  try {
    await db.query(FENCE_SQL, [claim.shard, claim.epoch]);
  } catch (error) {
    if (isFencedError(error)) throw new ClusterError('SHARD_FENCED', (error as Error).message, { cause: error });
    throw error;
  }
}
