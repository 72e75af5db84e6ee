import { parseArgs } from 'node:util';
import { followAlarmStream, openAlarmStream } from '../alarm-stream.js';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';

export const ALARMS_HELP = `Usage: priscan alarms [--severity info|warning|critical] [--device NAME] [--json]
                      [--follow [--reconnect-timeout SECONDS]]
       priscan alarms ack DEVICE ALARM --comment TEXT
       priscan alarms unack DEVICE ALARM [--comment TEXT]

Lists active alarms: ACK names who acknowledged one, MAINT the maintenance
window holding it back from Alertmanager and webhooks. --follow then prints
each raise, clear, ack and unack as it happens (one line each, or one JSON
object per line with --json) until interrupted. When the daemon restarts,
--follow reconnects and resumes where it left off: nothing is missed or
printed twice. It gives up (exit 3) only when the daemon stays away longer
than --reconnect-timeout (default 60 s).

ack acknowledges an active alarm (it stays active until the device clears it);
unack takes that back. DEVICE is a device's name or id, ALARM the alarm's code
(e.g. ups.onBattery) or, where a device has one code twice, its key (--json
lists keys). Both need an admin token.
Talks to a running daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
`;

const DEFAULT_RECONNECT_TIMEOUT_S = 60;

/** --reconnect-timeout in ms: seconds, fractions allowed, 0 gives up at the first break. */
function reconnectTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RECONNECT_TIMEOUT_S * 1000;
  if (!/^\d{1,6}(\.\d{1,3})?$/.test(text)) throw new CliError(`--reconnect-timeout must be a number of seconds, got "${text}"`, EXIT.usage);
  return Math.round(Number(text) * 1000);
}

interface AlarmView {
  deviceId: number;
  device: string | null;
  key: string;
  severity: string;
  code: string;
  description: string;
  raisedAt: string | null;
  acknowledgement?: { by: string; at: string; comment: string } | null;
  maintenanceWindowId?: number | null;
}
interface EventView { id: number; kind: string; device: string; severity: string; description: string; at: string | null; reason?: string | null; by?: string | null; comment?: string | null }

/** One event as --follow prints it; a clear priscan made itself says why, an acknowledgement who and why. */
export function eventLine(event: EventView): string {
  let note = '';
  if (event.kind === 'clear' && event.reason) note = `  (${event.reason})`;
  if (event.kind === 'ack' || event.kind === 'unack') note = `  (by ${event.by ?? '?'}${event.comment ? `: ${event.comment}` : ''})`;
  return `${event.at}  ${event.kind.toUpperCase().padEnd(5)}  ${event.device}  ${event.severity}  ${event.description}${note}\n`;
}

export async function alarmsCommand(args: string[], out: NodeJS.WritableStream, signal?: AbortSignal): Promise<number> {
  if (args[0] === 'ack' || args[0] === 'unack') return acknowledgeCommand(args[0], args.slice(1), out);
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
  else out.write(table(['ACK', 'MAINT', 'RAISED', 'DEVICE', 'SEVERITY', 'CODE', 'DESCRIPTION'], alarms.map((a) => [a.acknowledgement?.by, a.maintenanceWindowId, a.raisedAt, a.device, a.severity, a.code, a.description])));
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

/** priscan alarms ack|unack DEVICE ALARM: the alarm found by key, else by code on that device. */
async function acknowledgeCommand(sub: 'ack' | 'unack', args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { url: { type: 'string' }, token: { type: 'string' }, comment: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return printed(out, ALARMS_HELP);
  if (positionals.length !== 2) throw new CliError(`alarms ${sub} takes DEVICE and ALARM (its code or key)`, EXIT.usage);
  if (sub === 'ack' && !values.comment) throw new CliError('alarms ack needs --comment: say what is being done about it', EXIT.usage);
  const [deviceRef, alarmRef] = positionals as [string, string];
  const target = apiTarget(values);
  const { alarms } = await callApi<{ alarms: AlarmView[] }>(target, 'GET', '/api/v1/alarms');
  const onDevice = alarms.filter((a) => (/^[1-9]\d*$/.test(deviceRef) ? a.deviceId === Number(deviceRef) : a.device === deviceRef));
  const byKey = onDevice.filter((a) => a.key === alarmRef);
  const found = byKey.length > 0 ? byKey : onDevice.filter((a) => a.code === alarmRef);
  if (found.length === 0) throw new CliError(`no active alarm ${alarmRef} on ${deviceRef} (priscan alarms --device lists them)`, EXIT.failed);
  if (found.length > 1) throw new CliError(`${deviceRef} has ${found.length} active ${alarmRef} alarms: name one by its key (${found.map((a) => a.key).join(', ')})`, EXIT.usage);
  const alarm = found[0]!;
  const body = { deviceId: alarm.deviceId, key: alarm.key, ...(values.comment === undefined ? {} : { comment: values.comment }) };
  const answer = await callApi<{ alarm: AlarmView }>(target, 'POST', `/api/v1/alarms/${sub}`, body);
  if (values.json) return printed(out, `${JSON.stringify(answer.alarm, null, 2)}\n`);
  return printed(out, `${sub === 'ack' ? 'acknowledged' : 'no longer acknowledged'}: ${alarm.device} ${alarm.code} (${alarm.description})\n`);
}
