// PostgreSQL stopped under running daemons and started again: two `priscan serve` collectors in
// cluster mode and one single daemon on `store.postgres` (its own database on the same server),
// each with simulated devices on loopback. While PostgreSQL is down the devices raise alarms:
// no daemon exits, /healthz answers, /readyz says the store is unavailable, the API answers 503
// STORE_UNAVAILABLE without the database's address. Once PostgreSQL is back the collectors hold
// every shard again and every alarm raised during the outage is stored.
// This file's addresses: 127.0.155.0/24 (collectors .11–.12, single daemon .21, devices .101–.106 and .121–.123).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { CLI, CollectorSet, type Collector, registeredToOwners, shardOwners, simDeviceBody } from '../helpers/cluster-daemons.js';
import { testLicenseKey } from '../helpers/daemon.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/postgres-outage.test.ts';
const skip = skipWithoutPostgres(FILE);
const DEVICE_PORT = 16571;
const NOTIFY_PORT = 16572;
const HTTP_PORT = 16573;
const SINGLE_IP = '127.0.155.21';
const DOWN_MS = 3000;

interface Probe {
  status: number;
  text: string;
}

async function probe(url: string, token?: string): Promise<Probe> {
  try {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  } catch (error) {
    return { status: 0, text: String(error) };
  }
}

