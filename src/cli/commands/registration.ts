import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { RegistrationIssueError } from '../../licensing/registration-code.js';
import { displaySystemId, parseSystemId, RegistrationTextError } from '../../licensing/registration-format.js';
import { RegistrationLedger, RegistrationLedgerError } from '../../licensing/registration-ledger.js';
import { readRegistrationRequest } from '../../licensing/registration-request.js';
import { apiTarget, callApi, CliError, EXIT, printed } from '../api-client.js';
import { issuerSecretFromFlags } from './license.js';

export const REGISTRATION_HELP = `Usage: priscan registration <status|request|apply|reassociate|issue> [options]

On the installation (talks to the running daemon with an admin token):
  status                   the System ID and the registration (integrator, end-user owner)
  request                  prints the offline registration request to send to the license
                           authority: System ID, server identity (MAC), licensed nodes, version,
                           signed with the installation's own key
  apply CODE               applies the registration code the authority sent back (spaces, dashes,
                           line breaks, lower case and O/I/L are accepted; the code may be given
                           as several arguments)
  reassociate CODE         after the database was lost: applies the reassociation code that moves
                           the old System ID's registration to this installation's new System ID.
                           License keys are bound to the server's MAC, not the System ID: add the
                           same keys again (priscan license add) and they verify as before

The license authority's side, beside priscan license issue (same ledger file, same issuer secret):
  issue --request FILE --integrator NAME --owner NAME --ledger FILE
                           verifies the request and prints its registration code; one integrator
                           and one end-user owner per registration, one registration per System ID
  issue --request FILE --reassociate OLD_SYSTEM_ID --ledger FILE
                           a reassociation code: the registration of OLD_SYSTEM_ID (integrator and
                           owner kept) moves to the System ID of the request
  --request - reads the request from standard input. The issuer secret comes from --secret-file FILE
  or the environment variable PRISCAN_ISSUER_SECRET (or --secret-env NAME), never the command line.

--url (PRISCAN_URL), --token (PRISCAN_TOKEN), --json.
Exit codes: 0 ok, 1 refused, 2 usage, 3 daemon unreachable, 4 token refused.
`;

export const ABOUT_HELP = `Usage: priscan about [--json]

The running daemon's version, server identity (the MAC license keys are bound to), System ID and
whether it is registered. Any token: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
`;

interface RegistrationView { kind: string; number: number; integrator: string; owner: string; previousSystemId: string | null; issuedOn: string; appliedAt: string }
interface About { version: string; serverId: string | null; serverIdError: string | null; systemId: string; registered: boolean; snmpEngineId: string }

const api = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

function registrationLines(systemId: string, r: RegistrationView | null): string {
  if (!r) return `System ID ${systemId}: not registered (priscan registration request, then apply the code)\n`;
  const moved = r.previousSystemId ? `, moved here from ${r.previousSystemId}` : '';
  return `System ID ${systemId}: registration ${r.number} (${r.kind}${moved}), issued ${r.issuedOn}\n  integrator: ${r.integrator}\n  end-user owner: ${r.owner}\n`;
}

export async function aboutCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({ args, options: api, strict: true });
  if (values.help) return printed(out, ABOUT_HELP);
  const about = await callApi<About>(apiTarget(values), 'GET', '/api/v1/about');
  if (values.json) return printed(out, `${JSON.stringify(about, null, 2)}\n`);
  return printed(
    out,
    `priscan ${about.version}\n  System ID:       ${about.systemId} (${about.registered ? 'registered' : 'not registered'})\n` +
      `  server identity: ${about.serverId ?? `none (${about.serverIdError})`}\n  SNMPv3 engine:   ${about.snmpEngineId}\n`,
  );
}

