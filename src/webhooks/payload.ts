import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlarmEventKind, ClearReason, Severity } from '../alarms/model.js';
import type { AlarmNotification } from '../alerting/sink.js';

/** Headers of every webhook POST (lower case, as Node's http server shows them). */
export const WEBHOOK_HEADERS = {
  /** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` */
  signature: 'x-priscan-signature',
  /** Unix seconds when this attempt was signed. */
  timestamp: 'x-priscan-timestamp',
  /** The delivery's id: the same on every retry of it (drop repeats: delivery is at least once). */
  delivery: 'x-priscan-delivery',
  /** raise, clear, ack or unack. */
  event: 'x-priscan-event',
} as const;

/** How far a signed timestamp may be from the receiver's clock before it refuses the POST as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The JSON body of a webhook POST. */
export interface WebhookPayload {
  deliveryId: string;
  kind: AlarmEventKind;
  /** The event log's id (GET /api/v1/alarms/history); a raise held by maintenance keeps its own. */
  eventId: number;
  /** When it happened (ISO 8601); for a held raise, when it was raised. */
  at: string;
  deviceId: number;
  device: string;
  /** Null when the device has none, or is gone. */
  site: string | null;
  deviceAddress: string | null;
  key: string;
  code: string;
  severity: Severity;
  description: string;
  /** On a clear priscan made itself (device removed, unlicensed). */
  reason: ClearReason | null;
  /** On ack and unack: the API token's name, and the comment. */
  by: string | null;
  comment: string | null;
  /** On a raise held back by a maintenance window and sent when it ended: that window. */
  maintenanceWindowId: number | null;
}

export function webhookPayload(deliveryId: string, event: AlarmNotification, device: { site: string | null; address: string } | undefined): WebhookPayload {
  return {
    deliveryId,
    kind: event.kind,
    eventId: event.id,
    at: new Date(event.at).toISOString(),
    deviceId: event.deviceId,
    device: event.deviceName,
    site: device?.site ?? null,
    deviceAddress: device?.address ?? null,
    key: event.key,
    code: event.code,
    severity: event.severity,
    description: event.description,
    reason: event.reason,
    by: event.by ?? null,
    comment: event.comment ?? null,
    maintenanceWindowId: event.releasedFrom?.windowId ?? null,
  };
}

export interface SignedRequest {
  /** The raw body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
}

/**
 * What a receiver does with a POST (and what priscan's tests do): recompute the HMAC over
 * `<timestamp>.<raw body>` with the shared secret, compare in constant time, and refuse a
 * timestamp further than `toleranceSeconds` from now, so a captured POST cannot be replayed later.
 */
export function verifyWebhook(request: SignedRequest, secret: string, now: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): { ok: true } | { ok: false; why: string } {
  if (request.timestamp === undefined || !/^\d{1,12}$/.test(request.timestamp)) return { ok: false, why: 'no timestamp' };
  if (Math.abs(now / 1000 - Number(request.timestamp)) > toleranceSeconds) return { ok: false, why: 'timestamp outside the tolerance (a replay?)' };
  const match = /^sha256=([0-9a-f]{64})$/.exec(request.signature ?? '');
  if (!match) return { ok: false, why: 'no sha256 signature' };
  const expected = createHmac('sha256', secret.trim()).update(`${request.timestamp}.`).update(request.body).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex')) ? { ok: true } : { ok: false, why: 'signature does not match' };
}
