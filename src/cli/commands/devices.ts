import { parseArgs } from 'node:util';
import { canonicalAddress, NOT_AN_ADDRESS } from '../../snmp/address.js';
import { apiTarget, callApi, CliError, EXIT, printed, table, type ApiTarget } from '../api-client.js';

export const DEVICES_HELP = `Usage: priscan devices <list|add|remove|scan> [options]

  list   [--status up|down|unknown|unlicensed] [--profile P] [--severity S] [--json]
  add    --name N --address A [--port 161] [--profile auto] [--snmp-version 1|2c|3]
         [--interval SECONDS] [--timeout MS] [--retries N] [--site SITE] [--dry-run] [--json]
         v1/v2c: communities from PRISCAN_READ_COMMUNITY / PRISCAN_WRITE_COMMUNITY
         (or --read-community / --write-community, visible to other local users in ps)
         v3: --v3-user NAME --v3-level noAuthNoPriv|authNoPriv|authPriv
         [--v3-auth md5|sha|sha224|sha256|sha384|sha512] [--v3-priv des|aes128|aes256]
         passwords from PRISCAN_V3_AUTH_PASSWORD / PRISCAN_V3_PRIV_PASSWORD
         a shadow (a unit behind another device's address, e.g. a daisy-chained PDU):
         --name N --lead ID|NAME --chain-position N [--profile P] [--site SITE]
         (its address, port and credentials are its lead's)
  remove ID|NAME   de-registers priscan from the device, then deletes it
                   (a lead's shadows are removed or given another lead first)
  scan   ID|NAME   scans the device now, at priority

Talks to a running daemon: --url (PRISCAN_URL, default http://127.0.0.1:8470)
and --token (PRISCAN_TOKEN). Changes need an admin token.
Exit codes: 0 ok, 1 refused by priscan, 2 usage, 3 daemon unreachable, 4 token refused.
`;

interface DeviceView {
  id: number;
  name: string;
  address: string;
  port?: number;
  lead: number | null;
  chainPosition: number | null;
  profile: string;
  resolvedProfile: string | null;
  monitoring: string;
  state: { reachable: boolean | null; lastScanAt: string | null; registration: string; lastError: string | null };
}

const common = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** A device's id from its id or name, as commands take it. */
export async function deviceId(target: ApiTarget, ref: string | undefined): Promise<number> {
  if (!ref) throw new CliError('name the device: its id or name', EXIT.usage);
  if (/^[1-9]\d*$/.test(ref)) return Number(ref);
  const { devices } = await callApi<{ devices: DeviceView[] }>(target, 'GET', '/api/v1/devices');
  const found = devices.find((d) => d.name === ref);
  if (!found) throw new CliError(`no device named ${ref}`, EXIT.failed);
  return found.id;
}

const status = (d: DeviceView) => (d.monitoring !== 'monitored' ? 'unlicensed' : d.state.reachable === null ? 'unknown' : d.state.reachable ? 'up' : 'down');

