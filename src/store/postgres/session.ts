import type { StoreSession } from '../session.js';
import type { SyncBridge } from './bridge.js';
import { PostgresError, SQLSTATE } from './errors.js';

/** Write transactions on the bridge's pinned session, and unique violations read from the constraint's name. */
export function postgresSession(bridge: SyncBridge): StoreSession {
  return {
    write: (work, options) => bridge.transaction(work, options),
    uniqueViolation(error: unknown): string | undefined {
      if (!(error instanceof PostgresError) || error.code !== SQLSTATE.uniqueViolation || !error.constraint) return undefined;
      // PostgreSQL names a one-column UNIQUE constraint <table>_<column>_key (the schema keeps those names).
      const { table, constraint } = error;
      const indexed = UNIQUE_INDEX_COLUMNS.get(constraint);
      if (indexed) return indexed;
      const column = table && constraint.startsWith(`${table}_`) && constraint.endsWith('_key') ? constraint.slice(table.length + 1, -'_key'.length) : undefined;
      return column ? `${table}.${column}` : `index ${constraint}`;
    },
  };
}

/**
 * The schema's unique indexes over plain columns (partial, so not constraints), spelled by their
 * columns as SQLite names them in its message: the repositories read one spelling on both.
 */
const UNIQUE_INDEX_COLUMNS: ReadonlyMap<string, string> = new Map([
  ['devices_address', 'devices.address'],
  ['devices_chain_position', 'devices.address, devices.chain_position'],
]);
