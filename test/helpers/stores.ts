// The store's tests run against both backends: eachStore() defines a file's tests twice, under
// `sqlite` (a temp file per test) and `postgres` (one throwaway cluster per file, a fresh
// database per test, copied from a migrated template). Without PostgreSQL the second set is
// skipped with a message saying why, never silently.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { SyncBridge } from '../../src/store/postgres/bridge.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { SqliteStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { postgresUnavailable, startPostgres, type PostgresCluster } from './postgres.js';

export type BackendName = 'sqlite' | 'postgres';

export interface OpenOptions extends Pick<StoreOptions, 'readingHistory' | 'readOnly'> {
  clock?: { now(): number };
}

export interface StoreBackend {
  readonly name: BackendName;
  /** Opens a store on this test's database; a second call opens a second connection to the same one. */
  open(options?: OpenOptions): Store;
  /** Raw SQL on this test's database through a connection of the test's own, for what the repositories do not show. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): R[];
  /** Rows the store's own connection has written so far (SQLite's total_changes(); PostgreSQL: write statements and transactions sent). */
  writes(store: Store): number;
  /** Where this test's database is: a SQLite file, or PostgreSQL connection settings (for migrate-store). */
  readonly target: { kind: 'sqlite'; path: string } | { kind: 'postgres'; connection: pg.ClientConfig };
}

const T0 = 1_700_000_000_000;

/** Defines `define`'s tests once per backend, each in its own describe named after it. */
export function eachStore(file: string, define: (backend: StoreBackend) => void): void {
  describe('sqlite', () => define(sqliteBackend()));
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.warn(`${file}: the postgres backend's tests are SKIPPED: ${unavailable}.`);
    describe.skip('postgres', () => define(postgresBackend(() => undefined)));
    return;
  }
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
    // Migrated once; each test's database is a copy.
    const template = await cluster.createDatabase('store_template');
    PostgresStore.open({ now: () => T0 }, { connection: template, location: 'the template' }).close();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  describe('postgres', () => define(postgresBackend(() => cluster)));
}

function sqliteBackend(): StoreBackend {
  let dir = '';
  let raw: Database.Database | undefined;
  const opened: Store[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-stores-'));
  });
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    raw?.close();
    raw = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const path = () => join(dir, 'priscan.db');
  return {
    name: 'sqlite',
    open(options = {}) {
      const store = SqliteStore.open(path(), options.clock ?? { now: () => T0 }, options);
      opened.push(store);
      return store;
    },
    sql<R>(text: string, params: unknown[] = []): R[] {
      raw ??= new Database(path());
      const statement = raw.prepare(text);
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as R[];
    },
    writes: (store) => ((store as SqliteStore).db.prepare('SELECT total_changes() AS n').get() as { n: number }).n,
    get target() {
      return { kind: 'sqlite' as const, path: path() };
    },
  };
}

function postgresBackend(cluster: () => PostgresCluster | undefined): StoreBackend {
  let connection: pg.ClientConfig = {};
  let raw: SyncBridge | undefined;
  let databases = 0;
  const opened: Store[] = [];
  beforeEach(async () => {
    const name = `store_test_${process.pid}_${++databases}`;
    await cluster()!.superuser(`CREATE DATABASE ${name} TEMPLATE store_template`);
    connection = cluster()!.config(name);
  });
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    raw?.close();
    raw = undefined;
  });
  return {
    name: 'postgres',
    open(options = {}) {
      const store = PostgresStore.open(options.clock ?? { now: () => T0 }, { ...options, connection, location: `postgres ${connection.database}` });
      opened.push(store);
      return store;
    },
    sql<R>(text: string, params: unknown[] = []): R[] {
      raw ??= SyncBridge.open({ connection, timeoutMs: 10_000 });
      let n = 0;
      // The tests write SQLite's placeholders.
      return raw.query<R>(text.replace(/\?/g, () => `$${++n}`), params).rows;
    },
    writes: (store) => {
      const { writes, transactions } = (store as PostgresStore).bridge.stats();
      return writes + transactions;
    },
    get target() {
      return { kind: 'postgres' as const, connection };
    },
  };
}
