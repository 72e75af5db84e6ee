#!/usr/bin/env -S node --openssl-legacy-provider
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { CliError, EXIT } from './api-client.js';
import { alarmsCommand, ALARMS_HELP } from './commands/alarms.js';
import { devicesCommand, DEVICES_HELP } from './commands/devices.js';
import { discoverCommand, DISCOVER_HELP } from './commands/discover.js';
import { licenseCommand, LICENSE_HELP } from './commands/license.js';
import { thresholdsCommand, THRESHOLDS_HELP } from './commands/thresholds.js';
import { auditCommand, AUDIT_HELP, partnerCommand, PARTNER_HELP } from './commands/partner.js';
import { aboutCommand, ABOUT_HELP, registrationCommand, REGISTRATION_HELP } from './commands/registration.js';
import { maintenanceCommand, MAINTENANCE_HELP } from './commands/maintenance.js';
import { migrateStoreCommand, MIGRATE_STORE_HELP } from './commands/migrate-store.js';
import { readingsCommand, READINGS_HELP } from './commands/readings.js';
import { tokenCommand, TOKEN_HELP } from './commands/token.js';
import { packageVersion } from './version.js';

const HELP = `priscan ${packageVersion()}: SNMP priority-scanning monitor for data-center power and environment devices

Usage:
  priscan serve [--config FILE]         run the monitor daemon
  priscan check-config [--config FILE]  validate a config file and print it (secrets redacted)
  priscan demo                          daemon + simulated fleet + scenario, on loopback, in a temp dir
                                        (--port N, --http-port N: beside another priscan; demo --help)
  priscan devices list|add|remove|scan  manage monitored devices          (priscan devices --help)
  priscan discover TARGETS [--add]      find SNMP devices on addresses    (priscan discover --help)
  priscan alarms [--follow]             active alarms, then live raises and clears
  priscan alarms ack|unack DEVICE ALARM acknowledge an active alarm          (priscan alarms --help)
  priscan maintenance add|list|end      maintenance windows               (priscan maintenance --help)
  priscan thresholds list|add|remove|effective   operator thresholds (priscan thresholds --help)
  priscan readings DEVICE [--history R] sensor readings and their history (priscan readings --help)
  priscan license id|add|list|remove|issue   licensed node counts        (priscan license --help)
  priscan token create|list|revoke      API tokens                        (priscan token --help)
  priscan partner list|add|set|grant|revoke|remove   partner organisations  (priscan partner --help)
  priscan audit [--partner ID]          what partners did, and changes to their access
  priscan about                         version, server identity, System ID
  priscan registration status|request|apply|reassociate|issue   the installation's registration
  priscan migrate-store --from sqlite:PATH --to postgres:URL   copy a SQLite store into PostgreSQL
  priscan --version | --help

serve listens for device notifications (default UDP 0.0.0.0:162) and serves the
HTTP API (default 127.0.0.1:8470). Without --config it uses built-in defaults,
with its database in /var/lib/priscan. See config/priscan.example.yaml.

devices, discover, alarms, readings, thresholds, maintenance and license add/list/remove talk to a running daemon:
  --url URL      (or PRISCAN_URL; default http://127.0.0.1:8470)
  --token TOKEN  (or PRISCAN_TOKEN; make one with priscan token create)
Every listing takes --json. Exit codes: 0 ok, 1 refused or failed, 2 usage or
config error, 3 daemon unreachable, 4 token refused.
`;

const COMMAND_HELP: Record<string, string> = {
  devices: DEVICES_HELP,
  discover: DISCOVER_HELP,
  alarms: ALARMS_HELP,
  maintenance: MAINTENANCE_HELP,
  thresholds: THRESHOLDS_HELP,
  readings: READINGS_HELP,
  license: LICENSE_HELP,
  token: TOKEN_HELP,
  partner: PARTNER_HELP,
  audit: AUDIT_HELP,
  about: ABOUT_HELP,
  registration: REGISTRATION_HELP,
  'migrate-store': MIGRATE_STORE_HELP,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : HELP);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const options = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;
  switch (command) {
    case 'serve':
    case 'check-config': {
      const { values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
      if (values.help) {
        process.stdout.write(HELP);
        return EXIT.ok;
      }
      // Loaded only here: the daemon's modules take most of a second to load, which every
      // command that only talks to the API (or the database) would otherwise pay.
      const { checkConfig, serve } = await import('../main.js');
      return command === 'serve' ? serve(values.config) : checkConfig(values.config);
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      return runDemo(rest);
    }
    case 'devices':
      return devicesCommand(rest, process.stdout);
    case 'discover':
      // Progress goes to a terminal only; pipes get the result alone.
      return discoverCommand(rest, process.stdout, process.stderr.isTTY ? process.stderr : undefined);
    case 'alarms': {
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      return alarmsCommand(rest, process.stdout, abort.signal);
    }
    case 'maintenance':
      return maintenanceCommand(rest, process.stdout);
    case 'thresholds':
      return thresholdsCommand(rest, process.stdout);
    case 'readings':
      return readingsCommand(rest, process.stdout);
    case 'license':
      return licenseCommand(rest, process.stdout);
    case 'token':
      return tokenCommand(rest, process.stdout);
    case 'partner':
      return partnerCommand(rest, process.stdout);
    case 'audit':
      return auditCommand(rest, process.stdout);
    case 'about':
      return aboutCommand(rest, process.stdout);
    case 'registration':
      return registrationCommand(rest, process.stdout, () => readFileSync(0, 'utf8'));
    case 'migrate-store':
      return migrateStoreCommand(rest, process.stdout);
    default:
      throw new CliError(`unknown command "${command}"`, EXIT.usage);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`priscan: ${message}\n`);
    const usage = error instanceof CliError ? error.exitCode === EXIT.usage : (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) process.stderr.write('Run priscan --help for usage.\n');
    process.exitCode = error instanceof CliError ? error.exitCode : error instanceof ConfigError || usage ? EXIT.usage : EXIT.failed;
  },
);
