// A throwaway PostgreSQL cluster for tests and benches: initdb under a temp dir (trust auth,
// fsync off), pg_ctl start on 127.0.0.1 and a private unix-socket directory, one database per
// test if wanted, restart() for "PostgreSQL restarted under load", stop() removes everything.
// The server refuses to run as root, so as root (CI) every pg command runs as the `postgres`
// user through runuser; as any other user but `postgres` the tests are skipped, visibly.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findTool, runTool, type ToolResult } from './tools.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'postgres';
/** This project's loopback port range for test clusters. */
const PORT_RANGE = { first: 25432, last: 25499 };
const PG_CTL_TIMEOUT_S = 30;

interface RunAs {
  /** Prefix for a command run as the postgres user ([] when we are that user). */
  prefix: string[];
  uid: number;
  gid: number;
}

/** How to run pg commands here, or why the tests that need them cannot run. */
function runAs(): RunAs | string {
  if (!existsSync(path.join(PG_BIN, 'initdb')) || !existsSync(path.join(PG_BIN, 'pg_ctl'))) {
    return `needs PostgreSQL 15's initdb and pg_ctl in ${PG_BIN}, which are not installed (Debian: apt-get install postgresql)`;
  }
  const me = userInfo();
  if (me.username === SUPERUSER) return { prefix: [], uid: me.uid, gid: me.gid };
  if (me.uid !== 0) return `must run as root or as ${SUPERUSER} to start a PostgreSQL cluster (running as ${me.username})`;
  const runuser = findTool('runuser');
  if (!runuser) return 'needs runuser (util-linux) to start PostgreSQL as the postgres user';
  let ids: string[];
  try {
    ids = execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim().split(/\s+/);
    ids.push(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
  } catch {
    return `needs a ${SUPERUSER} user (created by Debian's postgresql package)`;
  }
  return { prefix: [runuser, '-u', SUPERUSER, '--'], uid: Number(ids[0]), gid: Number(ids[1]) };
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  const how = runAs();
  return typeof how === 'string' ? how : undefined;
}

/** Prints why a test file is skipped, so a skip is never silent; true when it is. */
export function skipWithoutPostgres(testFile: string): boolean {
  const reason = postgresUnavailable();
  if (reason) console.warn(`${testFile}: SKIPPED: ${reason}.`);
  return reason !== undefined;
}

export interface PostgresCluster {
  readonly port: number;
  readonly socketDir: string;
  /** Connection settings for a database (TCP on 127.0.0.1, superuser, trust auth). */
  config(database?: string): pg.ClientConfig;
  /** A fresh, empty database; its connection settings. */
  createDatabase(name?: string): Promise<pg.ClientConfig>;
  /** Runs SQL as the superuser on its own short-lived connection. */
  superuser<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  /** Stops the server (fast: connections are terminated), waits `downMs`, starts it again. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server and returns once it is down (`immediate`: no shutdown checkpoint, as after a crash). */
  down(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts a server stopped by down() and returns once it accepts connections. */
  up(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Where to start looking for a free port in 25432–25499 (spread test files apart). */
  preferredPort?: number;
}

/** Starts a throwaway cluster; throws (with the server log) if it cannot. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const how = runAs();
  if (typeof how === 'string') throw new Error(`cannot start PostgreSQL: ${how}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'priscan-pg-'));
  chownSync(dir, how.uid, how.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const pgCommand = (tool: string, args: string[]): Promise<ToolResult> => {
    const [file, ...rest] = [...how.prefix, path.join(PG_BIN, tool), ...args];
    return runTool(file as string, rest, { timeoutMs: (PG_CTL_TIMEOUT_S + 5) * 1000 });
  };
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });

  const init = await pgCommand('initdb', ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  if (init.code !== 0) {
    cleanUp();
    throw new Error(`initdb failed (${init.code}): ${init.stderr || init.stdout}`);
  }

  // -F: no fsync; the socket lives in our own directory so parallel clusters never collide there.
  const serverOptions = (port: number): string => `-F -k ${dir} -p ${port} -h 127.0.0.1 -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = (port: number, action: 'start' | 'stop', mode = 'fast'): Promise<ToolResult> =>
    pgCommand('pg_ctl', action === 'start' ? ['-D', dataDir, '-l', logFile, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-o', serverOptions(port), 'start'] : ['-D', dataDir, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-m', mode, 'stop']);

  // A port that looks free can be taken by a parallel test file before the server binds it: try the next.
  let port = 0;
  for (const candidate of candidatePorts(options.preferredPort)) {
    if (!(await portLooksFree(candidate))) continue;
    const started = await pgCtl(candidate, 'start');
    if (started.code === 0) {
      port = candidate;
      break;
    }
    if (!/could not bind|Address already in use|lock file/i.test(readLog())) {
      cleanUp();
      throw new Error(`PostgreSQL did not start (${started.code}): ${started.stderr}\n${readLog()}`);
    }
  }
  if (port === 0) {
    cleanUp();
    throw new Error(`no free port for PostgreSQL in ${PORT_RANGE.first}–${PORT_RANGE.last}`);
  }

  // If the test process dies without stop(), do not leave a server running.
  const killOnExit = (): void => {
    const [file, ...rest] = [...how.prefix, path.join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'] as string[];
    try {
      execFileSync(file as string, rest, { stdio: 'ignore' });
    } catch {
      // already stopped
    }
    cleanUp();
  };
  process.once('exit', killOnExit);

  const config = (database = 'postgres'): pg.ClientConfig => ({ host: '127.0.0.1', port, user: SUPERUSER, database });
  let databases = 0;
  const cluster: PostgresCluster = {
    port,
    socketDir: dir,
    config,
    async superuser(sql, params, database) {
      const client = new pg.Client(config(database));
      client.on('error', () => undefined);
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    async createDatabase(name = `test_${process.pid}_${++databases}`) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: lower-case letters, digits and _ only`);
      await cluster.superuser(`CREATE DATABASE ${name}`);
      return config(name);
    },
    async restart({ downMs = 0 } = {}) {
      await cluster.down();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await cluster.up();
    },
    async down(mode = 'fast') {
      const stopped = await pgCtl(port, 'stop', mode);
      if (stopped.code !== 0) throw new Error(`pg_ctl stop failed: ${stopped.stderr}\n${readLog()}`);
    },
    async up() {
      const started = await pgCtl(port, 'start');
      if (started.code !== 0) throw new Error(`pg_ctl start failed: ${started.stderr}\n${readLog()}`);
    },
    log: readLog,
    async stop() {
      process.off('exit', killOnExit);
      await pgCtl(port, 'stop', 'immediate');
      cleanUp();
    },
  };
  return cluster;
}

/** Every port of the range once, starting at the preferred one (or one chosen by pid). */
function candidatePorts(preferred: number | undefined): number[] {
  const size = PORT_RANGE.last - PORT_RANGE.first + 1;
  const start = preferred !== undefined && preferred >= PORT_RANGE.first && preferred <= PORT_RANGE.last ? preferred - PORT_RANGE.first : process.pid % size;
  return Array.from({ length: size }, (_, i) => PORT_RANGE.first + ((start + i) % size));
}

function portLooksFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
