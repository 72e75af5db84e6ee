import { chmodSync, closeSync, existsSync, fchownSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The database holds SNMP communities and v3 keys: its files are the owner's alone whatever the
 * umask. SQLite creates the -wal, -shm and -journal files with the mode (and, run as root, the
 * owner) of the database file, so making that one private makes them all private.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/**
 * mkdir -p, one level at a time, each level priscan creates made 0700 (chmod after mkdir: the
 * umask may take bits off, never adds them). Node's recursive mkdirSync never returns for some
 * paths (under /proc, for one), and a daemon must fail at start-up, not hang.
 */
export function makePrivateDirectories(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makePrivateDirectories(parent);
  mkdirSync(dir, { mode: PRIVATE_DIRECTORY_MODE });
  chmodSync(dir, PRIVATE_DIRECTORY_MODE);
}

/**
 * Creates `path` empty and 0600 unless it exists (SQLite takes an empty file as a new database).
 * Run as root in a directory someone else owns (`sudo priscan token create` before the first
 * start), the file is given to the directory's owner, as SQLite does with its -wal and -shm, so
 * the daemon's user can still open it. Returns whether it created the file.
 */
export function createPrivateFile(path: string): boolean {
  let fd: number;
  try {
    // Never opens an existing file: closing any descriptor of a file drops this process's
    // POSIX locks on it, and SQLite's locks (the instance lock's among them) are POSIX locks.
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    if (process.getuid?.() === 0) {
      const owner = statSync(dirname(path));
      if (owner.uid !== 0) fchownSync(fd, owner.uid, owner.gid);
    }
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes away what others may do with existing database files (written by a priscan that left
 * them to the umask). Group bits are left alone: a backup group is the operator's choice.
 */
export function withholdFromOthers(paths: readonly string[]): void {
  for (const path of paths) {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      continue;
    }
    // By path, never through a descriptor (see createPrivateFile).
    if (mode & 0o007) chmodSync(path, mode & ~0o007);
  }
}
