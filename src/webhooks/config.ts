import { z } from 'zod';
import { SEVERITIES } from '../alarms/model.js';

/** A webhook's name: how logs, metrics and the queue name it (its URL may hold a token, so it never does). */
export const WEBHOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Where deliveries are posted. Credentials in the URL are refused (use the signature); a query is kept. */
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .refine((value) => {
    const url = parseUrl(value);
    return url === undefined || (url.username === '' && url.password === '');
  }, { message: 'must not carry credentials' })
  .refine((value) => parseUrl(value)?.hash === '' || parseUrl(value) === undefined, { message: 'must not have a fragment' });

/**
 * One entry of `webhooks` in priscan's config: every raise, clear and acknowledgement that passes
 * the filters is posted there as JSON, signed with the shared secret.
 *
 * ```yaml
 * webhooks:
 *   - name: noc
 *     url: https://hooks.example.net/priscan
 *     secretFile: /etc/priscan/webhook-noc.secret     # or secretEnv: PRISCAN_WEBHOOK_NOC
 *     severities: [warning, critical]                 # default: every severity
 *     sites: [dc1]                                    # default: every site
 * ```
 */
export const webhookConfigSchema = z
  .object({
    name: z.string().regex(WEBHOOK_NAME, 'lower-case letters, digits, dash and underscore (at most 32), starting with a letter or digit'),
    url: webhookUrl,
    /** A file holding the HMAC secret (16 bytes at least). */
    secretFile: z.string().min(1).optional(),
    /** Or the environment variable holding it. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    /** Only alarms of these severities; absent: every one. */
    severities: z.array(z.enum(SEVERITIES)).min(1).optional(),
    /** Only alarms of devices at these sites; absent: every device. */
    sites: z.array(z.string().min(1).max(128)).min(1).max(256).optional(),
    /** One POST's time limit. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Deliveries kept while the receiver is away; beyond this the oldest are dropped (counted and logged). */
    maxQueued: z.number().int().min(1).max(1_000_000).default(10_000),
    /** The first retry's wait; each further one waits twice as long, up to retryMaxMs. */
    retryInitialMs: z.number().int().min(100).max(60_000).default(1000),
    retryMaxMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .strict()
  .refine((w) => (w.secretFile === undefined) !== (w.secretEnv === undefined), { message: 'set secretFile or secretEnv (one of them): deliveries are always signed' })
  .refine((w) => w.retryMaxMs >= w.retryInitialMs, { message: 'retryMaxMs must not be below retryInitialMs', path: ['retryMaxMs'] });

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export const webhooksConfigSchema = z
  .array(webhookConfigSchema)
  .max(16)
  .default([])
  .superRefine((webhooks, ctx) => {
    const names = new Map<string, number>();
    webhooks.forEach((w, i) => {
      if (names.has(w.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicates webhooks.${names.get(w.name)}.name (${w.name})` });
      else names.set(w.name, i);
    });
  });
