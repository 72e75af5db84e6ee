#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildControlApp, parseListenAddress } from './control.js';
import { Fleet, FLEET_DEFAULTS, parseFleetSpec, type FleetOptions } from './fleet.js';
import { loadScenario, ScenarioPlayer } from './scenario.js';
import { packageVersion } from '../src/cli/version.js';

const HELP = `priscan-sim: simulated SNMP devices (UPS, APC UPS, rack PDU, NetBotz, PRISCAN-SIM-MIB, recordings)

Usage: priscan-sim --devices KIND:COUNT[,KIND:COUNT...] [options]

Each device listens on its own loopback address (127.0.10.1, 127.0.10.2, ...)
and sends notifications from that address to the managers registered on it.

Options:
  --devices SPEC          fleet, e.g. ups:10,apc-ups:10,netbotz:10,pdu:10,sim:10
                          kinds: sim, ups, apc-ups, netbotz, pdu, snmprec
  --base-address ADDR     first device address (default ${FLEET_DEFAULTS.baseAddress}; must be 127.x.y.z)
  --port PORT             SNMP port every device listens on (default ${FLEET_DEFAULTS.port}; below 1024 needs root)
  --read-community C      read community (default ${FLEET_DEFAULTS.readCommunity})
  --write-community C     write community, also allows reads (default ${FLEET_DEFAULTS.writeCommunity})
  --apc-trap-port PORT    port APC devices send traps to (default ${FLEET_DEFAULTS.apcTrapPort})
  --on-battery-repeat S   seconds between upsTrapOnBattery repeats (default 60)
  --snmprec FILE          recording replayed by snmprec devices
  --control HOST:PORT     HTTP control API (default 127.0.0.1:9471); --no-control to disable
  --scenario FILE         play timed raise/clear steps from a JSON file
  --help, --version

Output: one JSON line per device ({"event":"device",...}), then {"event":"ready",...};
scenario steps print as {"event":"step",...}. Ctrl-C stops every device cleanly.
`;

class UsageError extends Error {}

function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      devices: { type: 'string' },
      'base-address': { type: 'string' },
      port: { type: 'string' },
      'read-community': { type: 'string' },
      'write-community': { type: 'string' },
      'apc-trap-port': { type: 'string' },
      'on-battery-repeat': { type: 'string' },
      snmprec: { type: 'string' },
      control: { type: 'string' },
      'no-control': { type: 'boolean' },
      scenario: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (!values.devices) throw new UsageError('--devices is required, e.g. --devices ups:10,apc-ups:10,netbotz:10,pdu:10,sim:10');
  const repeatSeconds = integerOption(values['on-battery-repeat'], 'on-battery-repeat', 1, 86_400);
  const options: FleetOptions = {
    devices: parseFleetSpec(values.devices),
    baseAddress: values['base-address'],
    port: integerOption(values.port, 'port', 1, 65535),
    readCommunity: values['read-community'],
    writeCommunity: values['write-community'],
    apcTrapPort: integerOption(values['apc-trap-port'], 'apc-trap-port', 1, 65535),
    onBatteryRepeatMs: repeatSeconds === undefined ? undefined : repeatSeconds * 1000,
    snmprecFile: values.snmprec,
  };
  const control = values['no-control'] ? undefined : parseListenAddress(values.control ?? '127.0.0.1:9471');
  const scenario = values.scenario ? loadScenario(values.scenario) : undefined;

  const started = performance.now();
  const fleet = new Fleet(options);
  await fleet.start();
  const app = buildControlApp(fleet);
  let player: ScenarioPlayer | undefined;
  const shutdown = async () => {
    player?.stop();
    await app.close();
    await fleet.stop();
  };
  try {
    if (control) await app.listen(control);
    const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
    for (const d of fleet.devices) print({ event: 'device', kind: d.kind, address: d.address, port: d.agent.port });
    if (scenario) {
      player = new ScenarioPlayer(scenario, fleet, (step) => print({ event: 'step', time: new Date().toISOString(), ...step }));
      player.start();
    }
    print({
      event: 'ready',
      devices: fleet.devices.length,
      control: control ? `http://${control.host}:${control.port}` : null,
      startupMs: Math.round(performance.now() - started),
    });
  } catch (error) {
    await shutdown();
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await shutdown();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`priscan-sim: ${message}\n`);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write('Run priscan-sim --help for usage.\n');
    }
    process.exitCode = 2;
  },
);
