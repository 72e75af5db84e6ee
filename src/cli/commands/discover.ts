import { parseArgs } from 'node:util';
import { apiTarget, callApi, CliError, EXIT, printed, table, type ApiTarget } from '../api-client.js';

export const DISCOVER_HELP = `Usage: priscan discover TARGETS... [--add] [--credential NAME]... [--port 161] [--json]

Probes addresses for SNMP agents with the daemon's discovery credentials (the
config's discovery.credentials: v1/v2c communities first, then v3 users; the
first that answers wins) and lists each one that answers: its sysObjectID,
sysName, sysDescr and the profile that would match it. Nothing beyond the
targets is ever sent to.

  TARGETS          10.1.2.0/24, 10.1.2.10-10.1.2.40 (or 10.1.2.10-40), 10.1.2.3,
                   2001:db8::/120; several, or comma-separated. At most 4096
                   addresses; the network and broadcast addresses of a v4 prefix
                   are skipped.
  --add            add the devices a profile matches, named from their sysName,
                   within the licensed node count; unmatched ones are only listed
  --credential N   try only this configured credential (repeat, or N1,N2)
  --port P         the SNMP port to probe (and to give added devices), default 161
  --json           the whole result as JSON

Concurrency, rate, timeout and retries come from the config's discovery
section. Talks to a running daemon: --url (PRISCAN_URL) and --token
(PRISCAN_TOKEN); it needs an admin token.
Exit codes: 0 ok, 1 refused (or, with --add, a matched device not added),
2 usage, 3 daemon unreachable, 4 token refused.
`;

interface Admission {
  outcome: 'added' | 'refused' | 'exists' | 'unmatched';
  deviceId: number | null;
  device: string | null;
  reason: string | null;
  message: string | null;
}

interface Discovered {
  address: string;
  status: 'answered' | 'error';
  credential: string | null;
  sysObjectId: string | null;
  sysName: string | null;
  sysDescr: string | null;
  profile: string | null;
  error: string | null;
  admission: Admission | null;
}

interface DiscoveryJob {
  id: string;
  state: 'running' | 'done' | 'stopped' | 'failed';
  addresses: number;
  probed: number;
  counts: { answered: number; timeout: number; error: number };
  results: Discovered[];
  error: string | null;
}

/** How often the job is asked for its progress. */
const POLL_MS = 500;

async function follow(target: ApiTarget, job: DiscoveryJob, progress: NodeJS.WritableStream | undefined): Promise<DiscoveryJob> {
  while (job.state === 'running') {
    progress?.write(`\rprobed ${job.probed} of ${job.addresses}, ${job.counts.answered} answered`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await callApi<DiscoveryJob>(target, 'GET', `/api/v1/discovery/${job.id}`);
  }
  progress?.write('\r\x1b[K');
  return job;
}

const admissionText = (a: Admission | null): string | null => {
  if (!a) return null;
  if (a.outcome === 'added') return `added as ${a.device}`;
  if (a.outcome === 'exists') return `exists (${a.device ?? a.message})`;
  if (a.outcome === 'refused') return a.reason === 'license' ? 'refused: license full' : `refused: ${a.message}`;
  return 'not added: no profile';
};

function summary(job: DiscoveryJob): string {
  const matched = job.results.filter((r) => r.profile).length;
  const lines = [`${job.probed} of ${job.addresses} addresses probed: ${job.counts.answered} answered (${matched} matched a profile), ${job.counts.timeout} silent, ${job.counts.error} failed`];
  const admissions = job.results.map((r) => r.admission).filter((a): a is Admission => a !== null);
  if (admissions.length > 0) {
    const count = (outcome: Admission['outcome']) => admissions.filter((a) => a.outcome === outcome).length;
    lines.push(`added ${count('added')}, refused ${count('refused')}, already known ${count('exists')}, unmatched ${count('unmatched')}`);
    const license = admissions.find((a) => a.reason === 'license');
    if (license) lines.push(license.message!);
  }
  if (job.state !== 'done') lines.push(`discovery ${job.state}${job.error ? `: ${job.error}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export async function discoverCommand(args: string[], out: NodeJS.WritableStream, progress?: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      add: { type: 'boolean' },
      credential: { type: 'string', multiple: true },
      port: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return printed(out, DISCOVER_HELP);
  if (positionals.length === 0) throw new CliError('name the addresses to probe, e.g. priscan discover 10.1.2.0/24', EXIT.usage);
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new CliError(`--port must be a port number, got "${values.port}"`, EXIT.usage);
  const target = apiTarget(values);
  const started = await callApi<DiscoveryJob>(target, 'POST', '/api/v1/discovery', {
    targets: positionals,
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
    ...(values.credential ? { credentials: values.credential.flatMap((names) => names.split(',')).map((name) => name.trim()).filter(Boolean) } : {}),
    add: values.add ?? false,
  });
  const job = await follow(target, started, values.json ? undefined : progress);
  if (values.json) out.write(`${JSON.stringify(job, null, 2)}\n`);
  else {
    const withAdmission = job.results.some((r) => r.admission);
    const rows = job.results.map((r) => [
      r.address,
      r.profile ?? (r.status === 'answered' ? 'none' : null),
      r.sysName,
      r.sysObjectId,
      r.credential,
      ...(withAdmission ? [admissionText(r.admission)] : []),
      r.error ?? r.sysDescr,
    ]);
    if (rows.length > 0) out.write(table(['ADDRESS', 'PROFILE', 'SYSNAME', 'SYSOBJECTID', 'CREDENTIAL', ...(withAdmission ? ['ADDED'] : []), 'SYSDESCR / ERROR'], rows));
    out.write(summary(job));
  }
  const notAdded = job.results.some((r) => r.admission?.outcome === 'refused');
  return job.state === 'done' && !notAdded ? EXIT.ok : EXIT.failed;
}
