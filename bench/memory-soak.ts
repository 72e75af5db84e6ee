// Memory under a sustained storm: does priscan's resident memory stay flat?
//
//   npm run bench:memory               (10 minutes of storm, about 11 minutes in all)
//   npm run bench:memory -- --quick    (2 minutes of storm: RSS at 1 min against RSS at 2 min)
//   options: --minutes N, --devices N (default 200), --changes-per-s N (default 200),
//            --notifications-per-s N (default 1000), --no-pin
//
// `priscan serve` runs as a child process (its own core when taskset exists), licensed for the
// fleet with a key issued here. The simulated fleet and the storm run in this process: random
// raises and clears on random devices (each sends its alert-present notification), extra
// alert-present notifications from the devices' own addresses, notifications from an unknown
// address (counted and dropped), and an API client listing alarms and scraping /metrics.
// Every 5 s the child's VmRSS (/proc/PID/status) and its V8 heap (/metrics) are sampled.
// Devices 127.2.32.1+ on port 17120; priscan's notifications on 17122, HTTP on 17121.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../simulators/devices/device.js';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { Fleet } from '../simulators/fleet.js';
import { PRISCAN_SIM } from '../src/profiles/oids.js';
import { packageFile } from '../src/cli/version.js';
import { serverIdentity } from '../src/licensing/identity.js';
import { IssuerSecret } from '../src/licensing/issuer-secret.js';
import { issueKey } from '../src/licensing/key.js';
import { encodeNotification } from '../test/helpers/notifications.js';
import { round } from './lib/detection-log.js';
import { hasTaskset, pinSelf } from './lib/fleet-link.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    devices: { type: 'string', default: '200' },
    'changes-per-s': { type: 'string', default: '200' },
    'notifications-per-s': { type: 'string', default: '1000' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const MINUTES = Number(args.minutes ?? (args.quick ? 2 : 10));
const DEVICES = Number(args.devices);
const CHANGES_PER_S = Number(args['changes-per-s']);
const NOTIFICATIONS_PER_S = Number(args['notifications-per-s']);
if (!(MINUTES >= 2 && MINUTES <= 120)) throw new Error('--minutes must be from 2 to 120 (the figure compares against the first minute)');
if (!Number.isInteger(DEVICES) || DEVICES < 5 || DEVICES > 2000) throw new Error('--devices must be a whole number from 5 to 2000');

const CLI = packageFile('dist/src/cli/priscan.js');
const DEVICE_PORT = 17120;
const HTTP_PORT = 17121;
const NOTIFY_PORT = 17122;
const BASE = '127.2.32.1';
const STRANGER = '127.2.40.1';
const SAMPLE_EVERY_MS = 5_000;
const TICK_MS = 10;
const api = `http://127.0.0.1:${HTTP_PORT}`;
const random = seededRandom(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  s: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** Memory of C++ objects bound to JS (Buffers, better-sqlite3), outside the V8 heap. */
  externalMiB: number;
}

/** The child's resident set from the kernel, in MiB. */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? round(Number(match[1]) / 1024, 1) : NaN;
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

async function waitReady(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`priscan exited with ${child.exitCode}`);
    if (await fetch(`${api}/readyz`).then((r) => r.ok, () => false)) return;
    await sleep(50);
  }
  throw new Error('priscan not ready after 20 s');
}

