#!/usr/bin/env node
import { packageVersion } from './version.js';

const HELP = `priscan ${packageVersion()}: SNMP priority-scanning monitor for data-center power and environment devices

Usage: priscan [--version] [--help]

The monitor daemon (priscan serve) is not built yet. For simulated devices to
test against, run priscan-sim --help.
`;

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`${packageVersion()}\n`);
} else if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
} else {
  process.stderr.write(`priscan: unknown command "${args.join(' ')}"\nRun priscan --help for usage.\n`);
  process.exitCode = 2;
}
