// What only the PostgreSQL store has: its schema, applied once by collectors starting together
// (separate processes, as collectors are), refused untouched when a newer priscan wrote it, shared
// with the cluster's tables; a read-only store that cannot write; and its location, which names
// no password. Needs dist/ (npm test builds it first).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { applyClusterSchema, CLUSTER_MIGRATIONS } from '../../src/cluster/schema.js';
import { packageFile } from '../../src/package.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { newDevice } from '../helpers/devices.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { runTool } from '../helpers/tools.js';

const FILE = 'test/integration/store-postgres.test.ts';
const skip = skipWithoutPostgres(FILE);
const DIST_STORE = packageFile('dist/src/store/postgres/store.js');
const clock = { now: () => 1_700_000_000_000 };

describe.skipIf(skip)('the PostgreSQL store', () => {
  let postgres: PostgresCluster;

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25450 });
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  const open = (connection: pg.ClientConfig, options: { readOnly?: boolean } = {}) => PostgresStore.open(clock, { connection, location: `postgres ${connection.database}`, ...options });
  const versions = async (database: string) =>
    (await postgres.superuser<{ component: string; version: number }>('SELECT component, version FROM priscan_schema ORDER BY component', [], database)).rows;

  it('applies its schema once when collectors start together in their own processes', async () => {
    expect(existsSync(DIST_STORE), `${DIST_STORE} (run npx tsc -p tsconfig.json)`).toBe(true);
    const connection = await postgres.createDatabase();
    const script = `
      const { PostgresStore } = await import(${JSON.stringify(DIST_STORE)});
      const store = PostgresStore.open({ now: () => 1 }, { connection: JSON.parse(process.argv[1]), location: 'test' });
      store.devices.count();
      store.close();`;
    const starts = await Promise.all([1, 2, 3].map(() => runTool(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(connection)], { timeoutMs: 30_000 })));
    for (const started of starts) expect(started, started.stderr).toMatchObject({ code: 0 });
    expect(await versions(connection.database!)).toEqual([{ component: 'store', version: POSTGRES_MIGRATIONS.length }]);
  });

  it('shares priscan_schema with the cluster tables, each at its own version', async () => {
    const connection = await postgres.createDatabase();
    const client = new pg.Client(connection);
    await client.connect();
    try {
      await applyClusterSchema(client);
    } finally {
      await client.end();
    }
    open(connection).close();
    expect(await versions(connection.database!)).toEqual([
      { component: 'cluster', version: CLUSTER_MIGRATIONS.length },
      { component: 'store', version: POSTGRES_MIGRATIONS.length },
    ]);
  });

  it('refuses a database a newer priscan wrote, and leaves it as it was', async () => {
    const connection = await postgres.createDatabase();
    const store = open(connection);
    store.devices.insert(newDevice());
    store.close();
    await postgres.superuser(`UPDATE priscan_schema SET version = 99 WHERE component = 'store'`, [], connection.database);
    expect(() => open(connection)).toThrow(expect.objectContaining({ code: 'STORE_SCHEMA_NEWER', message: expect.stringMatching(new RegExp(`store schema version 99, but this priscan knows versions up to ${POSTGRES_MIGRATIONS.length}\\b.*newer priscan`)) }));
    expect(await versions(connection.database!)).toEqual([{ component: 'store', version: 99 }]);
    expect((await postgres.superuser('SELECT name FROM devices', [], connection.database)).rows).toEqual([{ name: 'ups-1' }]);
  });

  it('applies only the migrations a database has not seen, each atomically', async () => {
    const connection = await postgres.createDatabase();
    const migrations = ['CREATE TABLE a (x integer)'];
    const step = (list: string[]) => PostgresStore.open(clock, { connection, location: 'test', migrations: list });
    step(migrations).close();
    step(migrations).close();
    expect(await versions(connection.database!)).toEqual([{ component: 'store', version: 1 }]);
    expect(() => step([...migrations, 'CREATE TABLE b (y integer); CREATE TABLE a (x integer)'])).toThrow(/store schema migration to version 2 failed: .*relation "a" already exists/);
    expect(await versions(connection.database!)).toEqual([{ component: 'store', version: 1 }]);
    expect((await postgres.superuser("SELECT to_regclass('b')::text AS b", [], connection.database)).rows).toEqual([{ b: null }]);
  });

  it('migrates a store from before shadows (version 1), keeping every device and its one address each', async () => {
    const connection = await postgres.createDatabase();
    const before = PostgresStore.open(clock, { connection, location: 'test', migrations: POSTGRES_MIGRATIONS.slice(0, 1) });
    before.bridge.query(
      `INSERT INTO devices (name, address, port, snmp_version, read_community, write_community, profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, site)
       VALUES ('ups-1', '10.0.0.1', 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, 'api', 1, 'dc1')`,
    );
    before.close();
    const store = open(connection);
    try {
      expect(await versions(connection.database!)).toEqual([{ component: 'store', version: POSTGRES_MIGRATIONS.length }]);
      expect(store.devices.list()).toEqual([expect.objectContaining({ name: 'ups-1', site: 'dc1', leadId: null, chainPosition: null })]);
      expect(() => store.devices.insert(newDevice({ name: 'ups-2', address: '10.0.0.1' }))).toThrow(expect.objectContaining({ name: 'StoreConflictError', field: 'address' }));
    } finally {
      store.close();
    }
  });

  it('opens read-only: it migrates nothing, refuses an older schema, and cannot write', async () => {
    const connection = await postgres.createDatabase();
    expect(() => open(connection, { readOnly: true })).toThrow(expect.objectContaining({ code: 'STORE_SCHEMA_OLDER', message: expect.stringContaining('start priscan serve once') }));
    expect((await postgres.superuser("SELECT to_regclass('priscan_schema')::text AS t", [], connection.database)).rows).toEqual([{ t: null }]);
    open(connection).close();
    const store = open(connection, { readOnly: true });
    try {
      expect(store.devices.list()).toEqual([]);
      expect(() => store.devices.insert(newDevice())).toThrow(expect.objectContaining({ code: '25006' }));
    } finally {
      store.close();
    }
  });
});
