// Which store failures mean "the database is away, try again" (a 503 STORE_UNAVAILABLE, a scan
// retried) and which are errors of the call itself.
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable, StoreError } from '../../src/store/errors.js';
import { PostgresError } from '../../src/store/postgres/errors.js';

describe('isStoreUnavailable', () => {
  it.each([
    ['the bridge reconnecting', new StoreError('STORE_UNAVAILABLE', 'PostgreSQL is unavailable'), true],
    ['a call past its time limit', new StoreError('STORE_TIMEOUT', 'did not answer'), true],
    ['a query that met a fast shutdown (57P01)', new PostgresError({ message: 'terminating connection due to administrator command', sqlstate: '57P01' }), true],
    ['a query that met a crash (57P02)', new PostgresError({ message: 'terminating connection because of crash of another server process', sqlstate: '57P02' }), true],
    ['a server still starting (57P03)', new PostgresError({ message: 'the database system is starting up', sqlstate: '57P03' }), true],
    ['a connection failure (08006)', new PostgresError({ message: 'connection failure', sqlstate: '08006' }), true],
    ['a closed store', new StoreError('STORE_CLOSED', 'the store is closed'), false],
    ['a constraint', new PostgresError({ message: 'duplicate key', sqlstate: '23505', constraint: 'devices_name_key' }), false],
    ['a statement cancelled (57014)', new PostgresError({ message: 'canceling statement', sqlstate: '57014' }), false],
    ['any other error', new Error('boom'), false],
  ])('%s: %s', (_what, error, expected) => {
    expect(isStoreUnavailable(error)).toBe(expected);
  });
});
