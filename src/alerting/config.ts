import { z } from 'zod';

/** Labels priscan sets on every alert; static labels from config may not override them. */
export const PRISCAN_LABELS = ['alertname', 'device', 'severity', 'code', 'profile', 'site', 'alarm_key'] as const;

/** Why a static label name is refused, or undefined if it is fine. */
function labelNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return 'must be a Prometheus label name (letters, digits, underscore; not starting with a digit)';
  if (name.startsWith('__')) return 'label names starting with __ are reserved';
  if ((PRISCAN_LABELS as readonly string[]).includes(name)) return `is set by priscan itself (${PRISCAN_LABELS.join(', ')})`;
  return undefined;
}

const staticLabels = z.record(z.string(), z.string().min(1).max(1024)).superRefine((labels, ctx) => {
  for (const name of Object.keys(labels)) {
    const problem = labelNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

/**
 * An http(s) base URL. Credentials in URLs would end up in logs and metric labels, so they are
 * refused; a query or fragment would be dropped when the API path is appended, so those are refused too.
 */
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  // zod runs every refinement even after the URL check failed: each one guards against a non-URL.
  .refine((value) => {
    const url = parseUrl(value);
    return url === undefined || (url.username === '' && url.password === '');
  }, { message: 'must not carry credentials' })
  .refine((value) => {
    const url = parseUrl(value);
    return url === undefined || (url.search === '' && url.hash === '');
  }, { message: 'must not have a query or fragment' });

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * `alerting.alertmanager` in priscan's config. Absent: priscan sends no alerts.
 *
 * ```yaml
 * alertmanager:
 *   urls: [http://am-1:9093, http://am-2:9093]   # each gets every alert (an HA pair)
 *   site: dc-east                                # the `site` label
 *   labels: { team: facilities }                 # more static labels
 *   externalUrl: https://priscan.example.net     # links in annotations and generatorURL
 *   resendIntervalSeconds: 60
 *   timeoutMs: 5000
 * ```
 */
export const alertmanagerConfigSchema = z
  .object({
    /** Alertmanager base URLs (a path prefix such as /alertmanager is kept); alerts go to `<url>/api/v2/alerts`. */
    urls: z
      .array(httpUrl)
      .min(1)
      .max(16)
      .refine((urls) => new Set(urls.map((u) => parseUrl(u)?.href ?? u)).size === urls.length, { message: 'must not repeat a URL' }),
    site: z.string().min(1).max(128).optional(),
    labels: staticLabels.optional(),
    /** How users reach priscan's API, e.g. https://priscan.example.net. */
    externalUrl: httpUrl.optional(),
    /**
     * Active alerts are re-sent this often. Each carries endsAt = now + 4 x this interval, so
     * Alertmanager resolves them by itself if priscan dies.
     */
    resendIntervalSeconds: z.number().int().min(1).max(3600).default(60),
    /** One POST's time limit. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  })
  .strict()
  .optional();

export type AlertmanagerConfig = NonNullable<z.infer<typeof alertmanagerConfigSchema>>;
