// `priscan serve` collectors in cluster mode on one PostgreSQL, for tests and benches: a config
// each (own loopback address, same store and license MAC), started as child processes, with the
// database's view of who owns which shard and the simulator's view of who is registered where.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Fleet } from '../../simulators/fleet.js';
import { packageFile } from '../../src/cli/version.js';
import { shardOf } from '../../src/cluster/shards.js';
import { TEST_MAC } from './daemon.js';
import { until } from './tools.js';

export const CLI = packageFile('dist/src/cli/priscan.js');
const ISSUER_ENV = 'PRISCAN_CLUSTER_TEST_ISSUER';
// The text of TEST_ISSUER_SECRET (test/helpers/daemon.ts), which testLicenseKey() signs with.
const ISSUER_TEXT = 'test issuer secret, not for production use';

/**
 * The API body of a simulated `sim` device for the cluster tests and benches: its safety net an
 * hour away, so an alarm stored within a run came from a notification (or a takeover's scan).
 */
export function simDeviceBody(name: string, address: string, port: number) {
  return {
    name,
    address,
    port,
    profile: 'priscan-sim',
    intervalSeconds: 3600,
    timeoutMs: 1000,
    retries: 1,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  };
}

export interface Collector {
  id: string;
  ip: string;
  config: string;
  child?: ChildProcess;
  out: string;
}

export interface CollectorSetOptions {
  dir: string;
  /** postgres:// URL of the shared database. */
  url: string;
  /** Loopback addresses, one per collector. */
  ips: readonly string[];
  notifyPort: number;
  httpPort: number;
  /** The `cluster:` timing, as YAML flow entries (e.g. `leaseMs: 2000, renewMs: 500`). */
  timing: string;
}

export class CollectorSet {
  readonly collectors: Collector[];
  token = '';

  constructor(private readonly options: CollectorSetOptions) {
    this.collectors = options.ips.map((ip, i) => ({ id: `c${i + 1}`, ip, config: join(options.dir, `c${i + 1}.yaml`), out: '' }));
  }

  /** Writes each collector's config file. */
  writeConfigs(): void {
    const { dir, url, notifyPort, httpPort, timing } = this.options;
    for (const c of this.collectors) {
      writeFileSync(
        c.config,
        [
          `dataDir: ${join(dir, c.id)}`,
          `store: {postgres: {url: '${url}', timeoutMs: 5000}}`,
          'log: {level: info}',
          `notifications: {listen: {address: ${c.ip}, port: ${notifyPort}}}`,
          `http: {listen: {address: ${c.ip}, port: ${httpPort}}}`,
          `licensing: {issuerSecretEnv: ${ISSUER_ENV}}`,
          'shutdown: {deadlineMs: 3000}',
          `cluster: {collectorId: ${c.id}, notifyAddress: '${c.ip}:${notifyPort}', apiAddress: '${c.ip}:${httpPort}', licenseMac: '${TEST_MAC}', ${timing}}`,
          '',
        ].join('\n'),
      );
    }
  }

  get(id: string): Collector {
    return this.collectors.find((c) => c.id === id)!;
  }

  start(c: Collector): void {
    c.out = '';
    const child = spawn(process.execPath, [CLI, 'serve', '--config', c.config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [ISSUER_ENV]: ISSUER_TEXT } });
    child.stdout!.on('data', (d: Buffer) => (c.out += d));
    child.stderr!.on('data', (d: Buffer) => (c.out += d));
    c.child = child;
  }

  async answering(cs: readonly Collector[], timeoutMs = 20_000): Promise<void> {
    await until(`${cs.map((c) => c.id).join(', ')} answering`, async () => {
      const ok = await Promise.all(cs.map(async (c) => (await fetch(`http://${c.ip}:${this.options.httpPort}/healthz`).catch(() => undefined))?.ok === true));
      return ok.every(Boolean);
    }, timeoutMs);
  }

  /** An admin token in the shared tokens table (valid on every collector). */
  createToken(c: Collector): void {
    const created = spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', 'cluster', '--json', '--config', c.config], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`token create failed: ${created.stderr}`);
    this.token = (JSON.parse(created.stdout) as { token: string }).token;
  }

  async api(c: Collector, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://${c.ip}:${this.options.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }

  killAll(): void {
    for (const c of this.collectors) c.child?.kill('SIGKILL');
  }

  /** Warnings and errors each collector logged, for a failure message. */
  problems(): string {
    return this.collectors.map((c) => `--- ${c.id} ---\n${c.out.split('\n').filter((l) => l !== '' && !/"level":30/.test(l)).slice(-15).join('\n')}`).join('\n');
  }
}

/** Who owns each shard now (valid leases only). */
export async function shardOwners(db: pg.Client): Promise<Map<number, string>> {
  const rows = await db.query<{ shard: number; owner: string }>('SELECT shard, owner FROM shard_lease WHERE lease_until > now()');
  return new Map(rows.rows.map((r) => [r.shard, r.owner]));
}

/** Whether each device (store id → simulator address) is registered to exactly the collector owning its shard, among `live`. */
export async function registeredToOwners(db: pg.Client, set: CollectorSet, fleet: Fleet, ids: ReadonlyMap<number, string>, live: readonly string[], notifyPort: number): Promise<boolean> {
  const own = await shardOwners(db);
  return [...ids].every(([id, address]) => {
    const owner = own.get(shardOf(id));
    const managers = fleet.devices.find((d) => d.address === address)!.status().managers;
    return owner !== undefined && live.includes(owner) && managers.length === 1 && managers[0]!.address === set.get(owner).ip && managers[0]!.port === notifyPort;
  });
}
