import { userVersion, type SqliteDatabase } from '../database.js';
import type { SyncBridge } from './bridge.js';
import { POSTGRES_VERSION_OF_SQLITE } from './migrations.js';
import { storeVersion } from './schema.js';

/**
 * The store's tables in the order their rows are copied: each after the tables its rows refer
 * to. Every table of the schema is here: a table added to the schema and not to this list stops
 * the copy rather than being left behind.
 */
export const STORE_TABLES = [
  'settings',
  'devices',
  'partners',
  'partner_sites',
  'api_tokens',
  'licenses',
  'alarms_active',
  'events',
  'audit_log',
  'registrations',
  'maintenance_windows',
  'maintenance_devices',
  'webhook_deliveries',
  'threshold_overrides',
  'reading_series',
  'reading_points',
] as const;

/**
 * Rows that refer to rows of their own table, in an order that puts the row referred to first:
 * a shadow may have been given a lead added after it, and a batch's foreign keys are checked
 * when that batch is inserted. Leads are one level deep, so leads first, then their shadows.
 */
const COPY_ORDER: ReadonlyMap<string, string> = new Map([['devices', 'lead_id IS NOT NULL, id']]);

/** Rows of one table in the source and, after the copy, in the target. */
export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface CopyReport {
  tables: TableCount[];
  /** The next event id the target gives out (the source's counter carried over, deleted ids included). */
  nextEventId: number;
}

/** Why a copy was refused or undone; `report` holds the counts when they were compared. */
export class StoreCopyError extends Error {
  override readonly name = 'StoreCopyError';

  constructor(
    message: string,
    readonly report?: CopyReport,
  ) {
    super(message);
  }
}

/** Rows per INSERT: many fewer round trips, well within PostgreSQL's 65,535 parameters a statement. */
const BATCH_PARAMETERS = 30_000;
const BATCH_ROWS_MAX = 1000;

/**
 * Copies every row of a SQLite store into a PostgreSQL store of the same schema, in one
 * transaction on the target, ids kept and each id sequence set past the source's (the event log's
 * counter included, so an id of a deleted event is never given again); then compares each table's
 * rows, and undoes everything on a difference. The source is read in one transaction (a
 * consistent snapshot). A target holding rows is refused unless `replace`, which empties it first.
 */
export function copySqliteToPostgres({ source, target, replace }: { source: SqliteDatabase; target: SyncBridge; replace: boolean }): CopyReport {
  checkSchemas(source, target);
  source.exec('BEGIN');
  try {
    return target.transaction(() => {
      const before = countAll(target);
      const holding = before.filter(([, n]) => n > 0);
      if (holding.length > 0 && !replace) {
        throw new StoreCopyError(
          `the target already holds ${holding.map(([table, n]) => `${n} ${table}`).join(', ')}: migrate-store copies into an empty store ` +
            '(--force empties it first, losing what it holds)',
        );
      }
      if (holding.length > 0) target.query(`TRUNCATE ${STORE_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
      const identity = new Set(target.query<{ table_name: string }>("SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'").rows.map((r) => r.table_name));
      for (const table of STORE_TABLES) copyTable(source, target, { table, identity: identity.has(table) });
      const nextEventId = setSequences(source, target, identity);
      const after = new Map(countAll(target));
      const tables = STORE_TABLES.map((table) => ({ table, source: count(source, table), target: after.get(table) ?? 0 }));
      const report = { tables, nextEventId };
      const differing = tables.filter((t) => t.source !== t.target);
      if (differing.length > 0) {
        throw new StoreCopyError(`rows differ in ${differing.map((t) => `${t.table} (${t.source} in SQLite, ${t.target} in PostgreSQL)`).join(', ')}: nothing was kept`, report);
      }
      return report;
    });
  } finally {
    source.exec('COMMIT');
  }
}

/** The same schema on both sides: the versions correspond, and the tables and their columns match. */
function checkSchemas(source: SqliteDatabase, target: SyncBridge): void {
  const sqlite = userVersion(source);
  const wanted = POSTGRES_VERSION_OF_SQLITE.get(sqlite);
  const found = storeVersion(target);
  if (wanted !== found) {
    throw new StoreCopyError(`the SQLite store is at schema version ${sqlite}, ${wanted === undefined ? 'which no PostgreSQL store version holds' : `held by PostgreSQL store version ${wanted}`}; the target is at version ${found}`);
  }
  const tables = source.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
  const unknown = tables.filter((t) => !(STORE_TABLES as readonly string[]).includes(t));
  const missing = STORE_TABLES.filter((t) => !tables.includes(t));
  if (unknown.length > 0 || missing.length > 0) {
    throw new StoreCopyError(`the SQLite store's tables are not the ones migrate-store copies (${[...unknown.map((t) => `not copied: ${t}`), ...missing.map((t) => `missing: ${t}`)].join('; ')})`);
  }
  for (const table of STORE_TABLES) {
    const inSqlite = columnsIn(source, table).sort();
    const inPostgres = target.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table]).rows.map((r) => r.column_name).sort();
    if (inSqlite.join() !== inPostgres.join()) throw new StoreCopyError(`table ${table} has columns ${inSqlite.join(', ')} in SQLite but ${inPostgres.join(', ')} in PostgreSQL`);
  }
}

function columnsIn(source: SqliteDatabase, table: string): string[] {
  return (source.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
}

function copyTable(source: SqliteDatabase, target: SyncBridge, { table, identity }: { table: string; identity: boolean }): void {
  const columns = columnsIn(source, table);
  const perBatch = Math.max(1, Math.min(BATCH_ROWS_MAX, Math.floor(BATCH_PARAMETERS / columns.length)));
  const insert = (rows: unknown[][]) => {
    const values = rows.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    // The source's ids, not the sequence's: rows that refer to them stay right.
    target.query(`INSERT INTO ${table} (${columns.join(', ')}) ${identity ? 'OVERRIDING SYSTEM VALUE ' : ''}VALUES ${values}`, rows.flat());
  };
  let batch: unknown[][] = [];
  const order = COPY_ORDER.get(table);
  for (const row of source.prepare(`SELECT ${columns.join(', ')} FROM ${table}${order ? ` ORDER BY ${order}` : ''}`).raw().iterate() as Iterable<unknown[]>) {
    batch.push(row);
    if (batch.length === perBatch) {
      insert(batch);
      batch = [];
    }
  }
  if (batch.length > 0) insert(batch);
}

/** Each identity sequence past the highest id the source used; returns the next event id. */
function setSequences(source: SqliteDatabase, target: SyncBridge, identity: ReadonlySet<string>): number {
  // AUTOINCREMENT tables remember ids of deleted rows; the others reuse them, so their max is all there is.
  const spent = new Map(source.prepare<[], { name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence').all().map((r) => [r.name, r.seq]));
  let nextEventId = 1;
  for (const table of STORE_TABLES) {
    if (!identity.has(table)) continue;
    const highest = Math.max(spent.get(table) ?? 0, source.prepare<[], number>(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get() ?? 0);
    target.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2, $3)`, [table, Math.max(highest, 1), highest > 0]);
    if (table === 'events') nextEventId = highest + 1;
  }
  return nextEventId;
}

function countAll(target: SyncBridge): [string, number][] {
  const counts = target.query<Record<string, number>>(`SELECT ${STORE_TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`).rows[0]!;
  return STORE_TABLES.map((t) => [t, counts[t] ?? 0]);
}

function count(source: SqliteDatabase, table: string): number {
  return source.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() ?? 0;
}