describe.skipIf(skip)('PostgreSQL stopped and started under running daemons', () => {
  let postgres: PostgresCluster;
  let clusterFleet: Fleet;
  let singleFleet: Fleet;
  let clusterDb: pg.Client | undefined;
  let singleDb: pg.Client | undefined;
  let clusterConnection: pg.ClientConfig;
  let singleConnection: pg.ClientConfig;
  let dir = '';
  let set: CollectorSet;
  const single = { child: undefined as ChildProcess | undefined, out: '', config: '', token: '' };
  let passed = false;

  const urlOf = (c: pg.ClientConfig) => `postgres://${c.user}@${c.host}:${c.port}/${c.database}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-pg-outage-'));
    postgres = await startPostgres({ preferredPort: 25475 });
    clusterConnection = await postgres.createDatabase();
    singleConnection = await postgres.createDatabase();
    clusterFleet = new Fleet({ devices: [{ kind: 'sim', count: 6 }], baseAddress: '127.0.155.101', port: DEVICE_PORT });
    singleFleet = new Fleet({ devices: [{ kind: 'sim', count: 3 }], baseAddress: '127.0.155.121', port: DEVICE_PORT });
    await clusterFleet.start();
    await singleFleet.start();
    set = new CollectorSet({ dir, url: urlOf(clusterConnection), ips: ['127.0.155.11', '127.0.155.12'], notifyPort: NOTIFY_PORT, httpPort: HTTP_PORT, timing: 'leaseMs: 2000, renewMs: 500, joinGraceMs: 0, movesPerRound: 64, deviceSyncMs: 300' });
    set.writeConfigs();
    single.config = join(dir, 'single.yaml');
    writeFileSync(
      single.config,
      [
        `dataDir: ${join(dir, 'single')}`,
        `store: {postgres: {url: '${urlOf(singleConnection)}', timeoutMs: 5000}}`,
        'log: {level: info}',
        `notifications: {listen: {address: ${SINGLE_IP}, port: ${NOTIFY_PORT}}}`,
        `manager: {address: ${SINGLE_IP}}`,
        `http: {listen: {address: ${SINGLE_IP}, port: ${HTTP_PORT}}}`,
        'shutdown: {deadlineMs: 3000}',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    set?.killAll();
    single.child?.kill('SIGKILL');
    if (!passed && set) console.error(`${set.problems()}\n--- single ---\n${single.out.split('\n').filter((l) => l !== '' && !/"level":30/.test(l)).slice(-15).join('\n')}`);
    await clusterDb?.end().catch(() => undefined);
    await singleDb?.end().catch(() => undefined);
    await clusterFleet?.stop();
    await singleFleet?.stop();
    await postgres?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(config: pg.ClientConfig): Promise<pg.Client> {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async function fanAlarms(db: pg.Client): Promise<number> {
    const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM alarms_active WHERE description LIKE 'Fan failure%'");
    return Number(rows.rows[0]!.n);
  }

  async function addDevices(fleet: Fleet, add: (body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>): Promise<Map<number, string>> {
    const ids = new Map<number, string>();
    for (const [i, device] of fleet.devices.entries()) {
      const res = await add(simDeviceBody(`sim-${device.address}`, device.address, DEVICE_PORT));
      expect(res.status, `device ${i}: ${JSON.stringify(res.body)}`).toBe(201);
      ids.set(res.body.id as number, device.address);
    }
    return ids;
  }

  it('keeps every daemon running and answering, and stores the alarms raised while it was down', async () => {
    const [c1, c2] = set.collectors as [Collector, Collector];
    set.start(c1);
    await set.answering([c1]);
    set.createToken(c1);
    set.start(c2);
    single.child = spawn(process.execPath, [CLI, 'serve', '--config', single.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    single.child.stdout!.on('data', (d: Buffer) => (single.out += d));
    single.child.stderr!.on('data', (d: Buffer) => (single.out += d));
    await set.answering([c2]);
    await until('the single daemon answering', async () => (await probe(`http://${SINGLE_IP}:${HTTP_PORT}/healthz`)).status === 200, 20_000);
    const created = spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', 'outage', '--json', '--config', single.config], { encoding: 'utf8' });
    expect(created.status, created.stderr).toBe(0);
    single.token = (JSON.parse(created.stdout) as { token: string }).token;

    expect((await set.api(c1, 'POST', '/api/v1/licenses', { key: testLicenseKey(10) })).status).toBe(201);
    const clusterIds = await addDevices(clusterFleet, (body) => set.api(c1, 'POST', '/api/v1/devices', body));
    const singleIds = await addDevices(singleFleet, async (body) => {
      const res = await fetch(`http://${SINGLE_IP}:${HTTP_PORT}/api/v1/devices`, { method: 'POST', headers: { authorization: `Bearer ${single.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    });
    clusterDb = await connect(clusterConnection);
    singleDb = await connect(singleConnection);
    await until('the shards shared by c1 and c2', async () => new Set((await shardOwners(clusterDb!)).values()).size === 2 && (await shardOwners(clusterDb!)).size === 256, 20_000);
    await until('every cluster device registered to its owner', () => registeredToOwners(clusterDb!, set, clusterFleet, clusterIds, ['c1', 'c2'], NOTIFY_PORT), 20_000);
    await until('every single-daemon device registered', () => singleFleet.devices.every((d) => d.status().managers.some((m) => m.address === SINGLE_IP)), 20_000);
    await clusterDb.end();
    await singleDb.end();
    clusterDb = undefined;
    singleDb = undefined;

    // The outage: fast shutdown (sessions terminated), then every device raises an alarm.
    await postgres.down('fast');
    const downAt = Date.now();
    for (const device of [...clusterFleet.devices, ...singleFleet.devices]) device.raise('fanFailure');
    const daemons = [
      { name: 'c1', base: `http://${c1.ip}:${HTTP_PORT}`, token: set.token },
      { name: 'c2', base: `http://${c2.ip}:${HTTP_PORT}`, token: set.token },
      { name: 'single', base: `http://${SINGLE_IP}:${HTTP_PORT}`, token: single.token },
    ];
    // Let the notifications' scans and the collectors' lease renewals meet the missing database.
    await new Promise((r) => setTimeout(r, 1500));
    const during: Record<string, Record<'healthz' | 'readyz' | 'devices' | 'alarms', Probe>> = {};
    for (const d of daemons) {
      during[d.name] = {
        healthz: await probe(`${d.base}/healthz`),
        readyz: await probe(`${d.base}/readyz`),
        devices: await probe(`${d.base}/api/v1/devices`, d.token),
        alarms: await probe(`${d.base}/api/v1/alarms`, d.token),
      };
    }
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downAt))));
    await postgres.up();
    console.info(`${FILE}: while PostgreSQL was down: ${JSON.stringify(during)}`);

    const exited = () => [...set.collectors.map((c) => [c.id, c.child!.exitCode] as const), ['single', single.child!.exitCode] as const].filter(([, code]) => code !== null);
    expect(exited(), 'daemons that exited during the outage').toEqual([]);
    clusterDb = await connect(clusterConnection);
    singleDb = await connect(singleConnection);
    await until('c1 and c2 hold every shard again', async () => {
      const own = await shardOwners(clusterDb!);
      return own.size === 256 && new Set(own.values()).size === 2;
    }, 15_000);
    await until('every fan alarm the cluster devices raised stored', async () => (await fanAlarms(clusterDb!)) === clusterIds.size, 15_000);
    await until('every fan alarm the single daemon\'s devices raised stored', async () => (await fanAlarms(singleDb!)) === singleIds.size, 15_000);
    for (const [name, probes] of Object.entries(during)) {
      expect(probes.healthz.status, `${name} /healthz`).toBe(200);
      expect(probes.readyz.status, `${name} /readyz: ${probes.readyz.text}`).toBe(503);
      expect(JSON.parse(probes.readyz.text), `${name} /readyz`).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
      for (const what of ['devices', 'alarms'] as const) {
        expect(probes[what].status, `${name} ${what}: ${probes[what].text}`).toBe(503);
        expect(JSON.parse(probes[what].text), `${name} ${what}`).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
      }
      for (const probed of Object.values(probes)) {
        expect(probed.text, `${name}: the database's address`).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${postgres.port}|postgres://|ECONNREFUSED`));
      }
    }

    // After the outage everything answers as before.
    for (const d of daemons) expect((await probe(`${d.base}/readyz`)).status, `${d.name} /readyz after`).toBe(200);
    expect(exited()).toEqual([]);
    passed = true;
  }, 90_000);
});
