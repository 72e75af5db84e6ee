// priscan at 10,000 devices: every device registered, safety-net scans every 300 s. Measures the
// daemon's own process (priscan serve, pinned to core 1): CPU share over a steady window, RSS,
// the start-up time of a daemon whose database already holds the 10,000 devices, and what the
// database grows by over the window.
//
//   node dist/bench/daemon-scale.js            (steady window 360 s: one full 300 s interval and its jitter)
//   node dist/bench/daemon-scale.js --quick    (every device scanned every 60 s, 5 times as often; window 72 s)
//   options: --devices N (default 10000), --processes N (simulator processes, default 4), --window S, --no-pin,
//            --interval S (default 300; --quick 60),
//            --variant sim|readings (default sim), --kinds K,K (the readings variant's kinds, default ups,netbotz)
//
// Variants: `sim` devices have alarms and no readings (the baseline); `readings` devices are
// simulated kinds with readings (by default half RFC 1628 UPSes, 8 readings each, half NetBotz,
// 3 readings each), their profiles' default thresholds applying, and their sensor values drifting
// (a new value every DRIFT_EVERY_S, within every threshold) so that scans write history points as
// real sensors make them. `npm run bench:scale-readings` runs both, one after the other.
//
// The simulated devices run in --processes child processes pinned to core 0 (their CPU and RSS
// are reported beside, never mixed in); with several kinds, the processes take them in turn.
// Loopback only: devices 127.1.0.1+ port 17001, priscan's API 127.0.0.1:17020 and notification
// listener 127.0.0.1:17021 (both variants, never at the same time).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { IssuerSecret } from '../src/licensing/issuer-secret.js';
import { issueKey } from '../src/licensing/key.js';
import { deviceAddress } from '../simulators/fleet.js';
import { parseConfig } from '../src/config/load.js';
import { SCHEDULER_JITTER } from './lib/cadence-model.js';
import { databaseFigures, databaseGrowth } from './lib/database-size.js';
import { round } from './lib/detection-log.js';
import { FleetLink, hasTaskset, pinSelf } from './lib/fleet-link.js';
import { createAdminToken, startPriscanProcess, type PriscanProcess } from './lib/priscan-process.js';
import { cpuSeconds, cpuShare, memoryMb } from './lib/proc.js';
import { addDevices, scansSoFar, startSimulators, untilIdle, type Kind } from './lib/scale-fleet.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '10000' },
    processes: { type: 'string', default: '4' },
    window: { type: 'string' },
    interval: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    variant: { type: 'string', default: 'sim' },
    kinds: { type: 'string', default: 'ups,netbotz' },
  },
});
/** The profile each simulated kind gets (what an `auto` device's sysObjectID would pick). */
const PROFILE_OF: Record<Kind, string> = { sim: 'priscan-sim', ups: 'rfc1628-ups', 'apc-ups': 'apc-ups', netbotz: 'netbotz', pdu: 'apc-rpdu', 'pdu-chain': 'apc-rpdu' };
const VARIANT = args.variant;
if (VARIANT !== 'sim' && VARIANT !== 'readings') throw new Error('--variant must be sim or readings');
const KINDS = (VARIANT === 'sim' ? ['sim'] : (args.kinds ?? '').split(',').map((k) => k.trim())) as Kind[];
for (const kind of KINDS) if (!(kind in PROFILE_OF) || (VARIANT === 'readings' && kind === 'sim')) throw new Error(`--kinds: "${kind}" is not a simulated kind with readings (${Object.keys(PROFILE_OF).filter((k) => k !== 'sim').join(', ')})`);
/** How often the readings variant's sensors take new values: most 300 s scans see a change. */
const DRIFT_EVERY_S = 30;
const DEVICES = Number(args.devices);
const PROCESSES = Number(args.processes);
/** The safety net operators get by default: the per-day figures are given for it, whatever the run's interval. */
const DEFAULT_INTERVAL_S = 300;
// --quick scans every device at the 60 s minimum. Devices registered together scan together: the
// scan after a registration restarts the interval, so every periodic scan of a 300 s run falls
// 270-300 s after the devices were added, and a short window would measure an idle daemon.
const INTERVAL_S = Number(args.interval ?? (args.quick ? 60 : DEFAULT_INTERVAL_S));
// One full interval and its jitter.
const WINDOW_S = Number(args.window ?? INTERVAL_S * 1.2);
if (!Number.isInteger(DEVICES) || DEVICES < 10 || DEVICES > 10_000) throw new Error('--devices must be a whole number from 10 to 10000');
if (!Number.isInteger(PROCESSES) || PROCESSES < 1 || PROCESSES > 16) throw new Error('--processes must be from 1 to 16');
if (!(Number.isInteger(INTERVAL_S) && INTERVAL_S >= 60 && INTERVAL_S <= 3600)) throw new Error('--interval must be a whole number of seconds from 60 to 3600');
if (!(WINDOW_S >= 10 && WINDOW_S <= 3600)) throw new Error('--window must be from 10 to 3600 seconds');
const BASE = '127.1.0.1';
const DEVICE_PORT = 17001;
const HTTP = { address: '127.0.0.1', port: 17020 };
const NOTIFICATION_PORT = 17021;
const ADD_CONCURRENCY = 8;
const GOALS = { cpuShare: 0.1, rssMb: 300, startupMs: 2000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cores = os.availableParallelism();
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pinned = !args['no-pin'] && cores >= 2 && hasTaskset() && pinSelf(0);
const scratch = mkdtempSync(join(os.tmpdir(), 'priscan-scale-'));
const links: FleetLink[] = [];
let priscan: PriscanProcess | undefined;

async function fleetRequests(): Promise<number> {
  const replies = await Promise.all(links.map((l) => l.request({ type: 'counters' })));
  return replies.reduce((total, r) => total + (r.fleets.priscan?.requests ?? 0), 0);
}

const reading = (pid: number) => ({ cpuS: cpuSeconds(pid), atMs: performance.now() });

/** Simulator process k's kind: the kinds in turn. */
const kindOf = (k: number): Kind => KINDS[k % KINDS.length]!;
/** Every device's sensor values move; resolves with how many values were set. */
const drift = async () => (await Promise.all(links.map((l) => l.request({ type: 'drift', fleet: 'priscan' })))).reduce((t, r) => t + r.values, 0);

try {
  // --- the fleet: DEVICES sim devices over PROCESSES pinned simulator processes ---
  const fleet = await startSimulators({ devices: DEVICES, processes: PROCESSES, base: BASE, port: DEVICE_PORT, core: pinned ? 0 : undefined, kindOf });
  links.push(...fleet.links);
  const fleetStartupMs = fleet.startupMs;

  // --- priscan serve with its own issuer secret; a key for DEVICES nodes bound to this machine's MAC ---
  const secretText = randomBytes(32).toString('base64');
  writeFileSync(join(scratch, 'issuer.secret'), `${secretText}\n`, { mode: 0o600 });
  const configFile = join(scratch, 'priscan.yaml');
  const config = {
    dataDir: join(scratch, 'data'),
    log: { level: 'info' },
    manager: { address: '127.0.0.1' },
    notifications: { listen: { address: '127.0.0.1', port: NOTIFICATION_PORT } },
    http: { listen: HTTP },
    licensing: { issuerSecretFile: join(scratch, 'issuer.secret') },
  };
  writeFileSync(configFile, stringify(config));
  // Thresholds and the history policy at their defaults: what the daemon runs with, for the figures.
  const { retentionHours } = parseConfig(config, configFile).readings;
  const databaseFile = join(config.dataDir, 'priscan.db');
  const httpUrl = `http://${HTTP.address}:${HTTP.port}`;
  // token create makes no data directory (only serve does) and runs before the daemon holds it.
  mkdirSync(join(scratch, 'data'), { mode: 0o700 });
  const token = createAdminToken(configFile);
  const core = pinned ? 1 : undefined;
  priscan = await startPriscanProcess({ configFile, httpUrl, token, core });
  const about = (await priscan.api('GET', '/api/v1/about')).body as { serverId: string | null; serverIdError: string | null };
  if (!about.serverId) throw new Error(`priscan has no server identity to license against: ${about.serverIdError}`);
  const key = issueKey({ secret: IssuerSecret.fromText(secretText, 'bench'), mac: about.serverId, nodes: DEVICES, passcode: `bench-scale-${process.pid}`, edition: 'standard', issuedOn: new Date() }).key;
  const licensed = await priscan.api('POST', '/api/v1/licenses', { key });
  if (licensed.status !== 201) throw new Error(`license refused: ${JSON.stringify(licensed.body)}`);

  process.stderr.write(`${links.length} simulator processes up in ${fleetStartupMs} ms; adding ${DEVICES} devices\n`);
  const addStarted = performance.now();
  const perProcess = Math.ceil(DEVICES / PROCESSES);
  await addDevices({
    count: DEVICES,
    concurrency: ADD_CONCURRENCY,
    apiFor: () => priscan!.api,
    body: (i) => {
      const kind = kindOf(Math.floor(i / perProcess));
      return { name: `${kind}-${i + 1}`, address: deviceAddress(BASE, i), port: DEVICE_PORT, profile: PROFILE_OF[kind], intervalSeconds: INTERVAL_S, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } };
    },
  });
  const addMs = performance.now() - addStarted;
  const registrationDrainMs = await untilIdle(priscan.api, priscan.pid, 600_000);
  const listed = (await priscan.api('GET', '/api/v1/devices')).body as { devices: Array<{ state: { registration: string } }> };
  const registered = listed.devices.filter((d) => d.state.registration === 'registered').length;
  process.stderr.write(`${DEVICES} devices added in ${Math.round(addMs)} ms, ${registered} registered, queue drained ${Math.round(registrationDrainMs)} ms later; steady window ${WINDOW_S} s\n`);

  // --- steady: nothing but safety-net scans; no API calls inside the window ---
  // Sensor values move (in the simulators, on core 0) before and through the window.
  const drifting = VARIANT === 'readings';
  let valuesDrifted = drifting ? await drift() : 0;
  let nextDriftAt = performance.now() + DRIFT_EVERY_S * 1000;
  const memorySamples: number[] = [];
  const scansBefore = await scansSoFar(httpUrl, token);
  // What the scrape cost the daemon settles before the window.
  await sleep(1_000);
  const databaseBefore = databaseFigures(databaseFile);
  const fleetBefore = links.map((l) => reading(l.pid));
  const requestsBefore = await fleetRequests();
  const before = reading(priscan.pid);
  const windowEnd = performance.now() + WINDOW_S * 1000;
  while (performance.now() < windowEnd) {
    await sleep(Math.min(5_000, windowEnd - performance.now(), drifting ? Math.max(0, nextDriftAt - performance.now()) : Infinity));
    memorySamples.push(memoryMb(priscan.pid).rssMb);
    if (drifting && performance.now() >= nextDriftAt) {
      valuesDrifted += await drift();
      nextDriftAt += DRIFT_EVERY_S * 1000;
    }
  }
  const after = reading(priscan.pid);
  const databaseAfter = databaseFigures(databaseFile);
  const scansInWindow = (await scansSoFar(httpUrl, token)) - scansBefore;
  const requestsInWindow = (await fleetRequests()) - requestsBefore;
  const fleetAfter = links.map((l) => reading(l.pid));
  const steadyMemory = memoryMb(priscan.pid);
  const steady = {
    windowS: WINDOW_S,
    coversFullInterval: WINDOW_S >= INTERVAL_S,
    cpuShareOfOneCore: round(cpuShare(before, after), 4),
    cpuSecondsInWindow: round(after.cpuS - before.cpuS, 2),
    rssMbMax: Math.max(...memorySamples),
    rssMbEnd: steadyMemory.rssMb,
    peakRssMbSinceStart: steadyMemory.peakRssMb,
    // A sim device's scan is 1 request (scan-packets.ts has every kind's); the devices count what arrived.
    deviceRequestsInWindow: requestsInWindow,
    requestsPerSecond: round(requestsInWindow / WINDOW_S, 1),
    scans: scansInWindow,
    simulators: { processes: links.length, cpuShareOfOneCore: round(fleetAfter.reduce((t, a, i) => t + cpuShare(fleetBefore[i]!, a), 0), 4), rssMb: round(links.reduce((t, l) => t + memoryMb(l.pid).rssMb, 0), 1) },
  };

  // --- start-up of a daemon whose database holds every device ---
  const stopped = await priscan.stop();
  priscan = undefined;
  priscan = await startPriscanProcess({ configFile, httpUrl, token, core });
  const startup = {
    spawnToReadyzMs: round(priscan.readyzAt - priscan.spawnedAt, 1),
    spawnToRunningLogMs: round(priscan.runningLoggedAt - priscan.spawnedAt, 1),
    // The daemon's own clock: from its first log line ("starting priscan") to "priscan running".
    daemonStartToReadyMs: priscan.runningLoggedMs - priscan.startLoggedMs,
    rssMbAtReady: memoryMb(priscan.pid).rssMb,
    previousShutdown: stopped,
  };
  // After a restart every registration is verified again (reads, no writes when intact): how long that takes.
  const reverifyMs = Math.round(await untilIdle(priscan.api, priscan.pid, 600_000));
  const afterRestart = memoryMb(priscan.pid);

  // Per day at the default safety net, whatever this run's interval: what a scan writes, times the
  // scans of a day (a periodic scan comes every 0.95 interval on average: the scheduler's jitter).
  const scansPerDevicePerDay = 86_400 / (DEFAULT_INTERVAL_S * (1 - SCHEDULER_JITTER / 2));
  const growth = databaseGrowth(databaseBefore, databaseAfter, { inWindow: scansInWindow, perDay: scansPerDevicePerDay * DEVICES, devices: DEVICES });
  const seriesPerDevice = round(databaseAfter.readingSeries / DEVICES, 2);
  const database = {
    file: 'priscan.db',
    perDayAtIntervalS: DEFAULT_INTERVAL_S,
    before: databaseBefore,
    after: databaseAfter,
    growth,
    growthMbPerDay: round(growth.usedBytesPerDay / 1e6, 1),
    retentionHours,
    // Pruning holds the history at its retention: the growth stops there.
    mbAtRetention: round((growth.usedBytesPerDay * retentionHours) / 24 / 1e6, 1),
  };
  const history =
    growth.bytesPerPoint === null
      ? null
      : {
          seriesPerDevice,
          pointsPerDevicePerDay: growth.pointsPerDevicePerDay,
          bytesPerPoint: growth.bytesPerPoint,
          kbPerDevicePerDay: round((growth.pointsPerDevicePerDay * growth.bytesPerPoint) / 1000, 1),
          // The bound: every series of every device changing at every safety-net scan.
          kbPerDevicePerDayEveryScanChanging: round((seriesPerDevice * scansPerDevicePerDay * growth.bytesPerPoint) / 1000, 1),
        };

  const result = {
    name: 'daemon-scale',
    variant: VARIANT,
    kinds: KINDS.map((kind) => ({ kind, profile: PROFILE_OF[kind] })),
    quick: args.quick,
    devices: DEVICES,
    intervalS: INTERVAL_S,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    layout: { pinned, priscanCore: core ?? null, simulatorsCore: pinned ? 0 : null, priscan: 'priscan serve in its own process' },
    setup: { fleetStartupMs, addDevicesMs: Math.round(addMs), addPerDeviceMs: round(addMs / DEVICES, 2), registrationDrainMs: Math.round(registrationDrainMs), registered },
    steady: { ...steady, sensorDrift: drifting ? { everyS: DRIFT_EVERY_S, valuesSet: valuesDrifted } : null },
    database,
    history,
    startup: { ...startup, reverifyAllAfterRestartMs: reverifyMs, rssMbAfterReverify: afterRestart.rssMb, peakRssMbAfterRestart: afterRestart.peakRssMb },
    goals: {
      cpuUnder10PercentOfOneCore: steady.cpuShareOfOneCore < GOALS.cpuShare,
      rssUnder300Mb: Math.max(steady.peakRssMbSinceStart, afterRestart.peakRssMb) < GOALS.rssMb,
      startupUnder2s: startup.spawnToReadyzMs < GOALS.startupMs,
    },
  };
  console.log(`priscan with ${DEVICES} ${KINDS.join(' + ')} devices (${links.length} simulator processes${pinned ? ' on core 0, priscan on core 1' : ''}; load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  console.log(`  add ${DEVICES} devices through the API     ${Math.round(addMs)} ms (${result.setup.addPerDeviceMs} ms each); registered ${registered}`);
  console.log(`  CPU, steady ${WINDOW_S} s window, scans every ${INTERVAL_S} s${steady.coversFullInterval ? '' : ' (shorter than one interval)'}   ${round(steady.cpuShareOfOneCore * 100, 2)} % of one core (goal < 10 %)`);
  console.log(`  RSS steady max / peak since start      ${steady.rssMbMax} / ${steady.peakRssMbSinceStart} MB (goal < 300 MB)`);
  console.log(`  scans, device requests in the window   ${scansInWindow}, ${requestsInWindow} (${steady.requestsPerSecond}/s)`);
  console.log(`  database in use: +${round(growth.usedBytes / 1e6, 2)} MB in the window, ${database.growthMbPerDay} MB a day at ${DEFAULT_INTERVAL_S} s scans (${database.mbAtRetention} MB at the ${retentionHours} h retention); ${growth.points} history points, ${growth.events} events`);
  if (history) console.log(`  reading history per device: ${history.seriesPerDevice} series, ${history.pointsPerDevicePerDay} points and ${history.kbPerDevicePerDay} kB a day (${history.bytesPerPoint} B a point; at most ${history.kbPerDevicePerDayEveryScanChanging} kB when every value changes at every scan)`);
  console.log(`  alarms active at the end               ${databaseAfter.alarmsActive}`);
  console.log(`  simulators (not priscan)               ${round(steady.simulators.cpuShareOfOneCore * 100, 2)} % of one core, ${steady.simulators.rssMb} MB`);
  console.log(`  start-up with ${DEVICES} stored devices    spawn -> /readyz ${startup.spawnToReadyzMs} ms; start() -> ready ${startup.daemonStartToReadyMs} ms (goal < 2000 ms)`);
  console.log(`  re-verifying every registration after the restart: ${reverifyMs} ms`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await priscan?.stop();
  await Promise.all(links.map((l) => l.stop()));
  rmSync(scratch, { recursive: true, force: true });
}
