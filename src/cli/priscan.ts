#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { checkConfig, serve } from '../main.js';
import { runDemo } from './demo.js';
import { packageVersion } from './version.js';

const HELP = `priscan ${packageVersion()}: SNMP priority-scanning monitor for data-center power and environment devices

Usage:
  priscan serve [--config FILE]         run the monitor daemon
  priscan check-config [--config FILE]  validate a config file and print it (secrets redacted)
  priscan demo                          daemon + simulated fleet + scenario, on loopback, in a temp dir
  priscan --version | --help

serve listens for device notifications (default UDP 0.0.0.0:162) and serves the
HTTP API (default 127.0.0.1:8470). Without --config it uses built-in defaults,
with its database in /var/lib/priscan. See config/ for an example.
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const options = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;
  switch (command) {
    case 'serve':
    case 'check-config': {
      const { values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      return command === 'serve' ? serve(values.config) : checkConfig(values.config);
    }
    case 'demo': {
      parseArgs({ args: rest, options: {}, strict: true, allowPositionals: false });
      return runDemo();
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`priscan: ${message}\n`);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write('Run priscan --help for usage.\n');
    }
    process.exitCode = error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  },
);
