// N simulated devices (default 30,000) monitored (a) by three `priscan serve` collectors in cluster
// mode on one throwaway PostgreSQL 15, then (b) by one priscan on SQLite, with the same devices, in
// the same run. For each: the time from the first device added through the API to every device
// listed as registered, a sample of devices checked on the simulators (registered to exactly one
// manager: the collector owning the device's shard, or the single server), and over a steady
// window (safety-net scans only, no API calls) each priscan process's CPU share of one core and RSS,
// and PostgreSQL's CPU (the postmaster and all its backends). Then the ratios: a collector's CPU
// (median of the three) against the single server's, and the cluster's whole CPU (collectors plus
// PostgreSQL) against it.
//
//   node dist/bench/cluster-scale.js            (30,000 devices, scans every 300 s, window 360 s)
//   node dist/bench/cluster-scale.js --quick    (6,000 devices, scans every 60 s, window 72 s)
//   options: --devices N, --processes N (simulator processes, default one per 5,000 devices),
//            --interval S, --window S, --sample N (devices checked on the simulators, default 300), --no-pin,
//            --device-sync-ms MS (the collectors' cluster.deviceSyncMs; default the daemon's, 5000)
//
// The simulators are pinned to core 0 and every priscan process to core 1 (PostgreSQL is not
// pinned); the simulator processes are started afresh for (b), so no device still names a collector.
// Loopback only: devices 127.3.0.1+ port 17101; collectors 127.0.100.21-23 and the single server
// 127.0.100.31, each with notifications on port 17102 and its API on 17103; PostgreSQL on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { deviceAddress } from '../simulators/fleet.js';
import { shardOf, SHARD_COUNT } from '../src/cluster/shards.js';
import { IssuerSecret } from '../src/licensing/issuer-secret.js';
import { issueKey } from '../src/licensing/key.js';
import { CollectorSet, shardOwners, type Collector } from '../test/helpers/cluster-daemons.js';
import { testLicenseKey } from '../test/helpers/daemon.js';
import { startPostgres, type PostgresCluster } from '../test/helpers/postgres.js';
import { until } from '../test/helpers/tools.js';
import { round } from './lib/detection-log.js';
import { hasTaskset, pinSelf, type FleetLink } from './lib/fleet-link.js';
import { createAdminToken, startPriscanProcess, type PriscanProcess } from './lib/priscan-process.js';
import { cpuSeconds, cpuShare, memoryMb, treeCpuSeconds } from './lib/proc.js';
import { addDevices, scansSoFar, startSimulators, untilIdle, untilRegistered, type Api } from './lib/scale-fleet.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string' },
    processes: { type: 'string' },
    interval: { type: 'string' },
    window: { type: 'string' },
    sample: { type: 'string', default: '300' },
    'device-sync-ms': { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(args.devices ?? (args.quick ? 6_000 : 30_000));
const PROCESSES = Number(args.processes ?? Math.ceil(DEVICES / 5_000));
const INTERVAL_S = Number(args.interval ?? (args.quick ? 60 : 300));
// One full interval and its jitter.
const WINDOW_S = Number(args.window ?? INTERVAL_S * 1.2);
const SAMPLE = Math.min(Number(args.sample), DEVICES);
if (!Number.isInteger(DEVICES) || DEVICES < 30 || DEVICES > 60_000) throw new Error('--devices must be a whole number from 30 to 60000');
if (!Number.isInteger(PROCESSES) || PROCESSES < 1 || PROCESSES > 16) throw new Error('--processes must be from 1 to 16');
if (!(Number.isInteger(INTERVAL_S) && INTERVAL_S >= 60 && INTERVAL_S <= 3600)) throw new Error('--interval must be a whole number of seconds from 60 to 3600');
if (!(WINDOW_S >= 10 && WINDOW_S <= 3600)) throw new Error('--window must be from 10 to 3600 seconds');
if (!(Number.isInteger(SAMPLE) && SAMPLE >= 1)) throw new Error('--sample must be a whole number of at least 1');
const DEVICE_SYNC_MS = args['device-sync-ms'] === undefined ? undefined : Number(args['device-sync-ms']);
if (DEVICE_SYNC_MS !== undefined && !(Number.isInteger(DEVICE_SYNC_MS) && DEVICE_SYNC_MS >= 100 && DEVICE_SYNC_MS <= 600_000)) throw new Error('--device-sync-ms must be a whole number from 100 to 600000');

const BASE = '127.3.0.1';
const DEVICE_PORT = 17101;
const NOTIFY_PORT = 17102;
const HTTP_PORT = 17103;
const COLLECTOR_IPS = ['127.0.100.21', '127.0.100.22', '127.0.100.23'];
const SINGLE_IP = '127.0.100.31';
const ADD_CONCURRENCY = 8;
const REGISTRATION_TIMEOUT_MS = 1_800_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cores = os.availableParallelism();
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pinned = !args['no-pin'] && cores >= 2 && hasTaskset() && pinSelf(0);
const priscanCore = pinned ? 1 : undefined;
const scratch = mkdtempSync(join(os.tmpdir(), 'priscan-cluster-scale-'));
const perProcess = Math.ceil(DEVICES / PROCESSES);
const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const deviceBody = (i: number) => ({
  name: `sim-${i + 1}`,
  address: deviceAddress(BASE, i),
  port: DEVICE_PORT,
  profile: 'priscan-sim',
  intervalSeconds: INTERVAL_S,
  snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
});

/** Devices spread evenly over the fleet whose registration table is read on the simulators. */
const sampleIndexes = Array.from({ length: SAMPLE }, (_, k) => Math.floor((k * DEVICES) / SAMPLE));

/** How many sampled devices hold exactly one manager, the one `expected(i)` names. */
async function checkSample(links: readonly FleetLink[], expected: (i: number) => string): Promise<{ checked: number; registeredToExactlyTheOwner: number }> {
  let matching = 0;
  for (const [k, link] of links.entries()) {
    const indexes = sampleIndexes.filter((i) => Math.floor(i / perProcess) === k);
    if (indexes.length === 0) continue;
    const reply = await link.request({ type: 'managers', fleet: 'priscan', indexes: indexes.map((i) => i % perProcess) });
    reply.managers.forEach((managers, n) => {
      if (managers.length === 1 && `${managers[0]!.address}:${managers[0]!.port}` === expected(indexes[n]!)) matching++;
    });
  }
  return { checked: SAMPLE, registeredToExactlyTheOwner: matching };
}

interface Daemon {
  name: string;
  pid: number;
  url: string;
  token: string;
}

/** The steady window: no API calls inside it; CPU of each daemon, of PostgreSQL (if any) and of the simulators. */
async function steadyWindow(daemons: readonly Daemon[], links: readonly FleetLink[], postgresPid: number | undefined) {
  const scansBefore = await Promise.all(daemons.map((d) => scansSoFar(d.url, d.token)));
  // What the scrapes cost settles before the window.
  await sleep(1_000);
  const at = () => performance.now();
  const before = { daemons: daemons.map((d) => ({ cpuS: cpuSeconds(d.pid), atMs: at() })), postgres: postgresPid ? { cpuS: treeCpuSeconds(postgresPid), atMs: at() } : undefined, sims: links.map((l) => ({ cpuS: cpuSeconds(l.pid), atMs: at() })) };
  const rss = daemons.map(() => [] as number[]);
  const windowEnd = at() + WINDOW_S * 1000;
  while (at() < windowEnd) {
    await sleep(Math.min(5_000, windowEnd - at()));
    daemons.forEach((d, i) => rss[i]!.push(memoryMb(d.pid).rssMb));
  }
  const after = { daemons: daemons.map((d) => ({ cpuS: cpuSeconds(d.pid), atMs: at() })), postgres: postgresPid ? { cpuS: treeCpuSeconds(postgresPid), atMs: at() } : undefined, sims: links.map((l) => ({ cpuS: cpuSeconds(l.pid), atMs: at() })) };
  const scansAfter = await Promise.all(daemons.map((d) => scansSoFar(d.url, d.token)));
  return {
    daemons: daemons.map((d, i) => ({ name: d.name, cpuShareOfOneCore: round(cpuShare(before.daemons[i]!, after.daemons[i]!), 4), rssMbMax: Math.max(...rss[i]!), peakRssMbSinceStart: memoryMb(d.pid).peakRssMb, scans: scansAfter[i]! - scansBefore[i]! })),
    postgresCpuShareOfOneCore: before.postgres && after.postgres ? round(cpuShare(before.postgres, after.postgres), 4) : null,
    simulators: { processes: links.length, cpuShareOfOneCore: round(after.sims.reduce((t, a, i) => t + cpuShare(before.sims[i]!, a), 0), 4) },
  };
}

/** (a) Three collectors on one PostgreSQL. */
async function clusterPhase(links: readonly FleetLink[]) {
  const dir = join(scratch, 'cluster');
  mkdirSync(dir);
  let postgres: PostgresCluster | undefined;
  let set: CollectorSet | undefined;
  let db: pg.Client | undefined;
  // Interrupted (the signal handlers below exit), the collectors must not outlive the bench.
  const killCollectors = () => set?.killAll();
  try {
    postgres = await startPostgres({ preferredPort: 25497 });
    const connection = await postgres.createDatabase();
    db = new pg.Client(connection);
    await db.connect();
    const postmasterPid = Number(readFileSync(join(postgres.socketDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cluster = new CollectorSet({ dir, url: `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`, ips: COLLECTOR_IPS, notifyPort: NOTIFY_PORT, httpPort: HTTP_PORT, timing: `joinGraceMs: 0, movesPerRound: 64${DEVICE_SYNC_MS === undefined ? '' : `, deviceSyncMs: ${DEVICE_SYNC_MS}`}` });
    set = cluster;
    process.once('exit', killCollectors);
    cluster.writeConfigs();
    const [first, ...rest] = cluster.collectors as [Collector, ...Collector[]];
    cluster.start(first);
    await cluster.answering([first], 60_000);
    cluster.createToken(first);
    // Licensed before the others start, so each reads the license at start.
    const licensed = await cluster.api(first, 'POST', '/api/v1/licenses', { key: testLicenseKey(DEVICES) });
    if (licensed.status !== 201) throw new Error(`license refused: ${JSON.stringify(licensed.body)}`);
    for (const c of rest) cluster.start(c);
    await cluster.answering(rest, 60_000);
    // Balanced before any device exists, so each device is registered once, by its shard's owner.
    const balanced = async () => {
      const counts = new Map<string, number>();
      for (const owner of (await shardOwners(db!)).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      return cluster.collectors.every((c) => (counts.get(c.id) ?? 0) >= Math.floor(SHARD_COUNT / cluster.collectors.length) - 2);
    };
    await until('the shards balanced over the three collectors', balanced, 120_000);
    if (priscanCore !== undefined) for (const c of cluster.collectors) spawnSync('taskset', ['-a', '-p', '-c', String(priscanCore), String(c.child!.pid)]);
    const apiOf = (c: Collector): Api => (method, path, body) => cluster.api(c, method, path, body);

    process.stderr.write(`cluster: three collectors balanced; adding ${DEVICES} devices through their APIs in turn\n`);
    const addStarted = performance.now();
    const ids = await addDevices({ count: DEVICES, concurrency: ADD_CONCURRENCY, apiFor: (i) => apiOf(cluster.collectors[i % cluster.collectors.length]!), body: deviceBody });
    const addMs = performance.now() - addStarted;
    await untilRegistered(apiOf(first), DEVICES, { everyMs: 5_000, timeoutMs: REGISTRATION_TIMEOUT_MS });
    const registeredMs = performance.now() - addStarted;
    for (const c of cluster.collectors) await untilIdle(apiOf(c), c.child!.pid!, 600_000);
    const owners = await shardOwners(db);
    const sample = await checkSample(links, (i) => {
      const owner = owners.get(shardOf(ids[i]!));
      return owner ? `${cluster.get(owner).ip}:${NOTIFY_PORT}` : 'no owner';
    });
    const shards = new Map<string, number>();
    for (const owner of owners.values()) shards.set(owner, (shards.get(owner) ?? 0) + 1);
    const devicesOf = new Map<string, number>();
    for (const id of ids) devicesOf.set(owners.get(shardOf(id)) ?? 'none', (devicesOf.get(owners.get(shardOf(id)) ?? 'none') ?? 0) + 1);
    process.stderr.write(`cluster: ${DEVICES} devices added in ${Math.round(addMs)} ms, all registered after ${Math.round(registeredMs)} ms; steady window ${WINDOW_S} s\n`);

    const daemons = cluster.collectors.map((c) => ({ name: c.id, pid: c.child!.pid!, url: `http://${c.ip}:${HTTP_PORT}`, token: cluster.token }));
    const window = await steadyWindow(daemons, links, postmasterPid);
    const collectors = window.daemons.map(({ name, ...figures }) => ({ id: name, shards: shards.get(name) ?? 0, devices: devicesOf.get(name) ?? 0, ...figures }));
    const collectorsCpu = collectors.reduce((t, c) => t + c.cpuShareOfOneCore, 0);
    return {
      addDevicesMs: Math.round(addMs),
      addToAllRegisteredMs: Math.round(registeredMs),
      sample,
      collectors,
      postgresCpuShareOfOneCore: window.postgresCpuShareOfOneCore,
      totalCpuShareOfOneCore: round(collectorsCpu + (window.postgresCpuShareOfOneCore ?? 0), 4),
      simulators: window.simulators,
    };
  } finally {
    process.off('exit', killCollectors);
    set?.killAll();
    await db?.end().catch(() => undefined);
    await postgres?.stop();
  }
}

/** (b) One priscan on SQLite, licensed like daemon-scale.ts: its own issuer secret, a key bound to its server id. */
async function singlePhase(links: readonly FleetLink[]) {
  const dir = join(scratch, 'single');
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const secretText = randomBytes(32).toString('base64');
  writeFileSync(join(dir, 'issuer.secret'), `${secretText}\n`, { mode: 0o600 });
  const configFile = join(dir, 'priscan.yaml');
  writeFileSync(
    configFile,
    stringify({
      dataDir: join(dir, 'data'),
      log: { level: 'info' },
      manager: { address: SINGLE_IP },
      notifications: { listen: { address: SINGLE_IP, port: NOTIFY_PORT } },
      http: { listen: { address: SINGLE_IP, port: HTTP_PORT } },
      licensing: { issuerSecretFile: join(dir, 'issuer.secret') },
    }),
  );
  const token = createAdminToken(configFile);
  const url = `http://${SINGLE_IP}:${HTTP_PORT}`;
  let priscan: PriscanProcess | undefined;
  const killSingle = () => {
    if (priscan) process.kill(priscan.pid, 'SIGKILL');
  };
  try {
    priscan = await startPriscanProcess({ configFile, httpUrl: url, token, core: priscanCore });
    process.once('exit', killSingle);
    const about = (await priscan.api('GET', '/api/v1/about')).body as { serverId: string | null; serverIdError: string | null };
    if (!about.serverId) throw new Error(`priscan has no server identity to license against: ${about.serverIdError}`);
    const key = issueKey({ secret: IssuerSecret.fromText(secretText, 'bench'), mac: about.serverId, nodes: DEVICES, passcode: `bench-cluster-scale-${process.pid}`, edition: 'standard', issuedOn: new Date() }).key;
    const licensed = await priscan.api('POST', '/api/v1/licenses', { key });
    if (licensed.status !== 201) throw new Error(`license refused: ${JSON.stringify(licensed.body)}`);

    process.stderr.write(`single: adding ${DEVICES} devices\n`);
    const addStarted = performance.now();
    await addDevices({ count: DEVICES, concurrency: ADD_CONCURRENCY, apiFor: () => priscan!.api, body: deviceBody });
    const addMs = performance.now() - addStarted;
    await untilRegistered(priscan.api, DEVICES, { everyMs: 5_000, timeoutMs: REGISTRATION_TIMEOUT_MS });
    const registeredMs = performance.now() - addStarted;
    await untilIdle(priscan.api, priscan.pid, 600_000);
    const sample = await checkSample(links, () => `${SINGLE_IP}:${NOTIFY_PORT}`);
    process.stderr.write(`single: ${DEVICES} devices added in ${Math.round(addMs)} ms, all registered after ${Math.round(registeredMs)} ms; steady window ${WINDOW_S} s\n`);
    const window = await steadyWindow([{ name: 'single', pid: priscan.pid, url, token }], links, undefined);
    const { name: _name, ...figures } = window.daemons[0]!;
    return { addDevicesMs: Math.round(addMs), addToAllRegisteredMs: Math.round(registeredMs), sample, ...figures, simulators: window.simulators };
  } finally {
    process.off('exit', killSingle);
    await priscan?.stop();
  }
}

// Ctrl-C or kill: exit through 'exit', whose handlers end the collectors, the single server and
// PostgreSQL (test/helpers/postgres.ts); the simulators leave when their IPC channel closes.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => process.exit(code));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
let links: FleetLink[] = [];
try {
  const simulators = { devices: DEVICES, processes: PROCESSES, base: BASE, port: DEVICE_PORT, core: pinned ? 0 : undefined };
  let fleet = await startSimulators(simulators);
  links = fleet.links;
  process.stderr.write(`${links.length} simulator processes, ${DEVICES} devices, up in ${fleet.startupMs} ms\n`);
  const cluster = await clusterPhase(links);
  // Fresh devices for the baseline: none still holds a collector's registration.
  await Promise.all(links.map((l) => l.stop()));
  links = [];
  fleet = await startSimulators(simulators);
  links = fleet.links;
  const single = await singlePhase(links);

  const collectorCpus = cluster.collectors.map((c) => c.cpuShareOfOneCore);
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
  const result = {
    name: 'cluster-scale',
    quick: args.quick,
    devices: DEVICES,
    intervalS: INTERVAL_S,
    windowS: WINDOW_S,
    deviceSyncMs: DEVICE_SYNC_MS ?? 5000,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    layout: { pinned, priscanCore: priscanCore ?? null, simulatorsCore: pinned ? 0 : null, simulatorProcesses: links.length, postgres: 'throwaway PostgreSQL 15, fsync off, not pinned' },
    cluster,
    single,
    ratios: {
      collectorCpuMedianVsSingle: ratio(median(collectorCpus), single.cpuShareOfOneCore),
      clusterTotalCpuVsSingle: ratio(cluster.totalCpuShareOfOneCore, single.cpuShareOfOneCore),
      registrationClusterVsSingle: ratio(cluster.addToAllRegisteredMs, single.addToAllRegisteredMs),
    },
  };
  const pct = (share: number | null) => (share === null ? '-' : `${round(share * 100, 2)} %`);
  console.log(`\n${DEVICES} sim devices, scans every ${INTERVAL_S} s, steady window ${WINDOW_S} s, collectors' device sync every ${result.deviceSyncMs} ms (${links.length} simulator processes${pinned ? ' on core 0, priscan on core 1' : ''}; load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  console.log('| | shards | devices | CPU, share of one core | RSS max (MB) | scans in window |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cluster.collectors) console.log(`| collector ${c.id} | ${c.shards} | ${c.devices} | ${pct(c.cpuShareOfOneCore)} | ${c.rssMbMax} | ${c.scans} |`);
  console.log(`| PostgreSQL (all its processes) | | | ${pct(cluster.postgresCpuShareOfOneCore)} | | |`);
  console.log(`| cluster total (3 collectors + PostgreSQL) | ${SHARD_COUNT} | ${DEVICES} | ${pct(cluster.totalCpuShareOfOneCore)} | | ${cluster.collectors.reduce((t, c) => t + c.scans, 0)} |`);
  console.log(`| single priscan on SQLite | | ${DEVICES} | ${pct(single.cpuShareOfOneCore)} | ${single.rssMbMax} | ${single.scans} |`);
  console.log(`add ${DEVICES} devices -> all registered: cluster ${(cluster.addToAllRegisteredMs / 1000).toFixed(1)} s (adding ${(cluster.addDevicesMs / 1000).toFixed(1)} s), single ${(single.addToAllRegisteredMs / 1000).toFixed(1)} s (adding ${(single.addDevicesMs / 1000).toFixed(1)} s)`);
  console.log(`sampled devices registered to exactly their owner: cluster ${cluster.sample.registeredToExactlyTheOwner}/${cluster.sample.checked}, single ${single.sample.registeredToExactlyTheOwner}/${single.sample.checked}`);
  console.log(`ratios: collector CPU (median) / single ${result.ratios.collectorCpuMedianVsSingle}; cluster total CPU / single ${result.ratios.clusterTotalCpuVsSingle}; registration time cluster / single ${result.ratios.registrationClusterVsSingle}`);
  console.log(`simulators (not priscan): ${pct(cluster.simulators.cpuShareOfOneCore)} (cluster window), ${pct(single.simulators.cpuShareOfOneCore)} (single window)`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await Promise.all(links.map((l) => l.stop()));
  rmSync(scratch, { recursive: true, force: true });
}
