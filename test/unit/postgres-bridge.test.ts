// The synchronous bridge to PostgreSQL (src/store/postgres/bridge.ts) against a real server (a
// throwaway cluster on 127.0.0.1:254xx): results and their types, errors with their SQLSTATE,
// time limits (a server that stops answering is an error, never a hang), transactions and
// savepoints, a session lost and regained, and the fence seam.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyClusterSchema } from '../../src/cluster/schema.js';
import { StoreError } from '../../src/store/errors.js';
import { SyncBridge } from '../../src/store/postgres/bridge.js';
import { PostgresError } from '../../src/store/postgres/errors.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/unit/postgres-bridge.test.ts';
const skip = skipWithoutPostgres(FILE);

/** Blocks this thread, as a long synchronous feature call would. */
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe.skipIf(skip)('the PostgreSQL bridge', () => {
  let postgres: PostgresCluster;
  let database: pg.ClientConfig;
  const opened: SyncBridge[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25445 });
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  afterEach(() => {
    for (const bridge of opened.splice(0)) bridge.close();
  });

  async function open(timeoutMs = 5000, reconnect = { reconnectMinMs: 50, reconnectMaxMs: 200 }): Promise<SyncBridge> {
    database = await postgres.createDatabase();
    return connect(timeoutMs, reconnect);
  }

  function connect(timeoutMs = 5000, reconnect = { reconnectMinMs: 50, reconnectMaxMs: 200 }): SyncBridge {
    const bridge = SyncBridge.open({ connection: database, timeoutMs, ...reconnect });
    opened.push(bridge);
    return bridge;
  }

  /** Calls until one answers (the worker reconnects in the background), at most 5 s. */
  async function untilAnswering(bridge: SyncBridge): Promise<void> {
    await until('the bridge to answer again', () => {
      try {
        return bridge.query('SELECT 1 AS one').rows.length === 1;
      } catch {
        return false;
      }
    });
  }

  it('answers rows with bigint as numbers, bytea as Buffers, nulls and doubles as they are, and counts changed rows', async () => {
    const bridge = await open();
    bridge.query('CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, hash bytea, label text, value double precision)');
    const insert = bridge.prepare('INSERT INTO t (at, hash, label, value) VALUES ($1, $2, $3, $4) RETURNING id');
    const hash = Buffer.from('00ff10ab', 'hex');
    expect(insert.get<{ id: number }>([1_700_000_000_123, hash, null, 21.5])).toEqual({ id: 1 });
    expect(insert.get<{ id: number }>([1_700_000_000_124, null, 'x', -0.25])).toEqual({ id: 2 });
    const rows = bridge.query<{ id: number; at: number; hash: Buffer | null; label: string | null; value: number }>('SELECT * FROM t ORDER BY id').rows;
    expect(rows).toEqual([
      { id: 1, at: 1_700_000_000_123, hash, label: null, value: 21.5 },
      { id: 2, at: 1_700_000_000_124, hash: null, label: 'x', value: -0.25 },
    ]);
    expect(Buffer.isBuffer(rows[0]!.hash)).toBe(true);
    expect(bridge.query('SELECT count(*) AS n FROM t WHERE hash = $1', [hash]).rows).toEqual([{ n: 1 }]);
    expect(bridge.prepare('UPDATE t SET label = $1').run(['y'])).toBe(2);
    expect(bridge.stats()).toMatchObject({ writes: 3, transactions: 0 });
  });

  it('carries PostgreSQL errors back with their SQLSTATE and constraint, never the failing row', async () => {
    const bridge = await open();
    bridge.query("CREATE TABLE d (name text UNIQUE, community text, port integer CHECK (port > 0))");
    bridge.query("INSERT INTO d VALUES ('a', 'very-secret-community', 161)");
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error as PostgresError;
      }
      throw new Error('expected an error');
    };
    const unique = caught(() => bridge.query('INSERT INTO d VALUES ($1, $2, $3)', ['a', 'very-secret-community', 161]));
    expect(unique).toBeInstanceOf(PostgresError);
    expect(unique).toMatchObject({ code: '23505', constraint: 'd_name_key', table: 'd' });
    const check = caught(() => bridge.query('INSERT INTO d VALUES ($1, $2, $3)', ['b', 'very-secret-community', -1]));
    expect(check).toMatchObject({ code: '23514', constraint: 'd_port_check', message: expect.stringMatching(/^CHECK constraint failed: d_port_check/) });
    for (const error of [unique, check]) expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('very-secret-community');
    expect(caught(() => bridge.query('SELEC 1'))).toMatchObject({ code: '42601' });
    // The session is fine after an error.
    expect(bridge.query('SELECT count(*) AS n FROM d').rows).toEqual([{ n: 1 }]);
  });

  it('fails a call past its time limit with STORE_TIMEOUT, then answers again on a new session', async () => {
    const bridge = await open(400);
    const started = Date.now();
    expect(() => bridge.query('SELECT pg_sleep(5)')).toThrow(expect.objectContaining({ code: 'STORE_TIMEOUT', message: expect.stringContaining('SELECT pg_sleep(5)') }));
    // Bounded by the limit, not by the statement: a wide margin, not a speed test.
    expect(Date.now() - started).toBeLessThan(4000);
    await untilAnswering(bridge);
  });

  it('turns a PostgreSQL that stops answering (its backend stopped) into STORE_TIMEOUT, never a hang', async () => {
    const bridge = await open(500);
    const pid = bridge.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0]!.pid;
    execFileSync('kill', ['-STOP', String(pid)]);
    try {
      expect(() => bridge.query('SELECT 1')).toThrow(expect.objectContaining({ code: 'STORE_TIMEOUT' }));
    } finally {
      execFileSync('kill', ['-CONT', String(pid)]);
    }
    await untilAnswering(bridge);
    expect(bridge.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0]!.pid).not.toBe(pid);
  });

  it('commits a transaction, rolls it back when its work throws, and nests savepoints', async () => {
    const bridge = await open();
    bridge.query('CREATE TABLE n (x integer PRIMARY KEY)');
    const xs = () => bridge.query<{ x: number }>('SELECT x FROM n ORDER BY x').rows.map((r) => r.x);
    expect(bridge.transaction(() => (bridge.query('INSERT INTO n VALUES (1)'), 'done'))).toBe('done');
    expect(() =>
      bridge.transaction(() => {
        bridge.query('INSERT INTO n VALUES (2)');
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(xs()).toEqual([1]);

    bridge.transaction(() => {
      bridge.query('INSERT INTO n VALUES (3)');
      expect(bridge.inTransaction).toBe(true);
      expect(() =>
        bridge.transaction(() => {
          bridge.query('INSERT INTO n VALUES (4)');
          bridge.query('INSERT INTO n VALUES (1)');
        }),
      ).toThrow(/UNIQUE constraint failed/);
      bridge.transaction(() => bridge.query('INSERT INTO n VALUES (5)'));
    });
    expect(xs()).toEqual([1, 3, 5]);
    expect(bridge.inTransaction).toBe(false);

    expect(() => bridge.transaction(() => Promise.resolve(bridge.query('INSERT INTO n VALUES (6)')))).toThrow(/cannot return a promise/);
    expect(xs()).toEqual([1, 3, 5]);
  });

  it('fails fast while PostgreSQL is down, and works again once it is back', async () => {
    const bridge = await open(3000);
    bridge.query('CREATE TABLE r (x integer)');
    const restart = postgres.restart({ downMs: 800 });
    await until('the server to go down', () => {
      try {
        bridge.query('SELECT 1');
        return false;
      } catch (error) {
        return (error as StoreError).code === 'STORE_UNAVAILABLE';
      }
    });
    const started = Date.now();
    expect(() => bridge.query('SELECT 1')).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/unavailable|terminat|ECONNREFUSED/) }));
    expect(Date.now() - started).toBeLessThan(2500);
    await restart;
    await untilAnswering(bridge);
    bridge.query('INSERT INTO r VALUES (1)');
    expect(bridge.query('SELECT count(*) AS n FROM r').rows).toEqual([{ n: 1 }]);
  });

  it('never carries on a transaction on a new session after its own was lost', async () => {
    const bridge = await open(3000);
    bridge.query('CREATE TABLE l (x integer)');
    const admin = connect();
    const pid = bridge.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0]!.pid;
    expect(() =>
      bridge.transaction(() => {
        bridge.query('INSERT INTO l VALUES (1)');
        admin.query('SELECT pg_terminate_backend($1)', [pid]);
        // The worker notices and reconnects while this thread is blocked here.
        sleepSync(500);
        bridge.query('INSERT INTO l VALUES (2)');
      }),
    ).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    await untilAnswering(bridge);
    expect(bridge.inTransaction).toBe(false);
    expect(bridge.query('SELECT count(*) AS n FROM l').rows).toEqual([{ n: 0 }]);
  });

  it('checks a write fence first: a stale epoch fails SHARD_FENCED before the work runs', async () => {
    const bridge = await open();
    const client = new pg.Client(database);
    await client.connect();
    try {
      await applyClusterSchema(client);
    } finally {
      await client.end();
    }
    bridge.query("UPDATE shard_lease SET owner = 'c1', epoch = 7, lease_until = now() + interval '1 minute' WHERE shard = 5");
    bridge.query('CREATE TABLE w (x integer)');
    bridge.transaction(() => bridge.query('INSERT INTO w VALUES (1)'), { fence: { shard: 5, epoch: 7 } });
    let ran = false;
    expect(() =>
      bridge.transaction(
        () => {
          ran = true;
          bridge.query('INSERT INTO w VALUES (2)');
        },
        { fence: { shard: 5, epoch: 6 } },
      ),
    ).toThrow(expect.objectContaining({ code: 'SHARD_FENCED' }));
    expect(ran).toBe(false);
    expect(bridge.query('SELECT count(*) AS n FROM w').rows).toEqual([{ n: 1 }]);
  });

  it('refuses to connect to nothing at once, and refuses calls once closed', async () => {
    database = await postgres.createDatabase();
    expect(() => SyncBridge.open({ connection: { ...database, port: 1 }, timeoutMs: 3000 })).toThrow(
      expect.objectContaining({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('cannot connect to PostgreSQL') }),
    );
    const bridge = connect();
    bridge.close();
    expect(() => bridge.query('SELECT 1')).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
    bridge.close();
  });
});
