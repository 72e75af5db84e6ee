// The cluster as the API, /metrics and Prometheus see it, from one daemon given a fake cluster
// view (the shards it holds are the test's to move): GET /api/v1/cluster, the Prometheus HTTP
// service-discovery document, and /metrics showing only the devices this collector owns. A real
// Debian prometheus follows the SD document to both live collectors; skipped with a warning
// without it (`apt-get install prometheus`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorInfo } from '../../src/cluster/leases.js';
import { SHARD_COUNT, shardOf } from '../../src/cluster/shards.js';
import type { ClusterView } from '../../src/cluster/view.js';
import { firstDeviceOfShard } from '../../src/metrics/cluster.js';
import { Fleet } from '../../simulators/fleet.js';
import { freePort } from '../helpers/alertmanager.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { findTool, until, warnSkipped } from '../helpers/tools.js';

// This file lives on 127.0.152.0/24: the daemon's API on .1, a second collector's on .2,
// Prometheus on .3, the simulated PDUs from .10; ports ephemeral but the simulators'.
const FILE = 'test/integration/cluster-api.test.ts';
const NET = '127.0.152.';
const SIM_PORT = 16152;
const prometheus = findTool('prometheus');
if (!prometheus) warnSkipped(`${FILE} (Prometheus service discovery)`, 'prometheus', 'prometheus');

/** What an unreachable PostgreSQL's error could say: none of it may reach an answer. */
const DATABASE_ERROR = 'connect ECONNREFUSED 10.9.9.9:5432 (postgres://priscan:hunter2@10.9.9.9/priscan)';

/** The cluster as the test sets it: this collector holds `held`; a live peer and a dead one. */
class FakeCluster implements ClusterView {
  readonly collectorId = 'collector-a';
  held = new Set<number>();
  peerApiAddr = '';
  unreachable = false;
  private readonly at = new Date('2026-12-03T10:00:00Z');

  constructor(private readonly ownApiAddr: () => string) {}

  ownsDevice(deviceId: number): boolean {
    return this.held.has(shardOf(deviceId));
  }

  async collectors(): Promise<CollectorInfo[]> {
    if (this.unreachable) throw new Error(DATABASE_ERROR);
    const lease = new Date(this.at.getTime() + 10_000);
    return [
      { id: 'collector-a', notifyAddr: `${NET}1:162`, apiAddr: this.ownApiAddr(), startedAt: this.at, leaseUntil: lease, live: true, shards: this.held.size },
      { id: 'collector-b', notifyAddr: `${NET}2:162`, apiAddr: this.peerApiAddr, startedAt: this.at, leaseUntil: lease, live: true, shards: 100 },
      { id: 'collector-c', notifyAddr: `${NET}4:162`, apiAddr: `${NET}4:8470`, startedAt: this.at, leaseUntil: this.at, live: false, shards: 0 },
    ];
  }
}

let t: TestDaemon;
let fleet: Fleet;
let cluster: FakeCluster;
let peer: Server;
let viewer = '';
let partner = '';
const ids = { pdu1: 0, pdu2: 0 };

const get = async (url: string, token?: string) => {
  const res = await t.running.http.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
};
const scrape = async () => (await get('/metrics')).body;

beforeAll(async () => {
  cluster = new FakeCluster(() => new URL(t.running.httpUrl).host);
  t = await startTestDaemon({ http: { listen: { address: `${NET}1`, port: 0 } } }, { cluster });
  viewer = t.running.tokens.create({ role: 'viewer', name: 'prometheus' }).token;
  partner = t.running.tokens.create({ role: 'partner', name: 'partner' }).token;
  // The second collector's /metrics, for Prometheus to scrape.
  peer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE priscan_peer_up gauge\npriscan_peer_up 1\n'));
  await new Promise<void>((resolve) => peer.listen(0, `${NET}2`, resolve));
  cluster.peerApiAddr = `${NET}2:${(peer.address() as AddressInfo).port}`;

  fleet = new Fleet({ devices: [{ kind: 'pdu', count: 2 }], baseAddress: `${NET}10`, port: SIM_PORT, apcTrapPort: t.running.intake.port });
  await fleet.start();
  for (const [n, device] of fleet.devices.entries()) {
    const res = await t.api('POST', '/api/v1/devices', { name: `pdu-${n + 1}`, address: device.address, port: SIM_PORT, timeoutMs: 500, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
    expect(res.status).toBe(201);
  }
  ids.pdu1 = t.running.store.devices.getByName('pdu-1')!.id;
  ids.pdu2 = t.running.store.devices.getByName('pdu-2')!.id;
  // Two shards apart, neither shard 0: each move below moves one device, and the license figures only with shard 0.
  expect(new Set([shardOf(ids.pdu1), shardOf(ids.pdu2), 0]).size).toBe(3);
  cluster.held = new Set([shardOf(ids.pdu1)]);
  await until('both PDUs registered and scanned', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable), 15_000);
}, 30_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
  await new Promise((resolve) => peer?.close(resolve));
});

