import type { Clock } from '../clock.js';
import type { DeliveryFailure, PostResult } from './http-post.js';

/** What a delivery target reports (its name first); the composition root maps it onto prom-client. */
export interface DeliveryObserver {
  /** The receiver accepted this many items (one successful POST). */
  sent(target: string, items: number): void;
  /** One POST failed; all but 'rejected' are retried with backoff. */
  failed(target: string, reason: DeliveryFailure): void;
  /** Items given up: the queue was full, the receiver rejected them (4xx), or they were still queued at stop. */
  dropped(target: string, items: number, reason: 'queue_full' | 'rejected' | 'stopped' | 'unconfigured'): void;
  /** Items waiting for this target, reported whenever it changes. */
  queueSize(target: string, size: number): void;
}

/** The minimal logger this folder needs; pino's Logger fits. */
export interface AlertingLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface BackoffTuning {
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/**
 * A target's queue, as the engine drives it. How items are kept (in memory, newest state per
 * alert; on disk, every event in order) is the queue's business; when to send, retry and give up
 * is the engine's.
 */
export interface DeliveryQueue<B> {
  readonly size: number;
  /** The next batch to send, or undefined when there is none (it may stay queued until settled). */
  take(): B | undefined;
  count(batch: B): number;
  /** The receiver took it. */
  delivered(batch: B): void;
  /** The receiver refused it for good: it is dropped. */
  rejected(batch: B): void;
  /** Not delivered: it goes back to the head of the queue, to be retried. */
  failed(batch: B): void;
  /** Before the first attempt after a failure (Alertmanager: re-add every firing alert, it may have restarted). */
  resync?(): void;
}

export interface DeliveryEngineDeps<B> {
  /** Names the target in metrics and logs. */
  target: string;
  /** How logs name the target: a field ({ webhook: 'noc' }) and a noun ("webhook noc"). */
  logField: string;
  noun: string;
  queue: DeliveryQueue<B>;
  send(batch: B): Promise<PostResult>;
  clock: Clock;
  tuning: BackoffTuning;
  observer: DeliveryObserver;
  log: AlertingLog;
}

/**
 * The one delivery loop every alarm sink uses: it sends batches in queue order while the receiver
 * takes them; after a failure it waits, doubling the wait up to a cap, and tries again, so a
 * receiver that is down gets one attempt per backoff step and nothing is sent out of order.
 */
export class DeliveryEngine<B> {
  private sending: Promise<void> | undefined;
  private retryTimer: unknown;
  private failures = 0;
  private resyncDue = false;
  private stopped = false;

  constructor(private readonly deps: DeliveryEngineDeps<B>) {}

  /** Sends what is queued, unless a send or a retry is already under way. */
  kick(): void {
    if (this.stopped || this.sending !== undefined || this.retryTimer !== undefined || this.deps.queue.size === 0) return;
    this.sending = this.drain(true)
      .catch((error: unknown) => this.deps.log.warn({ [this.deps.logField]: this.deps.target, err: error }, `${this.deps.noun} delivery failed unexpectedly`))
      .finally(() => {
        this.sending = undefined;
        // Anything queued after the loop last looked.
        this.kick();
      });
  }

  /** Stops retrying and waits for a POST in flight; `finalAttempt` then tries once more (no retry) to send what is queued. */
  async stop(finalAttempt: boolean): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.sending;
    if (finalAttempt && this.deps.queue.size > 0) await this.drain(false);
  }

  /** Sends batches until the queue is empty or a POST fails. */
  private async drain(retry: boolean): Promise<void> {
    const { queue, observer, target, log } = this.deps;
    const field = { [this.deps.logField]: target };
    if (retry && this.resyncDue) {
      this.resyncDue = false;
      queue.resync?.();
    }
    while (queue.size > 0) {
      const batch = queue.take();
      if (batch === undefined) return;
      observer.queueSize(target, queue.size);
      const result = await this.deps.send(batch);
      if (result.ok) {
        if (this.failures > 0) log.info({ ...field, failures: this.failures }, `${this.deps.noun} reachable again`);
        this.failures = 0;
        queue.delivered(batch);
        observer.sent(target, queue.count(batch));
        continue;
      }
      observer.failed(target, result.reason);
      if (result.reason === 'rejected') {
        // Resending what the receiver refused would fail the same way.
        queue.rejected(batch);
        observer.dropped(target, queue.count(batch), 'rejected');
        log.warn({ ...field, items: queue.count(batch), error: result.detail }, `${this.deps.noun} rejected a delivery`);
        continue;
      }
      queue.failed(batch);
      if (!retry || this.stopped) return;
      this.failures += 1;
      this.resyncDue = true;
      const { backoffInitialMs, backoffMaxMs } = this.deps.tuning;
      const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.failures - 1, 30));
      if (this.failures === 1 || this.failures % 10 === 0) {
        log.warn({ ...field, failures: this.failures, retryInMs: delay, pending: queue.size, error: result.detail }, `${this.deps.noun} unreachable; will retry`);
      }
      this.retryTimer = this.deps.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
      return;
    }
  }
}
