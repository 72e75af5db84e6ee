#!/usr/bin/env -S node --openssl-legacy-provider
// The flag: SNMPv3 DES privacy needs OpenSSL's legacy provider. `node dist/simulators/cli.js`
// without it still runs; only a DES user is refused, with a message saying why.
import { parseArgs } from 'node:util';
import { buildControlApp, parseListenAddress } from './control.js';
import { DEVICE_KINDS, type DeviceKind } from './devices/device.js';
import { SNMPREC_REGISTRATIONS, type SnmprecRegistration } from './devices/snmprec-device.js';
import { MAX_CHAIN_UNITS } from './devices/pdu.js';
import { BUNDLED_RECORDINGS } from './recordings/index.js';
import { Fleet, FLEET_DEFAULTS, NOTIFICATION_MODES, parseFleetSpec, type FleetEntry, type FleetOptions, type NotificationMode } from './fleet.js';
import { loadScenario, ScenarioPlayer } from './scenario.js';
import { packageVersion } from '../src/cli/version.js';
import { AUTH_PROTOCOLS, MIN_PASSWORD_LENGTH, PRIV_PROTOCOLS, SECURITY_LEVELS, type AuthProtocol, type PrivProtocol, type SecurityLevel, type UsmUser } from '../src/snmp/usm.js';

/** Where the v3 passwords come from: the environment, which `ps` does not show to other users. */
const V3_PASSWORD_ENV = { auth: 'PRISCAN_SIM_V3_AUTH_PASSWORD', priv: 'PRISCAN_SIM_V3_PRIV_PASSWORD' } as const;

const HELP = `priscan-sim: simulated SNMP devices (UPS, APC UPS, rack PDU, NetBotz, PRISCAN-SIM-MIB, recordings)

Usage: priscan-sim --devices KIND:COUNT[,KIND:COUNT...] [options]

Each device listens on its own loopback address (127.0.10.1, 127.0.10.2, ...)
and sends notifications from that address to the managers registered on it.

Options:
  --devices SPEC          fleet, e.g. ups:10,apc-ups:10,netbotz:10,pdu:10,sim:10
                          kinds: sim, ups, apc-ups, netbotz, pdu, pdu-chain, snmprec
  --base-address ADDR     first device address (default ${FLEET_DEFAULTS.baseAddress}; must be 127.x.y.z)
  --port PORT             SNMP port every device listens on (default ${FLEET_DEFAULTS.port}; below 1024 needs root)
  --read-community C      read community (default ${FLEET_DEFAULTS.readCommunity})
  --write-community C     write community, also allows reads (default ${FLEET_DEFAULTS.writeCommunity})
  --apc-trap-port PORT    port APC devices send traps to (default ${FLEET_DEFAULTS.apcTrapPort})
  --on-battery-repeat S   seconds between upsTrapOnBattery repeats (default 60)
  --pdu-chain-units N     rack PDUs daisy-chained behind each pdu-chain card, 2-4 (default 4);
                          its alarms are named by unit: unit2.overload
  --snmprec FILE          recording replayed by snmprec devices: a .snmprec file, or the name of
                          one in simulators/recordings/ (${BUNDLED_RECORDINGS.map((r) => r.name).join(', ')})
  --snmprec-registration METHOD
                          registration table snmprec devices emulate so managers can register:
                          ${SNMPREC_REGISTRATIONS.join(', ')} (default none)
  --snmprec-notification OID
                          trap OID snmprec devices send when the control API asks
                          (POST /devices/:id/notify, or ?notify=true on a change)
  --v3-user NAME          give devices this SNMPv3 (USM) user besides the communities; it may SET
  --v3-level LEVEL        ${SECURITY_LEVELS.join(', ')} (default authPriv)
  --v3-auth PROTOCOL      ${AUTH_PROTOCOLS.join(', ')} (default sha)
  --v3-priv PROTOCOL      ${PRIV_PROTOCOLS.join(', ')} (default aes128; des needs node --openssl-legacy-provider,
                          which this command's #! line passes)
  --v3-kinds KINDS        only these kinds get the v3 user, e.g. ups,sim (default every kind)
  --notifications MODE    registered (default): as each registration says; v3: devices with the
                          v3 user send hidden-table and APC registrations' notifications as v3
  --control HOST:PORT     HTTP control API (default 127.0.0.1:9471); --no-control to disable
  --scenario FILE         play timed raise/clear steps from a JSON file
  --help, --version

SNMPv3 passwords are read from the environment, never the command line (8 characters at least):
  ${V3_PASSWORD_ENV.auth}   for authNoPriv and authPriv
  ${V3_PASSWORD_ENV.priv}   for authPriv
Each v3 device is its own engine: engine ID 80007ED901 followed by its IPv4 address in hex
(127.0.10.1 is 80007ED9017F000A01), engineBoots up by one on each reboot.

Output: one JSON line per device ({"event":"device",...}), then {"event":"ready",...};
scenario steps print as {"event":"step",...}. Ctrl-C stops every device cleanly.
`;

