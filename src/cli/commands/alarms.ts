import { parseArgs } from 'node:util';
import { followAlarmStream, openAlarmStream } from '../alarm-stream.js';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';

export const ALARMS_HELP = `Usage: priscan alarms [--severity info|warning|critical] [--device NAME] [--json]
                      [--follow [--reconnect-timeout SECONDS]]

Lists active alarms. --follow then prints each raise and clear as it happens
(one line each, or one JSON object per line with --json) until interrupted.
When the daemon restarts, --follow reconnects and resumes where it left off:
nothing is missed or printed twice. It gives up (exit 3) only when the daemon
stays away longer than --reconnect-timeout (default 60 s).
Talks to a running daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
`;

const DEFAULT_RECONNECT_TIMEOUT_S = 60;

/** --reconnect-timeout in ms: seconds, fractions allowed, 0 gives up at the first break. */
function reconnectTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RECONNECT_TIMEOUT_S * 1000;
  if (!/^\d{1,6}(\.\d{1,3})?$/.test(text)) throw new CliError(`--reconnect-timeout must be a number of seconds, got "${text}"`, EXIT.usage);
  return Math.round(Number(text) * 1000);
}

interface AlarmView { device: string | null; severity: string; code: string; description: string; raisedAt: string | null }
interface EventView { id: number; kind: string; device: string; severity: string; description: string; at: string | null; reason?: string | null }

/** One raise or clear as --follow prints it; a clear priscan made itself says why. */
function eventLine(event: EventView): string {
  const reason = event.kind === 'clear' && event.reason ? `  (${event.reason})` : '';
  return `${event.at}  ${event.kind === 'raise' ? 'RAISE' : 'CLEAR'}  ${event.device}  ${event.severity}  ${event.description}${reason}\n`;
}

export async function alarmsCommand(args: string[], out: NodeJS.WritableStream, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      follow: { type: 'boolean', short: 'f' },
      'reconnect-timeout': { type: 'string' },
      severity: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return printed(out, ALARMS_HELP);
  if (values['reconnect-timeout'] !== undefined && !values.follow) throw new CliError('--reconnect-timeout goes with --follow', EXIT.usage);
  const reconnectTimeout = reconnectTimeoutMs(values['reconnect-timeout']);
  const target = apiTarget(values);
  const query = new URLSearchParams();
  if (values.severity) query.set('severity', values.severity);
  if (values.device) query.set('device', values.device);
  // --follow subscribes before it lists: a change stored between the two then shows twice
  // (active, then as an event) instead of not at all.
  let res: Response | undefined;
  if (values.follow) {
    try {
      res = await openAlarmStream(target, undefined, signal);
    } catch (error) {
      if (signal?.aborted) return EXIT.ok;
      throw new CliError(`cannot reach priscan at ${target.url} (${(error as Error).message})`, EXIT.unreachable);
    }
    if (!res.ok || !res.body) throw new CliError(`the alarm stream answered HTTP ${res.status}`, res.status === 401 || res.status === 403 ? EXIT.denied : EXIT.failed);
  }
  const { alarms } = await callApi<{ alarms: AlarmView[] }>(target, 'GET', `/api/v1/alarms${query.size ? `?${query}` : ''}`).catch(async (error: unknown) => {
    await res?.body?.cancel();
    throw error;
  });
  if (values.json && !values.follow) out.write(`${JSON.stringify(alarms, null, 2)}\n`);
  else if (values.json) for (const a of alarms) out.write(`${JSON.stringify({ kind: 'active', ...a })}\n`);
  else out.write(table(['RAISED', 'DEVICE', 'SEVERITY', 'CODE', 'DESCRIPTION'], alarms.map((a) => [a.raisedAt, a.device, a.severity, a.code, a.description])));
  if (!res?.body) return EXIT.ok;
  await followAlarmStream({
    target,
    opened: res,
    reconnectTimeoutMs: reconnectTimeout,
    signal,
    notice: (line) => process.stderr.write(`priscan: ${line}\n`),
    onEvent: (data) => {
      const event = JSON.parse(data) as EventView;
      if (values.device && event.device !== values.device) return;
      if (values.severity && event.severity !== values.severity) return;
      out.write(values.json ? `${JSON.stringify(event)}\n` : eventLine(event));
    },
  });
  return EXIT.ok;
}
