import type { Clock } from '../clock.js';
import { postableAlert, type AlertState } from './alerts.js';
import { DeliveryEngine, type AlertingLog, type BackoffTuning, type DeliveryObserver, type DeliveryQueue } from './delivery-engine.js';
import { postJson } from './http-post.js';

export type { DeliveryFailure } from './http-post.js';
export type { AlertingLog } from './delivery-engine.js';

/** What the Alertmanager sender reports per URL: the delivery engine's observer. */
export type AlertmanagerObserver = DeliveryObserver;

export interface DeliveryTuning extends BackoffTuning {
  /** Most alerts in one POST (Prometheus' notifier sends 64). */
  batchSize: number;
  /** Most alerts waiting per URL; beyond it the oldest resolved alert (else the oldest firing one) is dropped. */
  maxPending: number;
}

export interface DeliveryDeps {
  /** As configured; names the target in logs and metrics. */
  url: string;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  timeoutMs: number;
  firingValidityMs: number;
  tuning: DeliveryTuning;
  observer: AlertmanagerObserver;
  log: AlertingLog;
  /**
   * Every alert firing now. After a failure this is sent again with the next attempt: an
   * Alertmanager that was down may have restarted, and it keeps alerts in memory only.
   */
  firing: () => Iterable<[string, AlertState]>;
}

type Batch = Array<[string, AlertState]>;

/**
 * Delivery to one Alertmanager. Pending alerts are keyed by identity so a newer state of an
 * alert replaces the older one; a failed batch goes back into the queue unless something newer
 * came meanwhile; the shared delivery engine retries with capped exponential backoff. Each URL
 * has its own queue, so one Alertmanager being down never delays the other.
 */
export class AlertmanagerTarget implements DeliveryQueue<Batch> {
  private readonly endpoint: string;
  // Oldest first (Map order), resolved and firing apart so the oldest resolved one is found at once.
  private resolved = new Map<string, AlertState>();
  private firingQueue = new Map<string, AlertState>();
  private readonly engine: DeliveryEngine<Batch>;
  private stopped = false;

  constructor(private readonly deps: DeliveryDeps) {
    // new URL('api/v2/alerts', base) keeps a path prefix only when the base ends in '/'.
    this.endpoint = new URL('api/v2/alerts', deps.url.endsWith('/') ? deps.url : `${deps.url}/`).href;
    this.engine = new DeliveryEngine({
      target: deps.url,
      logField: 'alertmanager',
      noun: 'Alertmanager',
      queue: this,
      send: (batch) => this.post(batch),
      clock: deps.clock,
      tuning: deps.tuning,
      observer: deps.observer,
      log: deps.log,
    });
  }

  get size(): number {
    return this.resolved.size + this.firingQueue.size;
  }

  /** Queues new alert states (newest wins) and sends them unless a retry is already waiting. */
  offer(states: Iterable<[string, AlertState]>): void {
    if (this.stopped) return;
    for (const [id, state] of states) this.put(id, state);
    this.enforceCap();
    this.deps.observer.queueSize(this.deps.url, this.size);
    this.engine.kick();
  }

  /** Stops retrying; waits for a POST in flight, then tries once to deliver what is still queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.engine.stop(true);
    if (this.size > 0) {
      // Alertmanager still ends firing ones at their last endsAt.
      this.deps.log.warn({ alertmanager: this.deps.url, alerts: this.size }, 'stopping with alerts not delivered to Alertmanager');
      this.deps.observer.dropped(this.deps.url, this.size, 'stopped');
      this.resolved.clear();
      this.firingQueue.clear();
      this.deps.observer.queueSize(this.deps.url, 0);
    }
  }

  take(): Batch | undefined {
    const batch: Batch = [];
    const size = Math.max(1, this.deps.tuning.batchSize);
    for (const queue of [this.resolved, this.firingQueue]) {
      for (const entry of queue) {
        if (batch.length >= size) return batch;
        batch.push(entry);
        queue.delete(entry[0]);
      }
    }
    return batch.length > 0 ? batch : undefined;
  }

  count(batch: Batch): number {
    return batch.length;
  }

  delivered(): void {}

  rejected(): void {}

  /** Puts a failed batch back, oldest first, except where a newer state arrived meanwhile. */
  failed(batch: Batch): void {
    const resolved = new Map<string, AlertState>();
    const firing = new Map<string, AlertState>();
    for (const [id, state] of batch) {
      if (this.resolved.has(id) || this.firingQueue.has(id)) continue;
      (state.resolvedAt === undefined ? firing : resolved).set(id, state);
    }
    for (const entry of this.resolved) resolved.set(...entry);
    for (const entry of this.firingQueue) firing.set(...entry);
    this.resolved = resolved;
    this.firingQueue = firing;
    this.enforceCap();
    this.deps.observer.queueSize(this.deps.url, this.size);
  }

  /** Every firing alert again: an Alertmanager that was unreachable may have restarted and forgotten them. */
  resync(): void {
    for (const [id, state] of this.deps.firing()) {
      if (!this.resolved.has(id) && !this.firingQueue.has(id)) this.firingQueue.set(id, state);
    }
    this.enforceCap();
  }

  private put(id: string, state: AlertState): void {
    this.resolved.delete(id);
    this.firingQueue.delete(id);
    (state.resolvedAt === undefined ? this.firingQueue : this.resolved).set(id, state);
  }

  private enforceCap(): void {
    let dropped = 0;
    while (this.size > this.deps.tuning.maxPending) {
      // A dropped resolved alert still ends at its last endsAt; a dropped firing one returns with the next resend.
      const queue = this.resolved.size > 0 ? this.resolved : this.firingQueue;
      const oldest = queue.keys().next();
      if (oldest.done) break;
      queue.delete(oldest.value);
      dropped += 1;
    }
    if (dropped > 0) this.deps.observer.dropped(this.deps.url, dropped, 'queue_full');
  }

  private post(batch: Batch) {
    const now = this.deps.clock.now();
    const alerts = batch.map(([, state]) => postableAlert(state, now, this.deps.firingValidityMs));
    return postJson({ fetch: this.deps.fetch, url: this.endpoint, body: JSON.stringify(alerts), timeoutMs: this.deps.timeoutMs });
  }
}
