import { randomUUID } from 'node:crypto';
import { deviceSite } from '../alarms/maintenance.js';
import { DeliveryEngine, type AlertingLog, type DeliveryObserver, type DeliveryQueue } from '../alerting/delivery-engine.js';
import { postJson, type PostResult } from '../alerting/http-post.js';
import type { AlarmNotification, AlarmSink } from '../alerting/sink.js';
import type { Clock } from '../clock.js';
import type { NewDelivery, QueuedDelivery } from '../store/webhook-queue.js';
import type { WebhookConfig } from './config.js';
import { WEBHOOK_HEADERS, webhookPayload } from './payload.js';
import type { WebhookSecret } from './secret.js';

/** A configured webhook with its secret loaded. */
export interface Webhook {
  config: WebhookConfig;
  secret: WebhookSecret;
}

/** The on-disk queue (store.webhookQueue). */
export interface WebhookQueue {
  enqueue(deliveries: readonly NewDelivery[], max: (webhook: string) => number): Map<string, number>;
  oldest(webhook: string): QueuedDelivery | undefined;
  delete(seq: number): boolean;
  pending(): Map<string, number>;
  discard(webhook: string): number;
}

export interface WebhookSinkDeps {
  webhooks: readonly Webhook[];
  queue: WebhookQueue;
  /** The device an event is about, for its site and address (store.devices); undefined once deleted. */
  devices: { get(id: number): ({ address: string } & object) | undefined };
  clock: Clock;
  log: AlertingLog;
  observer: DeliveryObserver;
  /** Sent as User-Agent, e.g. priscan/1.2.0. */
  userAgent: string;
  fetch?: typeof globalThis.fetch;
  newDeliveryId?: () => string;
}

/**
 * Posts every raise, clear, ack and unack the notifier passes on to each configured webhook that
 * wants it, signed. Deliveries are written to the store's queue before anything is sent and
 * deleted once the receiver answers 2xx, so a receiver that is away, and a restart of priscan,
 * lose none; a receiver sees them in order, each at least once (dedupe by deliveryId).
 */
export class WebhookSink implements AlarmSink {
  readonly name = 'webhooks';
  private readonly targets = new Map<string, WebhookTarget>();
  private running = false;

  constructor(private readonly deps: WebhookSinkDeps) {}

  start(): void {
    if (this.running) return;
    const pending = this.deps.queue.pending();
    for (const [name, count] of pending) {
      if (this.deps.webhooks.some((w) => w.config.name === name)) continue;
      const dropped = this.deps.queue.discard(name);
      this.deps.log.warn({ webhook: name, deliveries: dropped }, 'dropping queued deliveries of a webhook no longer configured');
      this.deps.observer.dropped(name, count, 'unconfigured');
    }
    for (const webhook of this.deps.webhooks) {
      const target = new WebhookTarget({ ...this.deps, webhook, pending: pending.get(webhook.config.name) ?? 0 });
      this.targets.set(webhook.config.name, target);
      target.kick();
    }
    this.running = true;
    if (this.deps.webhooks.length > 0) this.deps.log.info({ webhooks: this.deps.webhooks.map((w) => w.config.name), queued: Object.fromEntries(pending) }, 'posting alarms to webhooks');
  }

