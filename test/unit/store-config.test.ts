// The store section of the config: SQLite by default, PostgreSQL by URL or by host, port, database
// and user with the password from a file or the environment; the password never in a message,
// a log line (redactConfig) or the store's location.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, redactConfig } from '../../src/config/load.js';
import { lockStore, openStore, postgresConnection } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/store.js';

const PASSWORD = 'pg-very-secret-password';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-store-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const postgres = (settings: Record<string, unknown>) => parseConfig({ store: { postgres: settings } }, 'test.yaml').store.postgres!;
const refusal = (settings: Record<string, unknown>): string => {
  try {
    postgres(settings);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('the store config', () => {
  it('is SQLite in the data directory unless store.postgres is set', () => {
    const config = parseConfig({ dataDir: dir }, 'test.yaml');
    expect(config.store).toEqual({});
    const store = openStore(config, { now: () => 1 });
    try {
      expect(store).toBeInstanceOf(SqliteStore);
      expect(store.location).toBe(`sqlite ${join(dir, 'priscan.db')}`);
    } finally {
      store.close();
    }
    const lock = lockStore(config, { command: 'test', now: () => 1 });
    expect(lock).toBeDefined();
    lock?.release();
    expect(lockStore(parseConfig({ dataDir: dir, store: { postgres: { url: 'postgres://db/priscan' } } }, 'test.yaml'), { command: 'test', now: () => 1 })).toBeUndefined();
  });

  it('takes a URL, or host, database and user, with a call time limit', () => {
    expect(postgres({ url: 'postgres://priscan@db.example.net/priscan' })).toEqual({ url: 'postgres://priscan@db.example.net/priscan', timeoutMs: 10_000 });
    expect(postgres({ host: 'db.example.net', port: 5433, database: 'priscan', user: 'priscan', passwordEnv: 'PG_PASS', timeoutMs: 2000 })).toMatchObject({ port: 5433, timeoutMs: 2000 });
  });

  it.each([
    [{ url: 'postgres://db/priscan', host: 'db' }, /give url or host, port, database and user, not both \(host beside url\)/],
    [{ host: 'db', database: 'priscan' }, /store\.postgres\.user: required \(or give url\)/],
    [{ url: 'postgres://db/p', passwordFile: '/x', passwordEnv: 'X' }, /passwordFile or passwordEnv, not both/],
    [{ url: 'mysql://db/priscan' }, /must start postgres:\/\//],
    [{ url: 'postgres://db.example.net' }, /must name a database/],
    [{ url: 'postgres://db/p', passwordEnv: '1BAD' }, /passwordEnv: must be an environment variable name/],
    [{ url: 'postgres://db/p', timeoutMs: 10 }, /timeoutMs/],
    [{ url: 'postgres://db/p', pasword: PASSWORD }, /Unrecognized key/],
  ])('refuses %j, naming the key', (settings, message) => {
    expect(refusal(settings)).toMatch(message);
  });

  it('never repeats a URL it refuses (it may hold a password)', () => {
    const message = refusal({ url: `postgres:// priscan:${PASSWORD}@ db/priscan` });
    expect(message).toMatch(/store\.postgres\.url: must be a URL/);
    expect(message).not.toContain(PASSWORD);
  });

  it('shows the URL as a secret when the config is logged or checked', () => {
    const config = parseConfig({ store: { postgres: { url: `postgres://priscan:${PASSWORD}@db/priscan` } } }, 'test.yaml');
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain(PASSWORD);
    expect(shown).toContain('"url":"<secret>"');
  });
});

describe('PostgreSQL connection settings', () => {
  it('read the password from its file (one line) and name the server without it', () => {
    const file = join(dir, 'pg.password');
    writeFileSync(file, `${PASSWORD}\n`);
    const settings = postgresConnection(postgres({ host: 'db.example.net', database: 'priscan', user: 'monitor', passwordFile: file }));
    expect(settings.connection).toEqual({ host: 'db.example.net', port: 5432, database: 'priscan', user: 'monitor', password: PASSWORD });
    expect(settings.location).toBe('postgres monitor@db.example.net:5432/priscan');
  });

  it('put a password from the environment into the URL, and name the server without it', () => {
    const settings = postgresConnection(postgres({ url: 'postgres://monitor@db.example.net:5433/priscan?sslmode=require', passwordEnv: 'PG_PASS' }), { PG_PASS: `${PASSWORD}/@:` });
    const url = new URL(settings.connection.connectionString!);
    expect(decodeURIComponent(url.password)).toBe(`${PASSWORD}/@:`);
    expect(url.searchParams.get('sslmode')).toBe('require');
    expect(settings.location).toBe('postgres monitor@db.example.net:5433/priscan');
    expect(postgresConnection(postgres({ url: `postgres://monitor:${PASSWORD}@db/priscan` })).location).not.toContain(PASSWORD);
  });

  it('refuse a password that cannot be had, naming the key and never a password', () => {
    const missing = join(dir, 'none');
    expect(() => postgresConnection(postgres({ url: 'postgres://db/p', passwordFile: missing }))).toThrow(
      expect.objectContaining({ code: 'STORE_CONFIG_INVALID', message: `store.postgres.passwordFile: cannot read ${missing}: ENOENT` }),
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => postgresConnection(postgres({ url: 'postgres://db/p', passwordFile: empty }))).toThrow(/passwordFile: .* is empty/);
    expect(() => postgresConnection(postgres({ url: 'postgres://db/p', passwordEnv: 'PG_PASS' }), {})).toThrow(/store\.postgres\.passwordEnv: the environment variable PG_PASS is not set/);
  });
});
