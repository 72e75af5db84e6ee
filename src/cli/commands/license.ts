import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config/load.js';
import { serverIdentity } from '../../licensing/identity.js';
import { loadIssuerSecret, type IssuerSecret } from '../../licensing/issuer-secret.js';
import { groupForDisplay } from '../../licensing/crockford.js';
import { EDITIONS, type Edition } from '../../licensing/key.js';
import { issueFromLedger, RedemptionLedger } from '../../licensing/ledger.js';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';

export const LICENSE_HELP = `Usage: priscan license <id|add|list|remove|issue> [options]

  id      [--interface IF] [--config FILE]   print this server's identity (the MAC keys are bound to)
  add     KEY                                 install a key on the running daemon (spaces, dashes,
                                              lower case and O/I/L are accepted)
  list    [--json]                            installed keys (fingerprints) and node usage
  remove  ID|FINGERPRINT                      remove a key; the newest devices over the count
                                              become unlicensed (kept, not monitored)
  issue   --passcode P --mac M --nodes N [--edition ${Object.keys(EDITIONS).join('|')}] --ledger FILE
          the license authority's side: prints a key for that server and records the
          passcode in the ledger (a passcode redeems once). The issuer secret comes from
          --secret-file FILE or the environment variable PRISCAN_ISSUER_SECRET
          (or --secret-env NAME), never from the command line.

add, list and remove talk to the daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN; admin to change).
Exit codes: 0 ok, 1 refused, 2 usage, 3 daemon unreachable, 4 token refused.
`;

interface LicenseView { id: number; fingerprint: string; nodes: number; edition: string; issuedOn: string; installedAt: string }
interface Usage { serverId: string | null; included: number; licensed: number; used: number; unlicensed: number }

const api = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const usageLine = (u: Usage) => `server ${u.serverId ?? '(no identity)'}: ${u.used} of ${u.licensed} nodes in use (${u.included} included)${u.unlicensed ? `, ${u.unlicensed} devices unlicensed` : ''}\n`;

export async function licenseCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(LICENSE_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  switch (sub) {
    case 'id': {
      const { values } = parseArgs({ args: rest, options: { interface: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
      if (values.help) return printed(out, LICENSE_HELP);
      const config = values.config ? loadConfig(values.config) : undefined;
      const interfaceName = values.interface ?? config?.licensing.interface;
      // A cluster's keys are bound to its configured MAC, not to this machine's (docs/scale-out.md).
      const clusterMac = values.interface === undefined ? config?.cluster?.licenseMac : undefined;
      let identity;
      try {
        identity = clusterMac !== undefined ? { mac: clusterMac, interface: 'cluster.licenseMac' } : serverIdentity({ interfaceName });
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.failed);
      }
      return printed(out, values.json ? `${JSON.stringify(identity)}\n` : `${identity.mac}  (interface ${identity.interface})\n`);
    }
    case 'add': {
      const { values, positionals } = parseArgs({ args: rest, options: api, strict: true, allowPositionals: true });
      if (values.help) return printed(out, LICENSE_HELP);
      // A key pasted in groups may arrive as several arguments.
      if (positionals.length === 0) throw new CliError('give the license key: priscan license add KEY', EXIT.usage);
      const result = await callApi<{ license: LicenseView; usage: Usage }>(apiTarget(values), 'POST', '/api/v1/licenses', { key: positionals.join('') });
      if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
      return printed(out, `installed license ${result.license.fingerprint} (${result.license.nodes} nodes, ${result.license.edition})\n${usageLine(result.usage)}`);
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: api, strict: true });
      if (values.help) return printed(out, LICENSE_HELP);
      const result = await callApi<{ licenses: LicenseView[]; usage: Usage }>(apiTarget(values), 'GET', '/api/v1/licenses');
      if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
      return printed(out, table(['ID', 'FINGERPRINT', 'NODES', 'EDITION', 'ISSUED', 'INSTALLED'], result.licenses.map((l) => [l.id, l.fingerprint, l.nodes, l.edition, l.issuedOn, l.installedAt])) + usageLine(result.usage));
    }
    case 'remove': {
      const { values, positionals } = parseArgs({ args: rest, options: api, strict: true, allowPositionals: true });
      if (values.help) return printed(out, LICENSE_HELP);
      if (positionals.length !== 1) throw new CliError('give one license id or fingerprint (see priscan license list)', EXIT.usage);
      const result = await callApi<{ usage: Usage }>(apiTarget(values), 'DELETE', `/api/v1/licenses/${encodeURIComponent(positionals[0]!)}`);
      if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
      return printed(out, `removed license ${positionals[0]}\n${usageLine(result.usage)}`);
    }
    case 'issue':
      return issue(rest, out);
    default:
      throw new CliError(`unknown license command "${sub}"`, EXIT.usage);
  }
}

function issue(args: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({
    args,
    options: {
      passcode: { type: 'string' },
      mac: { type: 'string' },
      nodes: { type: 'string' },
      edition: { type: 'string' },
      ledger: { type: 'string' },
      'secret-file': { type: 'string' },
      'secret-env': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return printed(out, LICENSE_HELP);
  const missing = (['passcode', 'mac', 'nodes', 'ledger'] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw new CliError(`license issue needs ${missing.map((k) => `--${k}`).join(', ')}`, EXIT.usage);
  if (!/^\d{1,5}$/.test(values.nodes!)) throw new CliError(`--nodes must be a whole number from 1 to 65535, got "${values.nodes}"`, EXIT.usage);
  const edition = (values.edition ?? 'standard') as Edition;
  if (!Object.hasOwn(EDITIONS, edition)) throw new CliError(`--edition must be one of ${Object.keys(EDITIONS).join(', ')}`, EXIT.usage);
  const secret = issuerSecretFromFlags(values);
  let ledger: RedemptionLedger;
  try {
    ledger = RedemptionLedger.open(values.ledger!, systemClock);
  } catch (error) {
    throw new CliError(`cannot open the ledger ${values.ledger}: ${(error as Error).message}`, EXIT.failed);
  }
  try {
    const { license } = issueFromLedger({ ledger, secret, mac: values.mac!, nodes: Number(values.nodes), passcode: values.passcode!, edition, issuedOn: new Date() });
    if (values.json) return printed(out, `${JSON.stringify({ key: license.key, fingerprint: license.fingerprint, serial: license.serialHex, nodes: license.nodes, edition: license.edition, mac: license.mac, issuedOn: license.issuedOn })}\n`);
    return printed(out, `${groupForDisplay(license.key)}\n  ${license.nodes} nodes, ${license.edition}, for ${license.mac}, serial ${license.serialHex}, fingerprint ${license.fingerprint}\n`);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.failed);
  } finally {
    ledger.close();
  }
}

/** The issuer secret for the authority's commands: --secret-file, or an environment variable; never an argument. */
export function issuerSecretFromFlags(values: { 'secret-file'?: string | undefined; 'secret-env'?: string | undefined }): IssuerSecret {
  try {
    return loadIssuerSecret(values['secret-file'] ? { file: values['secret-file'] } : { env: values['secret-env'] ?? 'PRISCAN_ISSUER_SECRET' });
  } catch (error) {
    throw new CliError(`${(error as Error).message} (give --secret-file FILE or set PRISCAN_ISSUER_SECRET)`, EXIT.usage);
  }
}
