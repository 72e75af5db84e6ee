import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';
import { createPrivateFile, makePrivateDirectories, withholdFromOthers } from './private-files.js';
import type { StoreSession } from './session.js';

/** A better-sqlite3 connection. */
export type SqliteDatabase = Database.Database;
/**
 * better-sqlite3's types, for the one SQLite file outside the store: the license authority's
 * ledger (src/licensing/ledger.ts), which is no part of the daemon's state.
 */
export type { default as Sqlite } from 'better-sqlite3';

const BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  /** The schema history to apply; the shipped one unless a test says otherwise. */
  migrations?: readonly Migration[];
  /** Hears what a data migration did (one line each, e.g. two devices merged), once it has committed. */
  onMigrationNote?: (note: string) => void;
  /**
   * Reads an existing database and changes nothing: no file or directory is created, nothing
   * is migrated, and a schema other than this priscan's is refused (for commands that only look).
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed, owner-only) the daemon's SQLite database and brings its
 * schema up to date. A database written by a newer priscan is refused rather
 * than guessed at.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? MIGRATIONS;
  const inMemory = path === ':memory:' || path === '';
  const readOnly = options.readOnly === true && !inMemory;
  if (!inMemory && !readOnly) createPrivateDatabaseFile(path);

  let db: SqliteDatabase;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS, readonly: readOnly, fileMustExist: readOnly });
  } catch (error) {
    throw new Error(`cannot open database ${path}: ${describe(error)}`, { cause: error });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Checked before anything else touches the file, so a refused database is left as it was.
    const version = userVersion(db);
    if (version > migrations.length) {
      throw new Error(
        `database ${path} has schema version ${version}, but this priscan knows versions up to ${migrations.length}; ` +
          'it was written by a newer priscan: upgrade priscan, or point it at another data directory',
      );
    }
    if (readOnly) {
      if (version < migrations.length) {
        throw new Error(`database ${path} has schema version ${version}, this priscan reads version ${migrations.length}: start priscan serve once to upgrade it`);
      }
      return db;
    }
    if (!inMemory) withholdFromOthers([path, `${path}-wal`, `${path}-shm`, `${path}-journal`]);
    if (!inMemory) db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    for (const note of migrate(db, migrations)) options.onMigrationNote?.(note);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Write transactions and constraint errors as SQLite has them. */
export function sqliteSession(db: SqliteDatabase): StoreSession {
  const transaction = db.transaction((work: () => unknown) => work());
  return {
    write<T>(work: () => T, options?: { fence?: unknown }): T {
      // One database file, one writer: there are no shards to fence.
      if (options?.fence) throw new Error('fenced writes need the PostgreSQL store (cluster mode)');
      // IMMEDIATE: the write lock first, so what the work reads is what it writes over.
      return transaction.immediate(work) as T;
    },
    uniqueViolation(error: unknown): string | undefined {
      const code = (error as { code?: unknown } | null)?.code;
      if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
      // "UNIQUE constraint failed: devices.name", or "…: index 'threshold_overrides_key'" for an expression index.
      const what = /constraint failed: (.*)$/.exec((error as Error).message)?.[1] ?? '';
      const index = /^index '(.+)'$/.exec(what)?.[1];
      return index !== undefined ? `index ${index}` : what;
    },
  };
}

/** The schema version recorded in the file (0 for a new database). */
export function userVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies what the file lacks; returns the notes of the data migrations applied. */
function migrate(db: SqliteDatabase, migrations: readonly Migration[]): string[] {
  const notes: string[] = [];
  migrations.forEach((migration, index) => {
    const target = index + 1;
    if (userVersion(db) >= target) return;
    const rebuilds = typeof migration !== 'string' && 'rebuildsTables' in migration;
    // IMMEDIATE and re-checked inside, so two processes opening at once apply each step once.
    const step = db.transaction((): string[] => {
      if (userVersion(db) >= target) return [];
      const stepNotes = runMigration(db, migration);
      if (rebuilds) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`${broken.length} rows would lose the row they refer to`);
      }
      db.pragma(`user_version = ${target}`);
      return stepNotes;
    });
    // Dropping a table with foreign keys on deletes the rows that refer to it (ON DELETE CASCADE):
    // a rebuild turns them off, and they can only change outside a transaction.
    if (rebuilds) db.pragma('foreign_keys = OFF');
    try {
      notes.push(...step.immediate());
    } catch (error) {
      throw new Error(`database migration to schema version ${target} failed: ${describe(error)}`, { cause: error });
    } finally {
      if (rebuilds) db.pragma('foreign_keys = ON');
    }
  });
  return notes;
}

/** One migration's SQL, or its code; returns a data migration's notes. */
function runMigration(db: SqliteDatabase, migration: Migration): string[] {
  if (typeof migration === 'string') {
    db.exec(migration);
    return [];
  }
  if ('apply' in migration) return migration.apply(db);
  db.exec(migration.sql);
  return [];
}

/** The directory (0700 where priscan makes it) and an empty 0600 file, unless they exist. */
function createPrivateDatabaseFile(path: string): void {
  const dir = dirname(resolve(path));
  try {
    makePrivateDirectories(dir);
  } catch (error) {
    throw new Error(`cannot create the database directory ${dir} (for ${path}): ${describe(error)}`, { cause: error });
  }
  try {
    createPrivateFile(path);
  } catch (error) {
    throw new Error(`cannot open database ${path}: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
