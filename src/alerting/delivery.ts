import type { Clock } from '../clock.js';
import { postableAlert, type AlertState } from './alerts.js';

/** Why a POST failed: names for a metric label, few and fixed. */
export type DeliveryFailure = 'timeout' | 'network' | 'unavailable' | 'rejected';

/** What the alerting component reports; the composition root maps it onto prom-client. */
export interface AlertmanagerObserver {
  /** Alertmanager accepted this many alerts (one successful POST). */
  sent(url: string, alerts: number): void;
  /**
   * One POST failed. 'unavailable' is a 5xx, 408 or 429 answer; these, timeouts and network
   * errors are retried with backoff. 'rejected' (any other 4xx) is not.
   */
  failed(url: string, reason: DeliveryFailure): void;
  /** Alerts given up: the URL's queue was full, Alertmanager rejected them (4xx), or they were still queued at stop. */
  dropped(url: string, alerts: number, reason: 'queue_full' | 'rejected' | 'stopped'): void;
  /** Alerts waiting for this URL, reported whenever it changes. */
  queueSize(url: string, size: number): void;
}

export interface DeliveryTuning {
  /** Most alerts in one POST (Prometheus' notifier sends 64). */
  batchSize: number;
  /** Most alerts waiting per URL; beyond it the oldest resolved alert (else the oldest firing one) is dropped. */
  maxPending: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** The minimal logger this folder needs; pino's Logger fits. */
export interface AlertingLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
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

type PostResult = { ok: true } | { ok: false; reason: DeliveryFailure; detail: string };

/**
 * Delivery to one Alertmanager. Pending alerts are keyed by identity so a newer state of an
 * alert replaces the older one; a failed batch goes back into the queue unless something newer
 * came meanwhile; retries back off exponentially up to a cap. Each URL has its own queue, so one
 * Alertmanager being down never delays the other.
 */
export class AlertmanagerTarget {
  private readonly endpoint: string;
  // Oldest first (Map order), resolved and firing apart so the oldest resolved one is found at once.
  private resolved = new Map<string, AlertState>();
  private firingQueue = new Map<string, AlertState>();
  private sending: Promise<void> | undefined;
  private retryTimer: unknown;
  private failures = 0;
  private resyncDue = false;
  private stopped = false;

  constructor(private readonly deps: DeliveryDeps) {
    // new URL('api/v2/alerts', base) keeps a path prefix only when the base ends in '/'.
    this.endpoint = new URL('api/v2/alerts', deps.url.endsWith('/') ? deps.url : `${deps.url}/`).href;
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
    this.kick();
  }

  /** Stops retrying; waits for a POST in flight, then tries once to deliver what is still queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.sending;
    if (this.size > 0) await this.drain(false);
    if (this.size > 0) {
      // Alertmanager still ends firing ones at their last endsAt.
      this.deps.log.warn({ alertmanager: this.deps.url, alerts: this.size }, 'stopping with alerts not delivered to Alertmanager');
      this.deps.observer.dropped(this.deps.url, this.size, 'stopped');
      this.resolved.clear();
      this.firingQueue.clear();
      this.deps.observer.queueSize(this.deps.url, 0);
    }
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

  private kick(): void {
    if (this.stopped || this.sending !== undefined || this.retryTimer !== undefined || this.size === 0) return;
    this.sending = this.drain(true)
      .catch((error: unknown) => this.deps.log.warn({ alertmanager: this.deps.url, err: error }, 'Alertmanager delivery failed unexpectedly'))
      .finally(() => {
        this.sending = undefined;
        // Anything offered after the loop last looked at the queue.
        this.kick();
      });
  }

  /** Sends batches until the queue is empty or a POST fails. */
  private async drain(retry: boolean): Promise<void> {
    if (retry && this.resyncDue) {
      this.resyncDue = false;
      for (const [id, state] of this.deps.firing()) {
        if (!this.resolved.has(id) && !this.firingQueue.has(id)) this.firingQueue.set(id, state);
      }
      this.enforceCap();
    }
    while (this.size > 0) {
      const batch = this.takeBatch();
      this.deps.observer.queueSize(this.deps.url, this.size);
      const now = this.deps.clock.now();
      const result = await this.post(batch.map(([, state]) => postableAlert(state, now, this.deps.firingValidityMs)));
      if (result.ok) {
        if (this.failures > 0) this.deps.log.info({ alertmanager: this.deps.url, failures: this.failures }, 'Alertmanager reachable again');
        this.failures = 0;
        this.deps.observer.sent(this.deps.url, batch.length);
        continue;
      }
      this.deps.observer.failed(this.deps.url, result.reason);
      if (result.reason === 'rejected') {
        // Resending what Alertmanager refused would fail the same way.
        this.deps.observer.dropped(this.deps.url, batch.length, 'rejected');
        this.deps.log.warn({ alertmanager: this.deps.url, alerts: batch.length, error: result.detail }, 'Alertmanager rejected alerts');
        continue;
      }
      this.requeue(batch);
      if (!retry || this.stopped) return;
      this.failures += 1;
      this.resyncDue = true;
      const delay = Math.min(this.deps.tuning.backoffMaxMs, this.deps.tuning.backoffInitialMs * 2 ** Math.min(this.failures - 1, 30));
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.deps.log.warn({ alertmanager: this.deps.url, failures: this.failures, retryInMs: delay, pending: this.size, error: result.detail }, 'Alertmanager unreachable; will retry');
      }
      this.retryTimer = this.deps.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
      return;
    }
  }

  private takeBatch(): Array<[string, AlertState]> {
    const batch: Array<[string, AlertState]> = [];
    const size = Math.max(1, this.deps.tuning.batchSize);
    for (const queue of [this.resolved, this.firingQueue]) {
      for (const entry of queue) {
        if (batch.length >= size) return batch;
        batch.push(entry);
        queue.delete(entry[0]);
      }
    }
    return batch;
  }

  /** Puts a failed batch back, oldest first, except where a newer state arrived meanwhile. */
  private requeue(batch: Array<[string, AlertState]>): void {
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

  private async post(alerts: unknown[]): Promise<PostResult> {
    try {
      const response = await this.deps.fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
      // Read the body either way: it frees the connection, and a 4xx body says what was wrong.
      const body = await response.text();
      if (response.ok) return { ok: true };
      const detail = `HTTP ${response.status}: ${body.slice(0, 300).trim()}`;
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      return { ok: false, reason: retryable ? 'unavailable' : 'rejected', detail };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { ok: false, reason: timedOut ? 'timeout' : 'network', detail: describe(error) };
    }
  }
}

/** fetch's TypeError hides the useful part (ECONNREFUSED ...) in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
