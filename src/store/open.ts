import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { PostgresStoreConfig, StoreConfig } from './config.js';
import { StoreError } from './errors.js';
import { InstanceLock, type InstanceLockOptions } from './instance-lock.js';
import { PostgresStore } from './postgres/store.js';
import { SqliteStore, type Store, type StoreOptions } from './store.js';

export interface StoreSettings {
  dataDir: string;
  store: StoreConfig;
}

/** The configured store: PostgreSQL when `store.postgres` is set, else SQLite in the data directory. */
export function openStore(config: StoreSettings, clock: { now(): number }, options: StoreOptions = {}): Store {
  const postgres = config.store.postgres;
  if (!postgres) return SqliteStore.open(sqlitePath(config.dataDir), clock, options);
  return PostgresStore.open(clock, { ...options, ...postgresConnection(postgres) });
}

/** The SQLite store's file in a data directory. */
export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'priscan.db');
}

/**
 * Takes the data directory from any other priscan process, for the SQLite store (one writer per
 * file); undefined for PostgreSQL, which collectors share by design.
 */
export function lockStore(config: StoreSettings, options: InstanceLockOptions): InstanceLock | undefined {
  return config.store.postgres ? undefined : InstanceLock.acquire(config.dataDir, options);
}

export interface PostgresConnection {
  connection: pg.ClientConfig;
  /** user@host:port/database: what logs and messages may show. */
  location: string;
  timeoutMs: number;
}

/**
 * Connection settings from the config, the password read from its file or variable. A password
 * that cannot be had is STORE_CONFIG_INVALID naming the key, never the value.
 */
export function postgresConnection(config: PostgresStoreConfig, env: NodeJS.ProcessEnv = process.env): PostgresConnection {
  const password = passwordOf(config, env);
  if (config.url !== undefined) {
    const url = new URL(config.url);
    if (password !== undefined) url.password = encodeURIComponent(password);
    const port = url.port || '5432';
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return { connection: { connectionString: url.toString() }, location: `postgres ${user}${url.hostname}:${port}${url.pathname}`, timeoutMs: config.timeoutMs };
  }
  const port = config.port ?? 5432;
  return {
    connection: { host: config.host, port, database: config.database, user: config.user, ...(password !== undefined ? { password } : {}) },
    location: `postgres ${config.user}@${config.host}:${port}/${config.database}`,
    timeoutMs: config.timeoutMs,
  };
}

function passwordOf(config: PostgresStoreConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.passwordFile, 'utf8');
    } catch (error) {
      throw new StoreError('STORE_CONFIG_INVALID', `store.postgres.passwordFile: cannot read ${config.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new StoreError('STORE_CONFIG_INVALID', `store.postgres.passwordFile: ${config.passwordFile} is empty`);
    return password;
  }
  if (config.passwordEnv !== undefined) {
    const password = env[config.passwordEnv];
    if (!password) throw new StoreError('STORE_CONFIG_INVALID', `store.postgres.passwordEnv: the environment variable ${config.passwordEnv} is not set`);
    return password;
  }
  return undefined;
}
