import { parseArgs } from 'node:util';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';
import { deviceId } from './devices.js';

export const THRESHOLDS_HELP = `Usage: priscan thresholds <list|add|remove|effective> [options]

  list                 every operator threshold: the config file's (config-N) and the API's
  add    (--profile P | --site S | --device NAME) --reading R --level warning|critical
         (--above N | --below N | --outside LOW,HIGH | --disabled)
         [--instance ROW] [--hysteresis N] [--for SECONDS] [--interval SECONDS]
         sets it on every device of a profile, of a site, or on one device; the devices
         concerned are scanned at once. --disabled removes the inherited threshold.
  remove ID            the thresholds it replaced apply again (config-N: edit the config file)
  effective DEVICE     the thresholds that apply to a device (id or name), with where each
                       comes from, and how often the device is scanned

The most specific wins: device, then site, then profile, then the profile file's default.
Talks to a running daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN); changes need an
admin token. Every listing takes --json.
`;

interface Settings {
  reading: string;
  level: string;
  instance?: string;
  above?: number;
  below?: number;
  outside?: [number, number];
  disabled?: true;
  hysteresis?: number;
  forSeconds?: number;
  intervalSeconds?: number;
}
interface OverrideView extends Settings { id: string; origin: string; profile?: string; site?: string; device?: string }
interface EffectiveView {
  device: { id: number; name: string };
  profile: string | null;
  intervalSeconds: number;
  scanIntervalSeconds: number;
  thresholds: Array<Settings & { hysteresis: number; forSeconds: number; scope: string; origin: string; override: string | null }>;
}

const common = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** What a threshold sets, in a few characters: > 27, < 50, outside 20..80, disabled. */
function limitText(t: Settings): string {
  if (t.disabled) return 'disabled';
  if (t.outside) return `outside ${t.outside[0]}..${t.outside[1]}`;
  return t.above !== undefined ? `> ${t.above}` : `< ${t.below}`;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${flag} must be a number, got "${value}"`, EXIT.usage);
  return n;
}

function band(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  if (parts.length !== 2) throw new CliError(`--outside takes LOW,HIGH, got "${value}"`, EXIT.usage);
  return [number('outside', parts[0])!, number('outside', parts[1])!];
}

export async function thresholdsCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(THRESHOLDS_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({ args: rest, options: common, strict: true });
      if (values.help) return printed(out, THRESHOLDS_HELP);
      const { thresholds } = await callApi<{ thresholds: OverrideView[] }>(apiTarget(values), 'GET', '/api/v1/thresholds');
      if (values.json) return printed(out, `${JSON.stringify(thresholds, null, 2)}\n`);
      const on = (t: OverrideView) => (t.profile !== undefined ? `profile ${t.profile}` : t.site !== undefined ? `site ${t.site}` : `device ${t.device}`);
      return printed(
        out,
        table(
          ['ID', 'ORIGIN', 'ON', 'READING', 'ROW', 'LEVEL', 'LIMIT', 'HYSTERESIS', 'FOR', 'INTERVAL'],
          thresholds.map((t) => [t.id, t.origin, on(t), t.reading, t.instance, t.level, limitText(t), t.hysteresis, t.forSeconds, t.intervalSeconds]),
        ),
      );
    }
    case 'add': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...common,
          profile: { type: 'string' },
          site: { type: 'string' },
          device: { type: 'string' },
          reading: { type: 'string' },
          level: { type: 'string' },
          instance: { type: 'string' },
          above: { type: 'string' },
          below: { type: 'string' },
          outside: { type: 'string' },
          disabled: { type: 'boolean' },
          hysteresis: { type: 'string' },
          for: { type: 'string' },
          interval: { type: 'string' },
        },
        strict: true,
      });
      if (values.help) return printed(out, THRESHOLDS_HELP);
      if (!values.reading || !values.level) throw new CliError('thresholds add needs --reading and --level', EXIT.usage);
      // The daemon checks the rest (one target, one limit, the reading against the profiles) and says what is wrong.
      const body = {
        profile: values.profile,
        site: values.site,
        device: values.device,
        reading: values.reading,
        level: values.level,
        instance: values.instance,
        above: number('above', values.above),
        below: number('below', values.below),
        outside: band(values.outside),
        disabled: values.disabled || undefined,
        hysteresis: number('hysteresis', values.hysteresis),
        forSeconds: number('for', values.for),
        intervalSeconds: number('interval', values.interval),
      };
      const created = await callApi<OverrideView>(apiTarget(values), 'POST', '/api/v1/thresholds', body);
      if (values.json) return printed(out, `${JSON.stringify(created, null, 2)}\n`);
      return printed(out, `added threshold ${created.id}: ${created.reading}${created.instance ? ` [${created.instance}]` : ''} ${created.level} ${limitText(created)}\n`);
    }
    case 'remove': {
      const { values, positionals } = parseArgs({ args: rest, options: common, strict: true, allowPositionals: true });
      if (values.help) return printed(out, THRESHOLDS_HELP);
      if (positionals.length !== 1) throw new CliError('give one threshold id (see priscan thresholds list)', EXIT.usage);
      const { deleted } = await callApi<{ deleted: OverrideView }>(apiTarget(values), 'DELETE', `/api/v1/thresholds/${encodeURIComponent(positionals[0]!)}`);
      if (values.json) return printed(out, `${JSON.stringify(deleted, null, 2)}\n`);
      return printed(out, `removed threshold ${deleted.id}\n`);
    }
    case 'effective': {
      const { values, positionals } = parseArgs({ args: rest, options: common, strict: true, allowPositionals: true });
      if (values.help) return printed(out, THRESHOLDS_HELP);
      const target = apiTarget(values);
      const id = await deviceId(target, positionals[0]);
      const view = await callApi<EffectiveView>(target, 'GET', `/api/v1/devices/${id}/thresholds`);
      if (values.json) return printed(out, `${JSON.stringify(view, null, 2)}\n`);
      const cadence = view.scanIntervalSeconds < view.intervalSeconds ? ` (its own interval: ${view.intervalSeconds} s)` : '';
      out.write(`device ${view.device.name}, profile ${view.profile ?? 'not known yet'}: scanned every ${view.scanIntervalSeconds} s${cadence}\n`);
      return printed(
        out,
        table(
          ['READING', 'ROW', 'LEVEL', 'LIMIT', 'HYSTERESIS', 'FOR', 'INTERVAL', 'FROM'],
          view.thresholds.map((t) => [t.reading, t.instance, t.level, limitText(t), t.hysteresis, t.forSeconds, t.intervalSeconds, t.override ? `${t.scope} (${t.origin} ${t.override})` : 'profile default']),
        ),
      );
    }
    default:
      throw new CliError(`unknown thresholds command "${sub}"`, EXIT.usage);
  }
}