const cores = os.availableParallelism();
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pin = !args['no-pin'] && cores >= 2 && hasTaskset();
const scratch = mkdtempSync(join(os.tmpdir(), 'priscan-soak-'));
const fleet = new Fleet({ devices: [{ kind: 'sim', count: DEVICES }], baseAddress: BASE, port: DEVICE_PORT });
const stranger = dgram.createSocket('udp4');
let child: ChildProcess | undefined;
let storm: NodeJS.Timeout | undefined;
try {
  if (pin) pinSelf(0);
  // A licence for the fleet, issued here with a secret of this run, for this machine's MAC.
  const secretFile = join(scratch, 'issuer.secret');
  writeFileSync(secretFile, `memory soak issuer secret ${process.pid} ${Date.now()}\n`, { mode: 0o600 });
  const secret = IssuerSecret.fromText(readFileSync(secretFile, 'utf8'), 'soak');
  const { mac } = serverIdentity();
  const key = issueKey({ secret, mac, nodes: DEVICES, passcode: `soak-${process.pid}-${Date.now()}`, edition: 'standard', issuedOn: new Date() }).key;
  const configFile = join(scratch, 'priscan.yaml');
  writeFileSync(
    configFile,
    `dataDir: ${scratch}\nlog: {level: warn}\nmanager: {address: 127.0.0.1}\n` +
      `notifications: {listen: {address: 127.0.0.1, port: ${NOTIFY_PORT}}}\n` +
      `http: {listen: {address: 127.0.0.1, port: ${HTTP_PORT}}}\nlicensing: {issuerSecretFile: ${secretFile}}\n`,
  );
  const created = spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', 'soak', '--json', '--config', configFile], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`token create failed: ${created.stderr}`);
  const headers = { authorization: `Bearer ${(JSON.parse(created.stdout) as { token: string }).token}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };

  await fleet.start();
  const serve = [CLI, 'serve', '--config', configFile];
  child = pin ? spawn('taskset', ['-c', '1', process.execPath, ...serve], { stdio: ['ignore', 'ignore', 'inherit'] }) : spawn(process.execPath, serve, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitReady(child);
  // taskset execs node in place: the child's pid is priscan's.
  const pid = child.pid as number;
  await call('POST', '/api/v1/licenses', { key });
  for (const [i, device] of fleet.devices.entries()) {
    await call('POST', '/api/v1/devices', { name: `sim-${i + 1}`, address: device.address, port: DEVICE_PORT, profile: 'priscan-sim', timeoutMs: 1000, retries: 1, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
  }
  const registeredBy = Date.now() + 60_000;
  while (fleet.devices.some((d) => d.identity.registration.targets().length === 0)) {
    if (Date.now() > registeredBy) throw new Error('the fleet did not register within 60 s');
    await sleep(100);
  }
  process.stderr.write(`${DEVICES} devices registered; storm for ${MINUTES} min: ${CHANGES_PER_S} changes/s, ${NOTIFICATIONS_PER_S} extra notifications/s\n`);

  // The storm, paced per 10 ms tick.
  const names = Object.keys(SIM_ALARMS);
  const alertPresent = { trapOid: PRISCAN_SIM.alertPresent, varbinds: [] };
  const strangerDatagram = encodeNotification('v2c-trap', { community: 'public' });
  const counts = { changes: 0, notifications: 0, strangers: 0, apiCalls: 0 };
  const stormStarted = Date.now();
  let changeDebt = 0;
  let notifyDebt = 0;
  storm = setInterval(() => {
    changeDebt += (CHANGES_PER_S * TICK_MS) / 1000;
    notifyDebt += (NOTIFICATIONS_PER_S * TICK_MS) / 1000;
    for (; changeDebt >= 1; changeDebt--, counts.changes++) {
      const device = fleet.devices[Math.floor(random() * DEVICES)]!;
      const name = names[Math.floor(random() * names.length)]!;
      if (device.isActive(name)) device.clear(name);
      else device.raise(name);
    }
    for (; notifyDebt >= 1; notifyDebt--, counts.notifications++) {
      const device = fleet.devices[Math.floor(random() * DEVICES)]!;
      for (const target of device.identity.registration.targets()) device.agent.send(target, alertPresent);
      // One in ten from an address priscan does not know.
      if (counts.notifications % 10 === 0) {
        stranger.send(strangerDatagram, NOTIFY_PORT, '127.0.0.1');
        counts.strangers++;
      }
    }
  }, TICK_MS);
  await new Promise<void>((resolve, reject) => {
    stranger.once('error', reject);
    stranger.bind(0, STRANGER, () => resolve());
  });

  const samples: Sample[] = [];
  const started = Date.now();
  const end = started + MINUTES * 60_000;
  let nextSample = started;
  while (Date.now() < end) {
    await call('GET', '/api/v1/alarms');
    counts.apiCalls++;
    if (Date.now() >= nextSample) {
      const text = await (await fetch(`${api}/metrics`)).text();
      samples.push({
        s: Math.round((Date.now() - started) / 1000),
        rssMiB: rssOf(pid),
        heapUsedMiB: round(metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, 1),
        heapTotalMiB: round(metricValue(text, 'nodejs_heap_size_total_bytes') / 2 ** 20, 1),
        externalMiB: round(metricValue(text, 'nodejs_external_memory_bytes') / 2 ** 20, 1),
      });
      const last = samples.at(-1)!;
      process.stderr.write(`${last.s} s: rss ${last.rssMiB} MiB, heap ${last.heapUsedMiB}/${last.heapTotalMiB} MiB, external ${last.externalMiB} MiB\n`);
      nextSample += SAMPLE_EVERY_MS;
    }
    await sleep(250);
  }
  clearInterval(storm);
  storm = undefined;
  const metrics = await (await fetch(`${api}/metrics`)).text();
  const at = (s: number) => samples.reduce((best, x) => (Math.abs(x.s - s) < Math.abs(best.s - s) ? x : best));
  const atOneMinute = at(60);
  const atEnd = samples.at(-1)!;
  const fromOneMinute = samples.filter((x) => x.s >= 60);
  // The heap grows and collects in waves of tens of seconds: single samples land anywhere on
  // the wave, so the means over 30 s windows (around 1 min, and the last 30 s) are shown too.
  const meanRss = (from: number, to: number) => {
    const window = samples.filter((x) => x.s >= from && x.s <= to);
    return round(window.reduce((n, x) => n + x.rssMiB, 0) / window.length, 1);
  };
  const lastS = samples.at(-1)!.s;
  const windows = { aroundOneMinute: meanRss(45, 75), lastHalfMinute: meanRss(lastS - 30, lastS) };
  const result = {
    name: 'memory-soak',
    quick: args.quick,
    minutes: MINUTES,
    devices: DEVICES,
    rates: { changesPerS: CHANGES_PER_S, notificationsPerS: NOTIFICATIONS_PER_S, strangersPerS: NOTIFICATIONS_PER_S / 10, apiCallsPerS: round(counts.apiCalls / (MINUTES * 60), 1) },
    machine: { cores, node: process.version, pinned: pin, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    sent: counts,
    achieved: { changesPerS: round(counts.changes / ((Date.now() - stormStarted) / 1000), 1), notificationsPerS: round(counts.notifications / ((Date.now() - stormStarted) / 1000), 1) },
    daemon: {
      notificationsAccepted: metricValue(metrics, 'priscan_notifications_received_total{version="v2c",kind="trap",result="accepted"}'),
      scans: metrics.split('\n').filter((l) => l.startsWith('priscan_scans_total{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0),
    },
    rssMiB: { atOneMinute: atOneMinute.rssMiB, atEnd: atEnd.rssMiB, maxAfterOneMinute: Math.max(...fromOneMinute.map((x) => x.rssMiB)) },
    heapUsedMiB: { atOneMinute: atOneMinute.heapUsedMiB, atEnd: atEnd.heapUsedMiB, maxAfterOneMinute: Math.max(...fromOneMinute.map((x) => x.heapUsedMiB)) },
    heapTotalMiB: { atOneMinute: atOneMinute.heapTotalMiB, atEnd: atEnd.heapTotalMiB },
    externalMiB: { atOneMinute: atOneMinute.externalMiB, atEnd: atEnd.externalMiB },
    rssEndOverOneMinute: round(atEnd.rssMiB / atOneMinute.rssMiB, 3),
    rssMeanMiB: windows,
    rssMeanLastOverOneMinute: round(windows.lastHalfMinute / windows.aroundOneMinute, 3),
    goals: { rssWithin20Percent: atEnd.rssMiB <= 1.2 * atOneMinute.rssMiB, rssMeanWithin20Percent: windows.lastHalfMinute <= 1.2 * windows.aroundOneMinute },
    samples,
  };
  console.log(`memory soak, ${MINUTES} min storm on ${DEVICES} devices (${cores} cores, ${pin ? 'priscan pinned to core 1' : 'not pinned'}, load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  console.log(`  sent: ${counts.changes} alarm changes, ${counts.notifications} extra notifications, ${counts.strangers} from a stranger, ${counts.apiCalls} API calls`);
  console.log(`  RSS at 1 min ${atOneMinute.rssMiB} MiB, at ${atEnd.s} s ${atEnd.rssMiB} MiB (x${result.rssEndOverOneMinute}); heap used ${atOneMinute.heapUsedMiB} -> ${atEnd.heapUsedMiB} MiB`);
  console.log(`  mean RSS 45-75 s ${windows.aroundOneMinute} MiB, last 30 s ${windows.lastHalfMinute} MiB (x${result.rssMeanLastOverOneMinute}); max after 1 min ${result.rssMiB.maxAfterOneMinute} MiB`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  if (storm) clearInterval(storm);
  stranger.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  await fleet.stop();
  rmSync(scratch, { recursive: true, force: true });
}
