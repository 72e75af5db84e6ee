import { parseArgs } from 'node:util';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';
import { deviceId } from './devices.js';

export const READINGS_HELP = `Usage: priscan readings DEVICE [--json]
       priscan readings DEVICE --history READING [--instance ROW] [--since TIME] [--until TIME] [--limit N] [--json]

Without --history: the device's sensor readings (temperatures, voltages, loads,
door states...), the last value of each reading and table row, with when it was
read; "stale" marks a value the device's latest successful scan did not read.
With --history: one reading's stored points, oldest first. A table reading with
several rows needs --instance: the row's index or label, as the first form lists.

DEVICE is an id or a name. TIME is an ISO 8601 time or a span before now: 90s,
30m, 6h, 2d (--since defaults to 24 hours before --until, --until to now).
--limit caps the points shown (1-10000, default 1000).

Talks to a running daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN).
`;

interface ReadingView {
  reading: string;
  instance: string;
  label: string;
  unit: string;
  description: string | null;
  value: number;
  state: string | null;
  at: string;
  stale: boolean;
}

interface HistoryView {
  reading: string;
  label: string;
  unit: string;
  points: Array<{ at: string; value: number; state: string | null }>;
  next: string | null;
}

const UNIT_SYMBOL: Readonly<Record<string, string>> = { percent: '%', volts: 'V', amperes: 'A', watts: 'W', volt_amperes: 'VA', hertz: 'Hz', celsius: '°C', seconds: 's' };

/** A value as an operator reads it: with its unit's symbol, or a state's name beside the raw value. */
function shown(unit: string, value: number, state: string | null): string {
  if (unit === 'state') return state === null ? `${value} (unknown state)` : `${state} (${value})`;
  const symbol = UNIT_SYMBOL[unit];
  return symbol ? `${value} ${symbol}` : String(value);
}

const SPAN = /^(\d{1,6})([smhd])$/;
const SPAN_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** --since/--until as the API takes them: an ISO time, or a span before now. */
export function timeArgument(flag: string, text: string, now = Date.now()): string {
  const span = SPAN.exec(text);
  if (span) return new Date(now - Number(span[1]) * SPAN_MS[span[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(Date.parse(text)).toISOString();
  throw new CliError(`--${flag} must be an ISO 8601 time (2026-01-31T08:00:00Z) or a span before now (90s, 30m, 6h, 2d), got "${text}"`, EXIT.usage);
}

export async function readingsCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      history: { type: 'string' },
      instance: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return printed(out, READINGS_HELP);
  if (positionals.length !== 1) throw new CliError('name one device: its id or name', EXIT.usage);
  if (values.history === undefined) {
    for (const flag of ['instance', 'since', 'until', 'limit'] as const) if (values[flag] !== undefined) throw new CliError(`--${flag} goes with --history READING`, EXIT.usage);
  }
  if (values.limit !== undefined && !/^[1-9]\d{0,4}$/.test(values.limit)) throw new CliError(`--limit must be a whole number from 1 to 10000, got "${values.limit}"`, EXIT.usage);
  const query = new URLSearchParams();
  if (values.history !== undefined) {
    query.set('reading', values.history);
    if (values.instance !== undefined) query.set('instance', values.instance);
    if (values.since !== undefined) query.set('since', timeArgument('since', values.since));
    if (values.until !== undefined) query.set('until', timeArgument('until', values.until));
    if (values.limit !== undefined) query.set('limit', values.limit);
  }
  const target = apiTarget(values);
  const id = await deviceId(target, positionals[0]);
  if (values.history === undefined) {
    const { readings } = await callApi<{ readings: ReadingView[] }>(target, 'GET', `/api/v1/devices/${id}/readings`);
    if (values.json) return printed(out, `${JSON.stringify(readings, null, 2)}\n`);
    return printed(out, table(['READING', 'ROW', 'VALUE', 'READ AT', ''], readings.map((r) => [r.reading, r.label || '', shown(r.unit, r.value, r.state), r.at, r.stale ? 'stale' : ''])));
  }
  const history = await callApi<HistoryView>(target, 'GET', `/api/v1/devices/${id}/readings/history?${query}`);
  if (values.json) return printed(out, `${JSON.stringify(history, null, 2)}\n`);
  out.write(table(['AT', `${history.reading}${history.label ? ` (${history.label})` : ''}`], history.points.map((p) => [p.at, shown(history.unit, p.value, p.state)])));
  if (history.next) out.write(`more points follow: --since ${history.next}\n`);
  return EXIT.ok;
}
