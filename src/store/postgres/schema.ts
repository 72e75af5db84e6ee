import { StoreError } from '../errors.js';
import type { SyncBridge } from './bridge.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

const COMPONENT = 'store';
/** pg_advisory_xact_lock key for schema changes by any priscan component ('pris'; src/cluster/schema.ts takes the same). */
const SCHEMA_LOCK_KEY = 0x70726973;

export interface SchemaOptions {
  /** The schema history to apply; the shipped one unless a test says otherwise. */
  migrations?: readonly string[];
  /** Changes nothing: a schema other than this priscan's is refused (for commands that only look). */
  readOnly?: boolean;
  /** For messages: which database. */
  location: string;
}

/**
 * Brings the store's tables up to date, in one transaction under the advisory lock every priscan
 * component takes for schema changes, so collectors starting together apply each step once.
 * A database whose store schema is newer than this priscan's is refused untouched.
 */
export function applyStoreSchema(bridge: SyncBridge, options: SchemaOptions): { from: number; to: number } {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  const known = migrations.length;
  if (options.readOnly) {
    const from = storeVersion(bridge);
    if (from > known) throw newer(options.location, from, known);
    if (from < known) throw new StoreError('STORE_SCHEMA_OLDER', `${options.location} has store schema version ${from}, this priscan reads version ${known}: start priscan serve once to upgrade it`);
    return { from, to: from };
  }
  return bridge.transaction(() => {
    bridge.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    bridge.query('CREATE TABLE IF NOT EXISTS priscan_schema (component text PRIMARY KEY, version integer NOT NULL)');
    const from = storeVersion(bridge);
    if (from > known) throw newer(options.location, from, known);
    for (let version = from + 1; version <= known; version++) {
      try {
        bridge.query(migrations[version - 1] as string);
      } catch (error) {
        throw new Error(`store schema migration to version ${version} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    if (known > from) {
      bridge.query('INSERT INTO priscan_schema (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version', [COMPONENT, known]);
    }
    return { from, to: Math.max(from, known) };
  });
}

/** The store's schema version in the database (0 for none). */
export function storeVersion(bridge: SyncBridge): number {
  const table = bridge.query<{ found: string | null }>("SELECT to_regclass('priscan_schema')::text AS found").rows[0]?.found;
  if (!table) return 0;
  return bridge.query<{ version: number }>('SELECT version FROM priscan_schema WHERE component = $1', [COMPONENT]).rows[0]?.version ?? 0;
}

function newer(location: string, found: number, known: number): StoreError {
  return new StoreError(
    'STORE_SCHEMA_NEWER',
    `${location} has store schema version ${found}, but this priscan knows versions up to ${known}; ` +
      'it was written by a newer priscan: upgrade priscan, or point it at another database',
  );
}