export async function registrationCommand(args: string[], out: NodeJS.WritableStream, stdin: () => string): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(REGISTRATION_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  if (sub === 'issue') return issue(rest, out, stdin);
  const { values, positionals } = parseArgs({ args: rest, options: api, strict: true, allowPositionals: sub === 'apply' || sub === 'reassociate' });
  if (values.help) return printed(out, REGISTRATION_HELP);
  const target = apiTarget(values);
  switch (sub) {
    case 'status':
    case 'request': {
      const state = await callApi<{ systemId: string; registration: RegistrationView | null; request: string }>(target, 'GET', '/api/v1/registration');
      if (values.json) return printed(out, `${JSON.stringify(sub === 'status' ? { systemId: state.systemId, registration: state.registration } : state, null, 2)}\n`);
      if (sub === 'status') return printed(out, registrationLines(state.systemId, state.registration));
      return printed(out, `priscan registration request for System ID ${state.systemId}; send it to the license authority:\n\n${state.request}\n`);
    }
    case 'apply':
    case 'reassociate': {
      if (positionals.length === 0) throw new CliError(`give the code: priscan registration ${sub} CODE`, EXIT.usage);
      const kind = sub === 'apply' ? 'registration' : 'reassociation';
      const result = await callApi<{ systemId: string; registration: RegistrationView }>(target, 'POST', '/api/v1/registration', { code: positionals.join(''), kind });
      if (values.json) return printed(out, `${JSON.stringify(result, null, 2)}\n`);
      return printed(out, `applied. ${registrationLines(result.systemId, result.registration)}`);
    }
    default:
      throw new CliError(`unknown registration command "${sub}"`, EXIT.usage);
  }
}

function issue(args: string[], out: NodeJS.WritableStream, stdin: () => string): number {
  const { values } = parseArgs({
    args,
    options: {
      request: { type: 'string' },
      integrator: { type: 'string' },
      owner: { type: 'string' },
      reassociate: { type: 'string' },
      ledger: { type: 'string' },
      'secret-file': { type: 'string' },
      'secret-env': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return printed(out, REGISTRATION_HELP);
  if (!values.request || !values.ledger) throw new CliError('registration issue needs --request FILE and --ledger FILE', EXIT.usage);
  const reassociating = values.reassociate !== undefined;
  if (reassociating && (values.integrator !== undefined || values.owner !== undefined)) {
    throw new CliError('a reassociation keeps the integrator and owner of the registration it moves: leave out --integrator and --owner', EXIT.usage);
  }
  if (!reassociating && (!values.integrator || !values.owner)) {
    throw new CliError('registration issue needs --integrator NAME and --owner NAME (one of each per registration), or --reassociate OLD_SYSTEM_ID', EXIT.usage);
  }
  let previous: string | undefined;
  let request;
  try {
    previous = reassociating ? parseSystemId(values.reassociate!) : undefined;
    request = readRegistrationRequest(readRequestText(values.request, stdin));
  } catch (error) {
    if (error instanceof RegistrationTextError) throw new CliError(error.message, EXIT.failed);
    throw error;
  }
  const secret = issuerSecretFromFlags(values);
  let ledger: RegistrationLedger;
  try {
    ledger = RegistrationLedger.open(values.ledger, systemClock);
  } catch (error) {
    throw new CliError(`cannot open the ledger ${values.ledger}: ${(error as Error).message}`, EXIT.failed);
  }
  try {
    const issuedOn = new Date();
    const code = previous === undefined
      ? ledger.register({ secret, request, integrator: values.integrator!, owner: values.owner!, issuedOn })
      : ledger.reassociate(previous, { secret, request, issuedOn });
    if (values.json) {
      const { display: _display, ...fields } = code;
      return printed(out, `${JSON.stringify({ ...fields, systemId: displaySystemId(code.systemId), previousSystemId: previous && displaySystemId(previous), mac: request.mac }, null, 2)}\n`);
    }
    const what = previous === undefined ? 'registration' : `reassociation from ${displaySystemId(previous)}`;
    return printed(
      out,
      `${code.display}\n  ${what} ${code.number} for System ID ${displaySystemId(code.systemId)} (MAC ${request.mac ?? 'none'}, ${request.licensedNodes} nodes, priscan ${request.version})\n` +
        `  integrator: ${code.integrator}\n  end-user owner: ${code.owner}\n`,
    );
  } catch (error) {
    if (error instanceof RegistrationLedgerError || error instanceof RegistrationIssueError) throw new CliError(error.message, EXIT.failed);
    throw error;
  } finally {
    ledger.close();
  }
}

function readRequestText(source: string, stdin: () => string): string {
  try {
    return source === '-' ? stdin() : readFileSync(source, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the request ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT.failed);
  }
}