  /** Waits for POSTs in flight; what is still queued stays on disk for the next start. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all([...this.targets.values()].map((t) => t.stop()));
    this.targets.clear();
  }

  deliver(events: readonly AlarmNotification[]): void {
    if (!this.running) return;
    const rows: NewDelivery[] = [];
    const devices = new Map<number, ReturnType<WebhookSinkDeps['devices']['get']>>();
    const now = this.deps.clock.now();
    for (const event of events) {
      if (!devices.has(event.deviceId)) devices.set(event.deviceId, this.deps.devices.get(event.deviceId));
      const record = devices.get(event.deviceId);
      const device = record && { site: deviceSite(record), address: record.address };
      for (const { config } of this.deps.webhooks) {
        if (!wants(config, event, device)) continue;
        const deliveryId = this.deps.newDeliveryId?.() ?? randomUUID();
        rows.push({ webhook: config.name, deliveryId, kind: event.kind, body: JSON.stringify(webhookPayload(deliveryId, event, device)), createdAt: now });
      }
    }
    if (rows.length === 0) return;
    const dropped = this.deps.queue.enqueue(rows, (name) => this.targets.get(name)?.maxQueued ?? 1);
    for (const target of this.targets.values()) {
      target.added(rows.filter((r) => r.webhook === target.name).length, dropped.get(target.name) ?? 0);
    }
  }
}

/**
 * Whether a webhook wants the event. A device deleted meanwhile has no site any more: its
 * clears go to every webhook whose severities match, so none misses the end of an alarm it saw raised.
 */
function wants(config: WebhookConfig, event: AlarmNotification, device: { site: string | null } | undefined): boolean {
  if (config.severities && !config.severities.includes(event.severity)) return false;
  if (!config.sites || device === undefined) return true;
  return device.site !== null && config.sites.includes(device.site);
}

interface TargetDeps extends WebhookSinkDeps {
  webhook: Webhook;
  pending: number;
}

/** One webhook's queue, read from the store oldest first, one delivery per POST. */
class WebhookTarget implements DeliveryQueue<QueuedDelivery> {
  readonly name: string;
  readonly maxQueued: number;
  private pending: number;
  private readonly engine: DeliveryEngine<QueuedDelivery>;

  constructor(private readonly deps: TargetDeps) {
    this.name = deps.webhook.config.name;
    this.maxQueued = deps.webhook.config.maxQueued;
    this.pending = deps.pending;
    this.engine = new DeliveryEngine({
      target: this.name,
      logField: 'webhook',
      noun: `webhook ${this.name}`,
      queue: this,
      send: (delivery) => this.post(delivery),
      clock: deps.clock,
      tuning: { backoffInitialMs: deps.webhook.config.retryInitialMs, backoffMaxMs: deps.webhook.config.retryMaxMs },
      observer: deps.observer,
      log: deps.log,
    });
    deps.observer.queueSize(this.name, this.pending);
  }

  get size(): number {
    return this.pending;
  }

  kick(): void {
    this.engine.kick();
  }

  async stop(): Promise<void> {
    await this.engine.stop(false);
    if (this.pending > 0) this.deps.log.info({ webhook: this.name, deliveries: this.pending }, 'webhook deliveries stay queued for the next start');
  }

  /** `count` deliveries were queued, and the queue's bound dropped the `dropped` oldest. */
  added(count: number, dropped: number): void {
    this.pending += count - dropped;
    if (dropped > 0) {
      this.deps.log.warn({ webhook: this.name, dropped, maxQueued: this.maxQueued }, 'webhook queue full: dropped its oldest deliveries');
      this.deps.observer.dropped(this.name, dropped, 'queue_full');
    }
    this.deps.observer.queueSize(this.name, this.pending);
    this.engine.kick();
  }

  take(): QueuedDelivery | undefined {
    const next = this.deps.queue.oldest(this.name);
    // The count is kept in memory; the table is the truth.
    if (next === undefined) this.pending = 0;
    return next;
  }

  count(): number {
    return 1;
  }

  delivered(delivery: QueuedDelivery): void {
    this.remove(delivery);
  }

  rejected(delivery: QueuedDelivery): void {
    this.remove(delivery);
  }

  failed(): void {
    // It stays at the head of the queue on disk.
  }

  private remove(delivery: QueuedDelivery): void {
    // Already gone when the queue's bound dropped it while it was in flight.
    if (this.deps.queue.delete(delivery.seq)) this.pending = Math.max(0, this.pending - 1);
    this.deps.observer.queueSize(this.name, this.pending);
  }

  /** Signed at each attempt, so a retry's timestamp is fresh and the receiver's replay window stays short. */
  private post(delivery: QueuedDelivery): Promise<PostResult> {
    const timestamp = Math.floor(this.deps.clock.now() / 1000);
    return postJson({
      fetch: this.deps.fetch ?? globalThis.fetch,
      url: this.deps.webhook.config.url,
      body: delivery.body,
      timeoutMs: this.deps.webhook.config.timeoutMs,
      redirect: 'manual',
      headers: {
        'user-agent': this.deps.userAgent,
        [WEBHOOK_HEADERS.delivery]: delivery.deliveryId,
        [WEBHOOK_HEADERS.event]: delivery.kind,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: `sha256=${this.deps.webhook.secret.sign(timestamp, delivery.body)}`,
      },
    });
  }
}
