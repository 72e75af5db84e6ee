import { parseArgs } from 'node:util';
import { apiTarget, callApi, CliError, EXIT, printed, table } from '../api-client.js';

export const MAINTENANCE_HELP = `Usage: priscan maintenance <add|list|end> [options]

  add   --reason TEXT (--duration 2h30m | --end TIME) [--start TIME]
        (--device NAME|ID [--device ...] | --site SITE | --profile PROFILE) [--json]
  list  [--state scheduled|active|ended] [--json]
  end   ID          ends a window now (a scheduled one never starts)

Alarms raised inside a window are stored and shown (priscan alarms marks them
in MAINT) but not sent to Alertmanager or webhooks; those still active when the
window ends are sent then. TIME is ISO 8601 (2026-05-01T22:00:00Z, or with an
offset); the start defaults to now. A duration is minutes, or days, hours and
minutes as 1d, 2h, 90m, 2h30m.
Talks to a running daemon: --url (PRISCAN_URL) and --token (PRISCAN_TOKEN);
add and end need an admin token.
`;

interface WindowView {
  id: number;
  state: string;
  startsAt: string;
  endsAt: string;
  endedAt: string | null;
  reason: string;
  scope: { kind: 'devices'; devices: Array<{ id: number; name: string }> } | { kind: 'site'; site: string } | { kind: 'profile'; profile: string };
  createdBy: string;
}

const common = { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** "90", "90m", "2h", "1d", "2h30m" -> minutes. */
export function durationMinutes(text: string): number {
  if (/^\d{1,6}$/.test(text)) return Number(text);
  const match = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,6})m)?$/.exec(text);
  if (!match || text === '') throw new CliError(`--duration must be minutes, or like 1d, 2h, 90m, 2h30m; got "${text}"`, EXIT.usage);
  return Number(match[1] ?? 0) * 1440 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

function scopeText(w: WindowView): string {
  const { scope } = w;
  if (scope.kind === 'site') return `site ${scope.site}`;
  if (scope.kind === 'profile') return `profile ${scope.profile}`;
  return scope.devices.map((d) => d.name).join(',') || '(devices deleted)';
}

function windowLine(w: WindowView): string {
  return `maintenance window ${w.id} (${w.state}): ${scopeText(w)} from ${w.startsAt} to ${w.endedAt ?? w.endsAt}: ${w.reason}\n`;
}

export async function maintenanceCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    out.write(MAINTENANCE_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { ...common, state: { type: 'string' } }, strict: true });
      if (values.help) return printed(out, MAINTENANCE_HELP);
      const query = values.state ? `?state=${encodeURIComponent(values.state)}` : '';
      const { windows } = await callApi<{ windows: WindowView[] }>(apiTarget(values), 'GET', `/api/v1/maintenance${query}`);
      if (values.json) return printed(out, `${JSON.stringify(windows, null, 2)}\n`);
      return printed(out, table(['ID', 'STATE', 'STARTS', 'ENDS', 'SCOPE', 'BY', 'REASON'], windows.map((w) => [w.id, w.state, w.startsAt, w.endedAt ?? w.endsAt, scopeText(w), w.createdBy, w.reason])));
    }
    case 'add': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...common,
          reason: { type: 'string' },
          start: { type: 'string' },
          end: { type: 'string' },
          duration: { type: 'string' },
          device: { type: 'string', multiple: true },
          site: { type: 'string' },
          profile: { type: 'string' },
        },
        strict: true,
      });
      if (values.help) return printed(out, MAINTENANCE_HELP);
      if (!values.reason) throw new CliError('maintenance add needs --reason', EXIT.usage);
      if ((values.end === undefined) === (values.duration === undefined)) throw new CliError('give --duration or --end (one of them)', EXIT.usage);
      const scopes = [values.device, values.site, values.profile].filter((s) => s !== undefined).length;
      if (scopes !== 1) throw new CliError('give one scope: --device (repeatable), --site or --profile', EXIT.usage);
      const body = {
        reason: values.reason,
        ...(values.start === undefined ? {} : { startsAt: values.start }),
        ...(values.end === undefined ? {} : { endsAt: values.end }),
        ...(values.duration === undefined ? {} : { durationMinutes: durationMinutes(values.duration) }),
        ...(values.device === undefined ? {} : { devices: values.device.map((d) => (/^[1-9]\d{0,9}$/.test(d) ? Number(d) : d)) }),
        ...(values.site === undefined ? {} : { site: values.site }),
        ...(values.profile === undefined ? {} : { profile: values.profile }),
      };
      const { window } = await callApi<{ window: WindowView }>(apiTarget(values), 'POST', '/api/v1/maintenance', body);
      return printed(out, values.json ? `${JSON.stringify(window, null, 2)}\n` : windowLine(window));
    }
    case 'end': {
      const { values, positionals } = parseArgs({ args: rest, options: common, strict: true, allowPositionals: true });
      if (values.help) return printed(out, MAINTENANCE_HELP);
      if (positionals.length !== 1 || !/^[1-9]\d{0,9}$/.test(positionals[0]!)) throw new CliError('maintenance end takes one window id (see priscan maintenance list)', EXIT.usage);
      const { window } = await callApi<{ window: WindowView }>(apiTarget(values), 'POST', `/api/v1/maintenance/${positionals[0]}/end`);
      return printed(out, values.json ? `${JSON.stringify(window, null, 2)}\n` : windowLine(window));
    }
    default:
      throw new CliError(`unknown maintenance command "${sub}"`, EXIT.usage);
  }
}
