import { PostgresError } from './postgres/errors.js';

/** Failures of the store itself (not of what was asked of it), each with a stable code. */
export type StoreErrorCode =
  /** The database cannot be reached now (down, restarting, the connection lost); the call changed nothing. */
  | 'STORE_UNAVAILABLE'
  /** The database did not answer within the call's time limit; the call's transaction, if any, was rolled back. */
  | 'STORE_TIMEOUT'
  /** The database holds a schema written by a newer priscan. */
  | 'STORE_SCHEMA_NEWER'
  /** The database holds an older schema, and the command only reads (it migrates nothing). */
  | 'STORE_SCHEMA_OLDER'
  /** The store was closed. */
  | 'STORE_CLOSED'
  /** The store's configuration cannot work (e.g. a password file that cannot be read). */
  | 'STORE_CONFIG_INVALID';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * SQLSTATEs of a server going away under a call: connection exceptions (08…), and admin_shutdown,
 * crash_shutdown, cannot_connect_now (57P01–57P03) when a query meets the shutdown itself.
 */
const SERVER_GONE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123])$/;

/** The database cannot be reached now or did not answer in time: the work can be tried again later. */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreError) return error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_TIMEOUT';
  return error instanceof PostgresError && SERVER_GONE_SQLSTATE.test(error.code);
}
