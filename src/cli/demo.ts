import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { deviceAddress, Fleet, FleetSpecError } from '../../simulators/fleet.js';
import { loadScenario, ScenarioPlayer } from '../../simulators/scenario.js';
import type { AlarmEvent } from '../alarms/model.js';
import { Daemon, type RunningDaemon } from '../app/daemon.js';
import { parseConfig } from '../config/load.js';
import { systemClock } from '../clock.js';
import { groupForDisplay } from '../licensing/crockford.js';
import { machineMacs, type InterfaceTable } from '../licensing/identity.js';
import { DEMO_ISSUER_SECRET } from '../licensing/issuer-secret.js';
import { issueFromLedger, RedemptionLedger } from '../licensing/ledger.js';
import { CliError, EXIT } from './api-client.js';
import { packageFile } from './version.js';

const FLEET = [
  { kind: 'ups', count: 2 },
  { kind: 'apc-ups', count: 2 },
  { kind: 'pdu', count: 2 },
  { kind: 'netbotz', count: 2 },
  { kind: 'sim', count: 2 },
] as const;
/**
 * Alarms raised once the fleet is registered and left active until the demo stops (the scenario
 * clears its own within seconds): something to acknowledge, whatever moment one looks.
 */
const STANDING_ALARMS = [
  { device: 'ups-2', alarm: 'batteryBad' },
  { device: 'netbotz-2', alarm: 'doorOpen' },
  { device: 'sim-2', alarm: 'doorOpen' },
] as const;
const FLEET_BASE = '127.0.50.1';
const FLEET_PORT = 16100;
const HTTP_PORT = 8470;

export const DEMO_HELP = `Usage: priscan demo [--port N] [--http-port N] [--address A]

Starts priscan on a temporary database with a simulated fleet of every kind (10 devices),
issues itself a demo license, registers the fleet and plays a scenario, printing each raise
and clear. Ctrl-C stops everything and removes the temporary data.

  --port N        SNMP port of the simulated devices (default ${FLEET_PORT})
  --http-port N   priscan's API port on 127.0.0.1 (default ${HTTP_PORT}, or a free one if that is
                  taken; given, it is that port or the demo stops; 0 picks a free one)
  --address A     first address of the simulated devices, on 127.0.0.0/8 (default ${FLEET_BASE})

Another demo, or a priscan-sim, runs beside it with another --port (or --address), and
beside another priscan with another --http-port.
`;

export interface DemoOptions {
  /** SNMP port of the simulated fleet. */
  port: number;
  /** API port; undefined: 8470, or any free port when that is taken. */
  httpPort: number | undefined;
  baseAddress: string;
}