export async function devicesCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(DEVICES_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { ...common, status: { type: 'string' }, profile: { type: 'string' }, severity: { type: 'string' } }, strict: true });
      if (values.help) return printed(out, DEVICES_HELP);
      const query = new URLSearchParams();
      for (const key of ['status', 'profile', 'severity'] as const) if (values[key]) query.set(key, values[key]);
      const q = query.size ? `?${query}` : '';
      const { devices } = await callApi<{ devices: DeviceView[] }>(apiTarget(values), 'GET', `/api/v1/devices${q}`);
      if (values.json) return printed(out, `${JSON.stringify(devices, null, 2)}\n`);
      const names = new Map(devices.map((d) => [d.id, d.name]));
      // A shadow: its lead (by name when listed) and its place behind the lead's address.
      const lead = (d: DeviceView) => (d.lead === null ? null : `${names.get(d.lead) ?? d.lead} #${d.chainPosition}`);
      out.write(
        table(
          ['ID', 'NAME', 'ADDRESS', 'PROFILE', 'STATUS', 'REGISTRATION', 'LAST SCAN', 'LAST ERROR', 'LEAD'],
          devices.map((d) => [d.id, d.name, d.port && d.port !== 161 ? `${d.address}:${d.port}` : d.address, d.resolvedProfile ?? d.profile, status(d), d.state.registration, d.state.lastScanAt, d.state.lastError, lead(d)]),
        ),
      );
      return EXIT.ok;
    }
    case 'add': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...common,
          name: { type: 'string' },
          address: { type: 'string' },
          port: { type: 'string' },
          profile: { type: 'string' },
          'snmp-version': { type: 'string' },
          'read-community': { type: 'string' },
          'write-community': { type: 'string' },
          'v3-user': { type: 'string' },
          'v3-level': { type: 'string' },
          'v3-auth': { type: 'string' },
          'v3-priv': { type: 'string' },
          interval: { type: 'string' },
          timeout: { type: 'string' },
          retries: { type: 'string' },
          site: { type: 'string' },
          lead: { type: 'string' },
          'chain-position': { type: 'string' },
          'dry-run': { type: 'boolean' },
        },
        strict: true,
      });
      if (values.help) return printed(out, DEVICES_HELP);
      const shadow = values.lead !== undefined;
      if (!values.name || !(values.address || shadow)) throw new CliError('devices add needs --name and --address (or --lead, for a shadow)', EXIT.usage);
      // Checked here too, so a typo is a usage error before anything is sent; the daemon stores this spelling.
      const address = values.address === undefined ? undefined : canonicalAddress(values.address);
      if (values.address !== undefined && address === undefined) throw new CliError(`--address ${NOT_AN_ADDRESS}, got "${values.address}"`, EXIT.usage);
      const int = (flag: string, value: string | undefined) => {
        if (value === undefined) return undefined;
        if (!/^\d+$/.test(value)) throw new CliError(`--${flag} must be a whole number, got "${value}"`, EXIT.usage);
        return Number(value);
      };
      const body = {
        name: values.name,
        address,
        port: int('port', values.port),
        profile: values.profile,
        intervalSeconds: int('interval', values.interval),
        timeoutMs: int('timeout', values.timeout),
        retries: int('retries', values.retries),
        site: values.site,
        // A shadow uses its lead's credentials: none are sent for it.
        snmp: shadow ? undefined : snmpSettings(values),
        lead: values.lead === undefined ? undefined : /^[1-9]\d*$/.test(values.lead) ? Number(values.lead) : values.lead,
        chainPosition: int('chain-position', values['chain-position']),
      };
      const target = apiTarget(values);
      const result = await callApi<DeviceView & { dryRun?: true; reachable?: boolean; sysObjectId?: string; sysDescr?: string; autoProfile?: string; error?: string }>(
        target,
        'POST',
        `/api/v1/devices${values['dry-run'] ? '?dryRun=true' : ''}`,
        body,
      );
      if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
      if (result.dryRun) {
        const where = address ?? `lead ${values.lead}`;
        if (!result.reachable) throw new CliError(`${where} did not answer: ${result.error}`, EXIT.failed);
        out.write(`${where} answers: ${result.sysDescr ?? '(no sysDescr)'}\n  sysObjectID ${result.sysObjectId}\n  profile auto would choose: ${result.autoProfile ?? 'none (give --profile)'}\n`);
        return EXIT.ok;
      }
      const through = result.lead === null ? '' : `, a shadow of device ${result.lead} at position ${result.chainPosition}`;
      out.write(`added device ${result.id} ${result.name} (${result.address}${through}); registration ${result.state.registration}\n`);
      return EXIT.ok;
    }
    case 'remove':
    case 'scan': {
      const { values, positionals } = parseArgs({ args: rest, options: common, strict: true, allowPositionals: true });
      if (values.help) return printed(out, DEVICES_HELP);
      const target = apiTarget(values);
      const id = await deviceId(target, positionals[0]);
      if (sub === 'remove') {
        const result = await callApi<{ deleted: number; deregistrationError: string | null }>(target, 'DELETE', `/api/v1/devices/${id}`);
        if (values.json) return printed(out, `${JSON.stringify(result)}\n`);
        out.write(`removed device ${id}${result.deregistrationError ? ` (its registration could not be removed: ${result.deregistrationError})` : ''}\n`);
      } else {
        const result = await callApi<{ scan: string }>(target, 'POST', `/api/v1/devices/${id}/scan`);
        if (values.json) return printed(out, `${JSON.stringify(result)}\n`);
        out.write(`scan of device ${id}: ${result.scan}\n`);
      }
      return EXIT.ok;
    }
    default:
      throw new CliError(`unknown devices command "${sub}"`, EXIT.usage);
  }
}

/** The device's credentials from flags and environment; the daemon validates the rest. */
function snmpSettings(values: Record<string, string | boolean | undefined>): Record<string, string | undefined> {
  const flag = (name: string) => values[name] as string | undefined;
  const version = flag('snmp-version') ?? (flag('v3-user') ? '3' : '2c');
  if (version === '3') {
    const user = flag('v3-user');
    const level = flag('v3-level') ?? (flag('v3-priv') ? 'authPriv' : flag('v3-auth') ? 'authNoPriv' : 'noAuthNoPriv');
    if (!user) throw new CliError('an SNMPv3 device needs --v3-user', EXIT.usage);
    const auth = level === 'noAuthNoPriv' ? {} : { authProtocol: flag('v3-auth'), authPassword: process.env.PRISCAN_V3_AUTH_PASSWORD };
    const priv = level === 'authPriv' ? { privProtocol: flag('v3-priv'), privPassword: process.env.PRISCAN_V3_PRIV_PASSWORD } : {};
    if (level !== 'noAuthNoPriv' && !auth.authPassword) throw new CliError(`security level ${level} needs PRISCAN_V3_AUTH_PASSWORD`, EXIT.usage);
    if (level === 'authPriv' && !priv.privPassword) throw new CliError('security level authPriv needs PRISCAN_V3_PRIV_PASSWORD', EXIT.usage);
    return { version, user, level, ...auth, ...priv };
  }
  const readCommunity = flag('read-community') ?? process.env.PRISCAN_READ_COMMUNITY;
  const writeCommunity = flag('write-community') ?? process.env.PRISCAN_WRITE_COMMUNITY ?? readCommunity;
  if (!readCommunity || !writeCommunity) throw new CliError('set PRISCAN_READ_COMMUNITY and PRISCAN_WRITE_COMMUNITY (or --read-community/--write-community)', EXIT.usage);
  return { version, readCommunity, writeCommunity };
}

