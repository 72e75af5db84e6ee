import type { AlarmEventBus } from '../alarms/events.js';
import type { ActiveAlarm, AlarmEvent } from '../alarms/model.js';
import type { Clock } from '../clock.js';
import { alarmIdentity, alertTemplate, type AlertDevice, type AlertState, type AlertTemplate } from './alerts.js';
import type { AlertmanagerConfig } from './config.js';
import { AlertmanagerTarget, type AlertingLog, type AlertmanagerObserver, type DeliveryTuning } from './delivery.js';

export interface AlertingTuning extends DeliveryTuning {
  /** Events are gathered this long before they are sent (unless a full batch is waiting). */
  flushDelayMs: number;
}

export const DEFAULT_TUNING: AlertingTuning = {
  flushDelayMs: 100,
  batchSize: 64,
  maxPending: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
};

/** A firing alert stays valid for this many resend intervals if priscan stops sending (as Prometheus does). */
export const FIRING_VALIDITY_INTERVALS = 4;

export interface AlertmanagerSenderDeps {
  config: AlertmanagerConfig;
  /** Raise and clear events; the listener only queues them. */
  bus: Pick<AlarmEventBus, 'subscribe'>;
  /** Every active alarm, for the periodic resend: `store.alarms`. */
  alarms: { active(): readonly ActiveAlarm[] };
  /** A device's name, address and profile: `store.devices`. */
  devices: { get(id: number): AlertDevice | undefined };
  clock: Clock;
  log: AlertingLog;
  observer?: AlertmanagerObserver;
  /** Defaults to Node's global fetch. */
  fetch?: typeof globalThis.fetch;
  tuning?: Partial<AlertingTuning>;
}

const NO_OBSERVER: AlertmanagerObserver = { sent: () => undefined, failed: () => undefined, dropped: () => undefined, queueSize: () => undefined };

/**
 * Sends priscan's alarms to Alertmanager's v2 API, to every configured URL (an HA pair gets
 * each alert twice and deduplicates). A raise is sent as a firing alert, a clear as the same
 * alert with endsAt; every active alarm is re-sent each resend interval so Alertmanager never
 * times one out while priscan runs.
 */
export class AlertmanagerSender {
  readonly name = 'alertmanager';
  private targets: AlertmanagerTarget[] = [];
  /** Events not yet sent, newest per alarm. */
  private incoming = new Map<string, AlarmEvent>();
  /** What each firing alert was sent as: a clear resolves exactly that label set. */
  private firing = new Map<string, AlertTemplate>();
  private unsubscribe: (() => void) | undefined;
  private flushTimer: unknown;
  private flushAt = Infinity;
  private resendTimer: unknown;
  private running = false;

  private readonly tuning: AlertingTuning;

  constructor(private readonly deps: AlertmanagerSenderDeps) {
    this.tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  }

  private get resendMs(): number {
    return this.deps.config.resendIntervalSeconds * 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.targets = this.deps.config.urls.map(
      (url) =>
        new AlertmanagerTarget({
          url,
          fetch: this.deps.fetch ?? globalThis.fetch,
          clock: this.deps.clock,
          timeoutMs: this.deps.config.timeoutMs,
          firingValidityMs: FIRING_VALIDITY_INTERVALS * this.resendMs,
          tuning: this.tuning,
          observer: this.deps.observer ?? NO_OBSERVER,
          log: this.deps.log,
          firing: () => this.firingStates(),
        }),
    );
    this.unsubscribe = this.deps.bus.subscribe((events) => this.enqueue(events));
    // Alarms raised before this start (by an earlier process) are delivered at once.
    this.resend();
    this.deps.log.info({ alertmanagers: this.deps.config.urls, resendIntervalSeconds: this.deps.config.resendIntervalSeconds }, 'sending alerts to Alertmanager');
  }

  /** Sends what is queued (one attempt per URL, no retries), then releases timers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.deps.clock.clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    this.flush();
    await Promise.all(this.targets.map((target) => target.stop()));
    this.targets = [];
    this.firing.clear();
  }

  /** The bus listener: it only records the newest event per alarm, so scanning never waits. */
  private enqueue(events: readonly AlarmEvent[]): void {
    if (!this.running) return;
    for (const event of events) {
      const id = alarmIdentity(event.deviceId, event.key);
      this.incoming.delete(id);
      this.incoming.set(id, event);
    }
    this.scheduleFlush(this.incoming.size >= this.tuning.batchSize ? 0 : this.tuning.flushDelayMs);
  }

  private scheduleFlush(delayMs: number): void {
    const at = this.deps.clock.now() + delayMs;
    if (this.flushTimer !== undefined && this.flushAt <= at) return;
    this.deps.clock.clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = this.deps.clock.setTimeout(() => this.flush(), delayMs);
  }

  /** Turns queued events into alert states and hands them to every URL's queue. */
  private flush(): void {
    this.deps.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushAt = Infinity;
    if (this.incoming.size === 0) return;
    const updates: Array<[string, AlertState]> = [];
    for (const [id, event] of this.incoming) {
      if (event.kind === 'raise') {
        const template = this.template(event);
        this.firing.set(id, template);
        updates.push([id, { template }]);
      } else {
        const template = this.firing.get(id) ?? this.template(event);
        this.firing.delete(id);
        updates.push([id, { template, resolvedAt: event.at, ...(event.reason === null ? {} : { resolvedReason: event.reason }) }]);
      }
    }
    this.incoming.clear();
    for (const target of this.targets) target.offer(updates);
  }

  /**
   * Re-sends every active alarm, and resolves alerts whose alarm vanished without a clear event
   * reaching this sender (it arrived while stopped, or by a database written elsewhere).
   */
  private resend(): void {
    this.resendTimer = this.deps.clock.setTimeout(() => this.resend(), this.resendMs);
    let active: readonly ActiveAlarm[];
    try {
      active = this.deps.alarms.active();
    } catch (error) {
      this.deps.log.warn({ err: error }, 'cannot read active alarms for the Alertmanager resend');
      return;
    }
    const now = this.deps.clock.now();
    const updates: Array<[string, AlertState]> = [];
    const seen = new Set<string>();
    const devices = new Map<number, AlertDevice | undefined>();
    for (const alarm of active) {
      const id = alarmIdentity(alarm.deviceId, alarm.key);
      seen.add(id);
      // A queued event carries a newer state; the next flush sends it.
      if (this.incoming.has(id)) continue;
      let template = this.firing.get(id);
      if (template === undefined || template.startsAt !== alarm.raisedAt) {
        if (!devices.has(alarm.deviceId)) devices.set(alarm.deviceId, this.deps.devices.get(alarm.deviceId));
        const device = devices.get(alarm.deviceId);
        if (device === undefined) continue; // deleted just now: its alarms go with it
        template = alertTemplate(this.deps.config, { alarm, raisedAt: alarm.raisedAt, deviceName: device.name, device });
        this.firing.set(id, template);
      }
      updates.push([id, { template }]);
    }
    for (const [id, template] of this.firing) {
      if (seen.has(id) || this.incoming.has(id)) continue;
      this.firing.delete(id);
      updates.push([id, { template, resolvedAt: now }]);
    }
    for (const target of this.targets) target.offer(updates);
  }

  private template(event: AlarmEvent): AlertTemplate {
    return alertTemplate(this.deps.config, { alarm: event, raisedAt: event.at, deviceName: event.deviceName, device: this.deps.devices.get(event.deviceId) });
  }

  private *firingStates(): Iterable<[string, AlertState]> {
    for (const [id, template] of this.firing) yield [id, { template }];
  }
}