describe('GET /api/v1/cluster', () => {
  it('lists every collector with its addresses, liveness and shards, and the devices this one owns', async () => {
    const res = await get('/api/v1/cluster', viewer);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      mode: 'cluster',
      collectorId: 'collector-a',
      ownedDevices: 1,
      shards: { total: SHARD_COUNT, unowned: SHARD_COUNT - 1 - 100 },
      collectors: [
        { id: 'collector-a', notifyAddr: `${NET}1:162`, apiAddr: new URL(t.running.httpUrl).host, live: true, joinedAt: '2026-12-03T10:00:00.000Z', leaseUntil: '2026-12-03T10:00:10.000Z', shards: 1, self: true },
        { id: 'collector-b', notifyAddr: `${NET}2:162`, apiAddr: cluster.peerApiAddr, live: true, joinedAt: '2026-12-03T10:00:00.000Z', leaseUntil: '2026-12-03T10:00:10.000Z', shards: 100, self: false },
        { id: 'collector-c', notifyAddr: `${NET}4:162`, apiAddr: `${NET}4:8470`, live: false, joinedAt: '2026-12-03T10:00:00.000Z', leaseUntil: '2026-12-03T10:00:00.000Z', shards: 0, self: false },
      ],
    });
  });

  it('is refused to partners and callers without a token', async () => {
    expect((await get('/api/v1/cluster', partner)).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await get('/api/v1/cluster')).status).toBe(401);
    expect((await get('/api/v1/cluster/prometheus-sd', partner)).status).toBe(403);
    expect((await get('/api/v1/cluster/prometheus-sd')).status).toBe(401);
  });

  it('answers 503 CLUSTER_UNAVAILABLE, naming nothing of the database, when PostgreSQL cannot be read', async () => {
    cluster.unreachable = true;
    try {
      for (const url of ['/api/v1/cluster', '/api/v1/cluster/prometheus-sd']) {
        const res = await get(url, viewer);
        expect(res.status, url).toBe(503);
        expect(res.json(), url).toMatchObject({ error: { code: 'CLUSTER_UNAVAILABLE', message: expect.stringMatching(/PostgreSQL/) } });
        expect(res.body, url).not.toMatch(/10\.9\.9\.9|hunter2|ECONNREFUSED/);
      }
    } finally {
      cluster.unreachable = false;
    }
  });
});

describe('GET /api/v1/cluster/prometheus-sd', () => {
  it('lists the live collectors as http_sd target groups, their identity in __meta_ labels only', async () => {
    const res = await get('/api/v1/cluster/prometheus-sd', viewer);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual([
      { targets: [new URL(t.running.httpUrl).host], labels: { __meta_priscan_collector_id: 'collector-a', __meta_priscan_notify_addr: `${NET}1:162`, __meta_priscan_shards: '1' } },
      { targets: [cluster.peerApiAddr], labels: { __meta_priscan_collector_id: 'collector-b', __meta_priscan_notify_addr: `${NET}2:162`, __meta_priscan_shards: '100' } },
    ]);
  });
});

