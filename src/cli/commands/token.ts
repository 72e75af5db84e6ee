import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditLog } from '../../access/audit.js';
import { ApiTokens, ROLES, type Role } from '../../access/tokens.js';
import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config/load.js';
import type { InstanceLock } from '../../store/instance-lock.js';
import { lockStore, openStore, sqlitePath } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { CliError, EXIT, printed, table } from '../api-client.js';

export const TOKEN_HELP = `Usage: priscan token <create|list|revoke> [--config FILE] [options]

  create --role ${ROLES.join('|')} --name NAME [--partner ID]
                                                prints the new token once; only its hash is kept
  list   [--json]                               tokens without their secrets
  revoke ID|NAME                                the token stops working at once

Works on priscan's database directly (store.postgres from --config, else the SQLite file in
dataDir, default /var/lib/priscan), so the first admin token can be made before the API can be
used. A data directory must exist (priscan serve creates it). list works while the daemon runs;
create and revoke write a SQLite file, which one process at a time does: they are refused while
priscan serve holds it (a PostgreSQL store takes them at any time).
Roles: admin changes anything; viewer reads; partner: a token of the partner --partner names
(priscan partner list), with that partner's access level and scope. A partner token naming no
partner belongs to LEGACY_PARTNER: read-only, all devices, device data through the API.
`;

/**
 * The token table of the configured database. Nothing is created where there is no data
 * directory; `list` only reads, `create` and `revoke` first take a SQLite data directory from
 * any other writer (collectors share a PostgreSQL store: nothing to take).
 */
function openTokens(configPath: string | undefined, sub: string): { tokens: ApiTokens; store: Store; close: () => void } {
  const config = loadConfig(configPath);
  const readOnly = sub === 'list';
  const sqlite = config.store.postgres === undefined;
  const { dataDir } = config;
  if (sqlite && (!existsSync(dataDir) || !statSync(dataDir).isDirectory())) {
    throw new CliError(`the data directory ${dataDir} does not exist (dataDir in ${configPath ?? 'the built-in defaults'}): check --config; priscan serve creates it on its first start`, EXIT.failed);
  }
  if (sqlite && readOnly && !existsSync(sqlitePath(dataDir))) throw new CliError(`there is no priscan database in ${dataDir} yet: priscan serve or priscan token create makes one`, EXIT.failed);
  let lock: InstanceLock | undefined;
  try {
    lock = readOnly ? undefined : lockStore(config, { command: `priscan token ${sub}`, now: () => systemClock.now() });
  } catch (error) {
    // The daemon holds the database: tokens are then managed through it, with an admin token.
    const viaApi = 'while it runs, an admin manages tokens through its API: POST /api/v1/tokens, DELETE /api/v1/tokens/NAME';
    throw new CliError(`${(error as Error).message}; ${viaApi}`, EXIT.failed);
  }
  let store: Store;
  try {
    store = openStore(config, systemClock, { readOnly });
  } catch (error) {
    lock?.release();
    throw new CliError(`cannot open priscan's database ${sqlite ? `in ${dataDir}` : 'in PostgreSQL'}: ${(error as Error).message}`, EXIT.failed);
  }
  return {
    tokens: new ApiTokens({ repository: store.tokens }),
    store,
    close: () => {
      store.close();
      lock?.release();
    },
  };
}

export function tokenCommand(args: string[], out: NodeJS.WritableStream): number {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(TOKEN_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, role: { type: 'string' }, name: { type: 'string' }, partner: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: sub === 'revoke',
  });
  if (values.help) return printed(out, TOKEN_HELP);
  if (sub === 'create' && (!values.role || !values.name)) throw new CliError('token create needs --role and --name', EXIT.usage);
  if (sub === 'create' && !(ROLES as readonly string[]).includes(values.role!)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`, EXIT.usage);
  if (values.partner !== undefined && values.role !== 'partner') throw new CliError('--partner is for --role partner only', EXIT.usage);
  if (sub === 'revoke' && positionals.length !== 1) throw new CliError('give one token id or name (see priscan token list)', EXIT.usage);
  if (!['create', 'list', 'revoke'].includes(sub)) throw new CliError(`unknown token command "${sub}"`, EXIT.usage);

  const { tokens, store, close } = openTokens(values.config, sub);
  const audit = new AuditLog({ repository: store.audit, clock: systemClock });
  try {
    switch (sub) {
      case 'create': {
        const partner = values.partner === undefined ? undefined : store.partners.getByPartnerId(values.partner);
        if (values.partner !== undefined && !partner) throw new CliError(`no partner with Partner ID ${values.partner} (see priscan partner list)`, EXIT.failed);
        const { token, info } = tokens.create({ role: values.role as Role, name: values.name!, ...(partner ? { partner: partner.id } : {}) });
        if (info.partner) audit.partnerChange('host', info.partner, 'partner.token.create', info.name);
        const of = info.partner ? ` of partner ${info.partner.partnerId}` : '';
        if (values.json) return printed(out, `${JSON.stringify({ token, id: info.id, name: info.name, role: info.role, partner: info.partner?.partnerId ?? null })}\n`);
        return printed(out, `${token}\n  token ${info.id} "${info.name}" (${info.role}${of}): shown once, store it now\n`);
      }
      case 'list': {
        const list = tokens.list();
        if (values.json) return printed(out, `${JSON.stringify(list, null, 2)}\n`);
        const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
        return printed(out, table(['ID', 'NAME', 'ROLE', 'PARTNER', 'PREFIX', 'CREATED', 'LAST USED'], list.map((t) => [t.id, t.name, t.role, t.partner?.partnerId, t.prefix, iso(t.createdAt), iso(t.lastUsedAt)])));
      }
      default: {
        const ref = positionals[0]!;
        const revoked = tokens.revoke(/^\d+$/.test(ref) ? Number(ref) : ref);
        if (!revoked) throw new CliError(`no token ${ref}`, EXIT.failed);
        if (revoked.partner) audit.partnerChange('host', revoked.partner, 'partner.token.revoke', revoked.name);
        return printed(out, `revoked token ${revoked.id} "${revoked.name}"\n`);
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, EXIT.failed);
  } finally {
    close();
  }
}
