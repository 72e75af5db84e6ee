import { parseArgs } from 'node:util';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';

export const PARTNER_HELP = `Usage: priscan partner <list|add|show|set|grant|revoke|remove> [options]

  list                                    partners: Partner ID, access, grants, scope, tokens
  add    --name "Acme, Inc." [--id ACME_INC] [--administrator] [--device-data]
         [--sites DC1,DC2]                a new partner: read-only, no API device data and all
                                          devices unless said; the Partner ID is made from the
                                          name (Acme, Inc. -> ACME_INC) unless --id gives one
  show   ID                               one partner
  set    ID [--id NEW_ID] [--name NAME] [--sites DC1,DC2 | --all-devices]
                                          rename, change the Partner ID (tokens stay its own) or scope
  grant  ID administrator|device-data     administrator: may change the devices in its scope;
                                          device-data: may read device data through the API
  revoke ID administrator|device-data     effective at once: open event streams end
  remove ID                               the partner and its tokens (its audit log is kept)

A partner's tokens: priscan token create --role partner --partner ID --name NAME.
What partners did: priscan audit [--partner ID].
Talks to a running daemon with an admin token: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
Every command takes --json. Exit codes: 0 ok, 1 refused, 2 usage, 3 daemon unreachable, 4 token refused.
`;

export const AUDIT_HELP = `Usage: priscan audit [--partner ID] [--after ID] [--limit N] [--json]

The audit log, oldest first: every request a partner's token made (what, when, the answer's
status) and every change to a partner's access (by which token, or on the host). Pages of --limit
(default 100, at most 1000) entries; --after the last id shown for the next page.
Talks to a running daemon with an admin token: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
`;

interface PartnerView {
  partnerId: string;
  name: string;
  access: string;
  grants: { administrator: boolean; deviceData: boolean };
  scope: 'all' | { sites: string[] };
  implicit: boolean;
  tokens: number;
}

interface AuditView {
  id: number;
  at: string;
  actor: { kind: string; token: string | null };
  partnerId: string | null;
  action: string;
  target: string | null;
  status: number | null;
  detail: string | null;
}

const common = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const scopeText = (p: PartnerView) => (p.scope === 'all' ? 'all devices' : `sites ${p.scope.sites.join(', ')}`);
const grantsText = (p: PartnerView) => [p.grants.administrator ? 'administrator' : '', p.grants.deviceData ? 'device-data' : ''].filter(Boolean).join(',') || '-';

function partnerLines(partners: PartnerView[]): string {
  return table(['PARTNER ID', 'NAME', 'ACCESS', 'GRANTS', 'SCOPE', 'TOKENS'], partners.map((p) => [p.partnerId, p.name, p.access, grantsText(p), scopeText(p), p.tokens]));
}

function sitesOf(text: string): { sites: string[] } {
  const sites = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (sites.length === 0) throw new CliError('--sites takes one or more site names, separated by commas', EXIT.usage);
  return { sites };
}

function onePartner(positionals: string[], sub: string): string {
  if (positionals.length < 1) throw new CliError(`partner ${sub} needs the Partner ID (see priscan partner list)`, EXIT.usage);
  return encodeURIComponent(positionals[0]!);
}

export async function partnerCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(PARTNER_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      ...common,
      name: { type: 'string' },
      id: { type: 'string' },
      administrator: { type: 'boolean' },
      'device-data': { type: 'boolean' },
      sites: { type: 'string' },
      'all-devices': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return printed(out, PARTNER_HELP);
  const target = apiTarget(values);
  const show = (partner: PartnerView, verb: string) =>
    printed(out, values.json ? `${JSON.stringify(partner, null, 2)}\n` : `${verb}${partnerLines([partner])}`);
  switch (sub) {
    case 'list': {
      const { partners } = await callApi<{ partners: PartnerView[] }>(target, 'GET', '/api/v1/partners');
      return printed(out, values.json ? `${JSON.stringify(partners, null, 2)}\n` : partnerLines(partners));
    }
    case 'add': {
      if (!values.name) throw new CliError('partner add needs --name (the organisation, e.g. --name "Acme, Inc.")', EXIT.usage);
      if (values['all-devices'] && values.sites) throw new CliError('give --sites or --all-devices, not both', EXIT.usage);
      const body = {
        name: values.name,
        ...(values.id ? { partnerId: values.id } : {}),
        ...(values.administrator ? { administrator: true } : {}),
        ...(values['device-data'] ? { deviceData: true } : {}),
        ...(values.sites ? { scope: sitesOf(values.sites) } : {}),
      };
      return show(await callApi<PartnerView>(target, 'POST', '/api/v1/partners', body), '');
    }
    case 'show':
      return show(await callApi<PartnerView>(target, 'GET', `/api/v1/partners/${onePartner(positionals, sub)}`), '');
    case 'set': {
      const id = onePartner(positionals, sub);
      if (values['all-devices'] && values.sites) throw new CliError('give --sites or --all-devices, not both', EXIT.usage);
      const body = {
        ...(values.name ? { name: values.name } : {}),
        ...(values.id ? { partnerId: values.id } : {}),
        ...(values.sites ? { scope: sitesOf(values.sites) } : values['all-devices'] ? { scope: 'all' } : {}),
      };
      if (Object.keys(body).length === 0) throw new CliError('partner set needs --id, --name, --sites or --all-devices', EXIT.usage);
      return show(await callApi<PartnerView>(target, 'PATCH', `/api/v1/partners/${id}`, body), '');
    }
    case 'grant':
    case 'revoke': {
      const id = onePartner(positionals, sub);
      const grant = positionals[1];
      if (grant !== 'administrator' && grant !== 'device-data') throw new CliError(`partner ${sub} ID administrator|device-data`, EXIT.usage);
      const partner = await callApi<PartnerView>(target, sub === 'grant' ? 'PUT' : 'DELETE', `/api/v1/partners/${id}/grants/${grant}`);
      return show(partner, `${sub === 'grant' ? 'granted' : 'revoked'} ${grant}\n`);
    }
    case 'remove': {
      const { removed } = await callApi<{ removed: PartnerView }>(target, 'DELETE', `/api/v1/partners/${onePartner(positionals, sub)}`);
      return printed(out, values.json ? `${JSON.stringify(removed, null, 2)}\n` : `removed partner ${removed.partnerId} and its ${removed.tokens} token(s)\n`);
    }
    default:
      throw new CliError(`unknown partner command "${sub}"`, EXIT.usage);
  }
}

export async function auditCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, partner: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } }, strict: true });
  if (values.help) return printed(out, AUDIT_HELP);
  const query = new URLSearchParams();
  for (const key of ['partner', 'after', 'limit'] as const) if (values[key] !== undefined) query.set(key, values[key]);
  const result = await callApi<{ entries: AuditView[]; lastId: number }>(apiTarget(values), 'GET', `/api/v1/audit${query.size ? `?${query}` : ''}`);
  if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
  const who = (e: AuditView) => (e.actor.kind === 'host' ? 'host' : `${e.actor.kind} token ${e.actor.token}`);
  return printed(
    out,
    table(
      ['ID', 'AT', 'WHO', 'PARTNER', 'WHAT', 'TARGET', 'STATUS', 'DETAIL'],
      result.entries.map((e) => [e.id, e.at, who(e), e.partnerId, e.action, e.target, e.status, e.detail]),
    ),
  );
}
