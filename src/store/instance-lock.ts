import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile, makePrivateDirectories } from './private-files.js';

/** The file in the data directory whose lock says which process writes the database. */
export const LOCK_FILE = 'priscan.lock';

/** The process holding a data directory, as it recorded itself. */
export interface LockHolder {
  pid: number;
  /** What it runs, e.g. "priscan serve". */
  command: string;
  /** When that process started (ms since the epoch). */
  startedAt: number;
  host: string;
}

/** Another process writes this data directory. */
export class DataDirectoryInUseError extends Error {
  override readonly name = 'DataDirectoryInUseError';

  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`the data directory ${dataDir} is in use by ${describeHolder(holder)}: one priscan process at a time writes a database; stop that one first`);
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process (it has not recorded which yet)';
  const host = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return `${holder.command} (pid ${holder.pid}${host}, started ${new Date(holder.startedAt).toISOString()})`;
}

export interface InstanceLockOptions {
  /** What this process runs, shown to whoever finds the directory taken. */
  command: string;
  now: () => number;
  /** Makes the data directory (0700) if missing; only the daemon does, a CLI command refuses. */
  createDirectory?: boolean;
}

/** How long a refused process waits for the holder's record to be written (it is, within ms). */
const HOLDER_RECORD_WAIT_MS = 1000;

/**
 * One writing process per data directory: `priscan serve`, or a CLI command that writes the
 * database directly. The lock is SQLite's write lock on priscan.lock, held by a transaction
 * left open for the life of the process. It is a POSIX record lock, so the kernel releases it
 * when the process ends in any way, SIGKILL included: a crash never leaves a stale lock
 * behind. (A pid file would need a liveness check that races pid reuse; Node has no flock.)
 * Others may still read the file, which holds the holder's record for the refusal message.
 * The file is never deleted: a process that unlinked it while another had it open would let a
 * third lock a new file of the same name.
 */
export class InstanceLock {
  /** Takes the data directory or throws DataDirectoryInUseError at once. */
  static acquire(dataDir: string, options: InstanceLockOptions): InstanceLock {
    const path = join(dataDir, LOCK_FILE);
    let db: Database.Database;
    try {
      if (options.createDirectory) makePrivateDirectories(dataDir);
      createPrivateFile(path);
      // No busy wait: a second daemon is refused at once, not after the holder's next commit.
      db = new Database(path, { timeout: 0 });
    } catch (error) {
      throw new Error(`cannot lock the data directory ${dataDir} (${path}): ${(error as Error).message}`, { cause: error });
    }
    try {
      if (!tryBeginWrite(db)) throw new DataDirectoryInUseError(dataDir, readHolder(db, undefined));
      const claim = randomUUID();
      const holder: LockHolder = {
        pid: process.pid,
        command: options.command,
        startedAt: Math.round(options.now() - process.uptime() * 1000),
        host: hostname(),
      };
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, command TEXT NOT NULL, started_at INTEGER NOT NULL, host TEXT NOT NULL, claim TEXT NOT NULL)');
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, command, started_at, host, claim) VALUES (@pid, @command, @startedAt, @host, @claim)').run({ ...holder, claim });
      // Committing needs readers gone; one may be reading the old record this instant.
      db.pragma('busy_timeout = 2000');
      db.exec('COMMIT');
      db.pragma('busy_timeout = 0');
      // The record is visible now; take the lock again and keep it. Another process can only
      // have slipped in between if it started in these microseconds: it holds it then, we go.
      if (!tryBeginWrite(db)) throw new DataDirectoryInUseError(dataDir, readHolder(db, claim));
      return new InstanceLock(db);
    } catch (error) {
      db.close();
      if (error instanceof DataDirectoryInUseError) throw error;
      // Not a database (overwritten by hand?), a full disk: say which file.
      throw new Error(`cannot lock the data directory ${dataDir} (${path}): ${(error as Error).message}`, { cause: error });
    }
  }

  constructor(private readonly db: Database.Database) {}

  /** Lets another process take the directory; safe to call twice. */
  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** BEGIN IMMEDIATE takes SQLite's RESERVED lock: one holder, readers still allowed. */
function tryBeginWrite(db: Database.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

/**
 * The holder's record. It is written just after the lock is taken, so for a moment the file may
 * still name the previous holder (gone) or, after a lost race, our own `claim`: wait briefly
 * for the live holder's.
 */
function readHolder(db: Database.Database, ownClaim: string | undefined): LockHolder | undefined {
  const deadline = Date.now() + HOLDER_RECORD_WAIT_MS;
  for (;;) {
    const record = readRecord(db);
    if (record && record.claim !== ownClaim && (record.host !== hostname() || isAlive(record.pid))) {
      return { pid: record.pid, command: record.command, startedAt: record.startedAt, host: record.host };
    }
    if (Date.now() >= deadline) return undefined;
    sleepSync(20);
  }
}

function readRecord(db: Database.Database): (LockHolder & { claim: string }) | undefined {
  try {
    return db.prepare('SELECT pid, command, started_at AS startedAt, host, claim FROM holder').get() as (LockHolder & { claim: string }) | undefined;
  } catch {
    // No table yet (the first holder has not committed), or the holder is committing.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