/** The demo's command line; CliError (exit 2) for anything it cannot use. */
export function parseDemoArgs(args: string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, 'http-port': { type: 'string' }, address: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const port = (name: string, text: string | undefined, min: number) => {
    if (text === undefined) return undefined;
    if (!/^\d{1,5}$/.test(text) || Number(text) < min || Number(text) > 65535) throw new CliError(`--${name} must be a port number from ${min} to 65535, got "${text}"`, EXIT.usage);
    return Number(text);
  };
  const baseAddress = values.address ?? FLEET_BASE;
  try {
    deviceAddress(baseAddress, FLEET.reduce((n, k) => n + k.count, 0) - 1);
  } catch (error) {
    if (error instanceof FleetSpecError) throw new CliError(`--address: ${error.message}`, EXIT.usage);
    throw error;
  }
  return { port: port('port', values.port, 1) ?? FLEET_PORT, httpPort: port('http-port', values['http-port'], 0), baseAddress };
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

function eventLine(event: AlarmEvent, sinceDeviceMs: number | undefined): string {
  // An acknowledgement is an operator's, not the device's: it says who and why instead of how fast.
  const operator = event.kind === 'ack' || event.kind === 'unack';
  const note = operator ? `  (by ${event.by ?? '?'}${event.comment ? `: ${event.comment}` : ''})` : sinceDeviceMs === undefined ? '' : `  stored ${sinceDeviceMs} ms after the device changed`;
  return `${time(event.at)}  ${event.kind.toUpperCase().padEnd(5)}  ${event.deviceName.padEnd(10)} ${event.severity.padEnd(8)} ${event.description}${note}`;
}

/** `priscan demo`: the whole flow on loopback, printed as it happens. Ctrl-C stops everything. */
export async function runDemo(args: string[]): Promise<number> {
  const options = parseDemoArgs(args);
  if (options === 'help') {
    process.stdout.write(DEMO_HELP);
    return EXIT.ok;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'priscan-demo-'));
  try {
    return await playDemo(options, dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function playDemo(options: DemoOptions, dataDir: string): Promise<number> {
  const base = {
    dataDir,
    log: { level: 'warn' },
    manager: { address: '127.0.0.1' },
    notifications: { listen: { address: '127.0.0.1', port: 0 } },
  };
  // The demo verifies keys with the published demo secret, so it can issue itself one.
  const demoDaemon = (port: number) =>
    new Daemon({ config: parseConfig({ ...base, http: { listen: { address: '127.0.0.1', port } } }, 'demo'), log: pino({ level: 'warn' }), issuerSecret: DEMO_ISSUER_SECRET, interfaces: demoInterfaces() });
  let daemon = demoDaemon(options.httpPort ?? HTTP_PORT);
  let running;
  try {
    running = await daemon.start();
  } catch (error) {
    if (options.httpPort !== undefined) throw new CliError(`cannot start priscan on port ${options.httpPort}: ${(error as Error).message}`, EXIT.failed);
    // Port 8470 is taken (another priscan?): let the OS pick one.
    daemon = demoDaemon(0);
    running = await daemon.start();
  }
  try {
    return await playScenario({ options, running, dataDir });
  } finally {
    await daemon.stop();
  }
}

async function playScenario({ options, running, dataDir }: { options: DemoOptions; running: RunningDaemon; dataDir: string }): Promise<number> {
  const serverId = running.licenses.serverId!;
  const { license } = issueFromLedger({
    ledger: RedemptionLedger.open(':memory:', systemClock),
    secret: DEMO_ISSUER_SECRET,
    mac: serverId,
    nodes: FLEET.reduce((n, k) => n + k.count, 0),
    passcode: `demo-${Date.now()}`,
    edition: 'demo',
    issuedOn: new Date(),
  });
  running.licenses.add(groupForDisplay(license.key).toLowerCase());
  const token = running.tokens.create({ role: 'admin', name: 'demo' }).token;
  const fleet = new Fleet({ devices: FLEET, baseAddress: options.baseAddress, port: options.port, apcTrapPort: running.intake.port });
  let player: ScenarioPlayer | undefined;
  try {
    try {
      await fleet.start();
    } catch (error) {
      throw new CliError(`cannot start the simulated devices on ${options.baseAddress}+ port ${options.port} (another demo or priscan-sim? give --port): ${(error as Error).message}`, EXIT.failed);
    }
    const counts = new Map<string, number>();
    const byName = new Map<string, (typeof fleet.devices)[number]>();
    for (const device of fleet.devices) {
      const n = (counts.get(device.kind) ?? 0) + 1;
      counts.set(device.kind, n);
      const name = `${device.kind}-${n}`;
      byName.set(name, device);
      running.devices.add({
        name,
        address: device.address,
        port: options.port,
        snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null },
        profile: 'auto',
        priorityScanning: true,
        intervalSeconds: 300,
        timeoutMs: 1000,
        retries: 1,
        site: null,
        origin: 'api',
      });
    }
    process.stdout.write(`priscan demo: ${fleet.devices.length} simulated devices on ${options.baseAddress}+ port ${options.port}\n`);
    const usage = running.licenses.usage();
    process.stdout.write(`license: issued a demo key for server ${serverId}: ${license.nodes} nodes + ${usage.included} included\n`);
    process.stdout.write(`console: ${running.httpUrl}/   sign in with the token ${token}\n`);
    process.stdout.write(`API: ${running.httpUrl}/api/v1/alarms (docs: ${running.httpUrl}/docs)   metrics: ${running.httpUrl}/metrics\n`);
    process.stdout.write(`token: export PRISCAN_URL=${running.httpUrl} PRISCAN_TOKEN=${token}   then: priscan alarms --follow\n`);
    process.stdout.write(`data: ${dataDir} (removed on exit)\n`);
    const registered = await waitFor(() => running.store.devices.list().every((d) => d.state.registration === 'registered'), 15_000);
    const failed = running.store.devices.list().filter((d) => d.state.registration !== 'registered');
    process.stdout.write(registered ? 'every device registered; playing the scenario (Ctrl-C stops)\n' : `not registered: ${failed.map((d) => `${d.name} (${d.state.registrationError ?? d.state.registration})`).join(', ')}\n`);
    process.stdout.write(`standing alarms, active until the demo stops: ${STANDING_ALARMS.map((s) => `${s.device} ${s.alarm}`).join(', ')}\n`);
    process.stdout.write('try in the console: acknowledge one of them (Alarms, Acknowledge); start a maintenance window for ups-1 (Maintenance): its next "UPS on battery" is marked in maintenance and not notified\n');

    const changedAt = new Map<string, number>();
    running.bus.subscribe((events) => {
      for (const event of events) {
        const device = running.store.devices.get(event.deviceId);
        const since = device ? changedAt.get(device.address) : undefined;
        process.stdout.write(`${eventLine(event, since === undefined ? undefined : event.at - since)}\n`);
      }
    });
    for (const { device, alarm } of STANDING_ALARMS) {
      const simulated = byName.get(device)!;
      changedAt.set(simulated.address, Date.now());
      simulated.raise(alarm);
    }
    player = new ScenarioPlayer(loadScenario(packageFile('config/scenarios/demo.json')), fleet, (step) => {
      changedAt.set(step.device, Date.now());
    });
    player.start();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stdout.write('stopping\n');
    return 0;
  } finally {
    player?.stop();
    await fleet.stop();
  }
}

/** The machine's interfaces, or a stand-in when it has none with a MAC (a container with only loopback). */
function demoInterfaces(): InterfaceTable | undefined {
  if (machineMacs().length > 0) return undefined;
  return { demo0: [{ address: '192.0.2.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.1/24' }] };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
