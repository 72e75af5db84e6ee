import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirectoryInUseError, InstanceLock, LOCK_FILE } from '../../src/store/instance-lock.js';

let dir: string;
const held: InstanceLock[] = [];
const START = Date.UTC(2026, 0, 2, 3, 4, 5);

function acquire(dataDir = dir, command = 'priscan serve'): InstanceLock {
  const lock = InstanceLock.acquire(dataDir, { command, now: () => START + process.uptime() * 1000 });
  held.push(lock);
  return lock;
}

function refusal(dataDir = dir): DataDirectoryInUseError {
  try {
    acquire(dataDir, 'priscan token create');
  } catch (error) {
    return error as DataDirectoryInUseError;
  }
  throw new Error('the second acquire was not refused');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-lock-'));
});

afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  rmSync(dir, { recursive: true, force: true });
});

describe('InstanceLock', () => {
  it('refuses a second holder, naming the first (command, pid, start), until the first releases', () => {
    const first = acquire();
    const error = refusal();
    expect(error).toBeInstanceOf(DataDirectoryInUseError);
    expect(error.holder).toMatchObject({ pid: process.pid, command: 'priscan serve' });
    expect(error.holder!.startedAt).toBeCloseTo(START, -2);
    expect(error.message).toBe(
      `the data directory ${dir} is in use by priscan serve (pid ${process.pid}, started ${new Date(error.holder!.startedAt).toISOString()}): one priscan process at a time writes a database; stop that one first`,
    );
    first.release();
    first.release();
    const second = acquire(dir, 'priscan token create');
    expect(refusal().holder?.command).toBe('priscan token create');
    second.release();
    expect(existsSync(join(dir, LOCK_FILE)), 'the lock file is kept, never replaced').toBe(true);
  });

  it('creates a missing data directory only when asked, 0700, and the lock file 0600', () => {
    const missing = join(dir, 'a', 'b');
    expect(() => acquire(missing)).toThrow(new RegExp(`cannot lock the data directory ${missing}`));
    expect(existsSync(join(dir, 'a'))).toBe(false);
    held.push(InstanceLock.acquire(missing, { command: 'priscan serve', now: () => START, createDirectory: true }));
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(missing).mode & 0o777).toBe(0o700);
    expect(statSync(join(missing, LOCK_FILE)).mode & 0o777).toBe(0o600);
  });

  it('names the lock file when it is not a database', () => {
    writeFileSync(join(dir, LOCK_FILE), 'x'.repeat(200));
    expect(() => acquire()).toThrow(`cannot lock the data directory ${dir} (${join(dir, LOCK_FILE)}): file is not a database`);
  });
});
