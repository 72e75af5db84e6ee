/** Failures of cluster coordination, each with a stable code callers can branch on. */
export type ClusterErrorCode =
  /** The database holds a cluster schema written by a newer priscan. */
  | 'CLUSTER_SCHEMA_NEWER'
  /** PostgreSQL cannot be reached right now (down, restarting, connection lost). */
  | 'CLUSTER_UNAVAILABLE'
  /** A write for a shard whose lease moved on (a newer epoch) or lapsed: it must not happen. */
  | 'SHARD_FENCED'
  /** Coordination settings that cannot work (e.g. renewals slower than the lease). */
  | 'CLUSTER_CONFIG_INVALID'
  /** A forwarded notification too large to queue. */
  | 'INBOX_PAYLOAD_TOO_LARGE';

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The SQLSTATE `priscan_assert_shard_epoch` raises; defined in the cluster schema. */
export const FENCED_SQLSTATE = 'PRF01';

/** True for the database error a fenced write raises. */
export function isFencedError(error: unknown): boolean {
  if (error instanceof ClusterError) return error.code === 'SHARD_FENCED';
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === FENCED_SQLSTATE;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