describe('/metrics of a collector', () => {
  const seriesOf = (text: string, device: string) => text.split('\n').filter((line) => line.includes(`device="${device}"`)).map((line) => line.split('{')[0]);

  it('shows only the devices whose shards it holds, and their alarms', async () => {
    fleet.devices[1]!.raise('overload');
    await until('pdu-2\'s alarm stored', () => t.running.store.alarms.active().some((a) => a.deviceId === ids.pdu2 && a.code === 'pdu.phaseOverload'));
    await until('pdu-1\'s readings shown', async () => (await scrape()).includes('priscan_reading{device="pdu-1"'));
    const text = await scrape();
    expect(new Set(seriesOf(text, 'pdu-1'))).toEqual(new Set(['priscan_reading', 'priscan_reading_state', 'priscan_device_up', 'priscan_device_monitored', 'priscan_device_registered', 'priscan_device_last_scan_timestamp_seconds', 'priscan_device_last_scan_duration_seconds']));
    expect(seriesOf(text, 'pdu-2')).toEqual([]);
    expect(text).toMatch(/^priscan_alarms_active\{severity="critical"\} 0$/m);
    expect(text).toMatch(/^priscan_devices\{state="monitored"\} 1$/m);
    // Not shard 0's holder: the license figures are another collector's to show.
    expect(text).toMatch(/^priscan_licensed_nodes 0$/m);
  });

  it('shows a device when its shard comes to it, and stops showing one when its shard leaves', async () => {
    cluster.held = new Set([shardOf(ids.pdu2), 0]);
    await new Promise((resolve) => setImmediate(resolve)); // a scrape's snapshot lasts that scrape only
    let text = await scrape();
    expect(seriesOf(text, 'pdu-1')).toEqual([]);
    expect(text).toMatch(/^priscan_alarm_active\{device="pdu-2",severity="critical",code="pdu.phaseOverload"\} 1$/m);
    expect(text).toMatch(/^priscan_licensed_nodes [1-9]/m);
    // Its readings come with its new owner's first scan.
    expect((await t.api('POST', `/api/v1/devices/${ids.pdu2}/scan`)).status).toBe(202);
    text = await until('pdu-2\'s readings shown', async () => {
      const now = await scrape();
      return now.includes('priscan_reading{device="pdu-2"') && now;
    });
    expect(seriesOf(text, 'pdu-1')).toEqual([]);
    expect(cluster.ownsDevice(firstDeviceOfShard(0))).toBe(true);
  });
});

describe.skipIf(!prometheus)('a real Prometheus on the SD document', () => {
  let server: ChildProcess | undefined;
  let scratch = '';
  let log = '';

  afterAll(() => {
    server?.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('scrapes both live collectors, found through http_sd_configs with a viewer token, and not the dead one', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'priscan-prometheus-sd-'));
    writeFileSync(join(scratch, 'priscan-token'), viewer);
    writeFileSync(
      join(scratch, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: priscan',
        '    http_sd_configs:',
        `      - url: ${t.running.httpUrl}/api/v1/cluster/prometheus-sd`,
        '        refresh_interval: 1s',
        '        authorization:',
        // Without it http_sd sends the bare token, no "Bearer " (prometheus/docs#2377): refused.
        '          type: Bearer',
        `          credentials_file: ${join(scratch, 'priscan-token')}`,
        // A second entry for the same list, as docs/scale-out.md advises (one per collector): still one target each.
        `      - url: ${t.running.httpUrl}/api/v1/cluster/prometheus-sd`,
        '        refresh_interval: 2s',
        '        authorization:',
        '          type: Bearer',
        `          credentials_file: ${join(scratch, 'priscan-token')}`,
        '    relabel_configs:',
        '      - source_labels: [__meta_priscan_collector_id]',
        '        target_label: collector',
        '',
      ].join('\n'),
    );
    const port = await freePort(`${NET}3`);
    server = spawn(prometheus!, [`--config.file=${join(scratch, 'prometheus.yml')}`, `--storage.tsdb.path=${join(scratch, 'data')}`, `--web.listen-address=${NET}3:${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    type Target = { labels: Record<string, string>; discoveredLabels: Record<string, string>; health: string; lastError: string };
    let seen: Target[] = [];
    const targets = await until(
      'Prometheus to scrape both collectors',
      async () => {
        if (server?.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
        try {
          const body = (await (await fetch(`http://${NET}3:${port}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: Target[] } };
          const active = (seen = body.data.activeTargets);
          return active.length === 2 && active.every((target) => target.health === 'up') && active;
        } catch {
          return undefined; // not listening yet
        }
      },
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; Prometheus's targets: ${JSON.stringify(seen)}\n${log}`);
    });
    const byCollector = Object.fromEntries(targets.map((target) => [target.labels.collector, target]));
    expect(Object.keys(byCollector).sort()).toEqual(['collector-a', 'collector-b']);
    expect(byCollector['collector-a']!.labels).toMatchObject({ instance: new URL(t.running.httpUrl).host, job: 'priscan' });
    expect(byCollector['collector-b']!.labels).toMatchObject({ instance: cluster.peerApiAddr, job: 'priscan' });
    expect(byCollector['collector-a']!.discoveredLabels).toMatchObject({ __meta_priscan_notify_addr: `${NET}1:162` });
    // The meta labels are dropped after relabelling: no series carries them.
    expect(Object.keys(byCollector['collector-a']!.labels).filter((name) => name.startsWith('__meta'))).toEqual([]);
  }, 30_000);
});