class UsageError extends Error {}

function choice<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

interface V3Flags {
  'v3-user'?: string;
  'v3-level'?: string;
  'v3-auth'?: string;
  'v3-priv'?: string;
  'v3-kinds'?: string;
}

/** The v3 user the flags and environment describe, or undefined without --v3-user. */
function v3UserFromFlags(flags: V3Flags, env: NodeJS.ProcessEnv): UsmUser | undefined {
  const name = flags['v3-user'];
  if (name === undefined) {
    const stray = (['v3-level', 'v3-auth', 'v3-priv', 'v3-kinds'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --v3-user`);
    return undefined;
  }
  const level = choice<SecurityLevel>(flags['v3-level'], 'v3-level', SECURITY_LEVELS, 'authPriv');
  const user: UsmUser = { name, level };
  if (level === 'noAuthNoPriv') return user;
  user.authProtocol = choice<AuthProtocol>(flags['v3-auth'], 'v3-auth', AUTH_PROTOCOLS, 'sha');
  user.authPassword = passwordFrom(env, V3_PASSWORD_ENV.auth, level);
  if (level === 'authPriv') {
    user.privProtocol = choice<PrivProtocol>(flags['v3-priv'], 'v3-priv', PRIV_PROTOCOLS, 'aes128');
    user.privPassword = passwordFrom(env, V3_PASSWORD_ENV.priv, level);
  }
  return user;
}

function passwordFrom(env: NodeJS.ProcessEnv, variable: string, level: SecurityLevel): string {
  const password = env[variable];
  if (password === undefined || password === '') throw new UsageError(`--v3-level ${level} needs the password in the environment variable ${variable}`);
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`${variable} must be at least ${MIN_PASSWORD_LENGTH} characters (RFC 3414 11.2)`);
  return password;
}

/** --v3-kinds: the other kinds' entries get no v3 user. */
function restrictV3(entries: FleetEntry[], kindsText: string | undefined): FleetEntry[] {
  if (kindsText === undefined) return entries;
  const kinds = kindsText.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.find((k) => !DEVICE_KINDS.includes(k as DeviceKind));
  if (unknown !== undefined || kinds.length === 0) throw new UsageError(`--v3-kinds takes kinds from ${DEVICE_KINDS.join(', ')}, got "${kindsText}"`);
  return entries.map((entry) => (kinds.includes(entry.kind) ? entry : { ...entry, v3User: null }));
}

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
      'pdu-chain-units': { type: 'string' },
      snmprec: { type: 'string' },
      'snmprec-registration': { type: 'string' },
      'snmprec-notification': { type: 'string' },
      control: { type: 'string' },
      'no-control': { type: 'boolean' },
      scenario: { type: 'string' },
      'v3-user': { type: 'string' },
      'v3-level': { type: 'string' },
      'v3-auth': { type: 'string' },
      'v3-priv': { type: 'string' },
      'v3-kinds': { type: 'string' },
      notifications: { type: 'string' },
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
  const v3User = v3UserFromFlags(values, process.env);
  if (values.notifications === 'v3' && !v3User) throw new UsageError('--notifications v3 needs --v3-user');
  const options: FleetOptions = {
    devices: restrictV3(parseFleetSpec(values.devices), values['v3-kinds']),
    baseAddress: values['base-address'],
    port: integerOption(values.port, 'port', 1, 65535),
    readCommunity: values['read-community'],
    writeCommunity: values['write-community'],
    apcTrapPort: integerOption(values['apc-trap-port'], 'apc-trap-port', 1, 65535),
    onBatteryRepeatMs: repeatSeconds === undefined ? undefined : repeatSeconds * 1000,
    pduChainUnits: integerOption(values['pdu-chain-units'], 'pdu-chain-units', 2, MAX_CHAIN_UNITS),
    snmprecFile: values.snmprec,
    snmprecRegistration: choice<SnmprecRegistration>(values['snmprec-registration'], 'snmprec-registration', SNMPREC_REGISTRATIONS, 'none'),
    snmprecNotification: values['snmprec-notification'] === undefined ? undefined : { trapOid: values['snmprec-notification'] },
    v3User,
    notifications: choice<NotificationMode>(values.notifications, 'notifications', NOTIFICATION_MODES, 'registered'),
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
    for (const d of fleet.devices) {
      const engineId = d.engine?.engineId.toString('hex');
      print({ event: 'device', kind: d.kind, address: d.address, port: d.agent.port, ...(engineId ? { engineId } : {}) });
    }
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
