import type { Clock } from '../clock.js';

export interface PacerOptions {
  clock: Clock;
  ratePerSecond: number;
  /** Ends every wait at once; no turn is given after it. */
  signal?: AbortSignal;
}

interface Waiter {
  timer: unknown;
  wake: () => void;
}

/**
 * Spaces requests evenly: one every 1000/rate ms, never a burst. Whatever the concurrency, no
 * second holds more than `ratePerSecond` request starts, so a sweep of a range stays a trickle
 * on the network and on the devices' management cards.
 */
export class RequestPacer {
  private nextAt = Number.NEGATIVE_INFINITY;
  private readonly waiting = new Set<Waiter>();
  /** One abort listener for every wait (not one each: a sweep has many waiting at once). */
  private listening = false;

  constructor(private readonly options: PacerOptions) {}

  /** Waits for the next request's turn; false when aborted first (then nothing may be sent). */
  async take(): Promise<boolean> {
    const { clock, ratePerSecond, signal } = this.options;
    if (signal?.aborted) return false;
    const now = clock.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / ratePerSecond;
    if (at > now) await this.sleep(at - now);
    return !signal?.aborted;
  }

  private sleep(ms: number): Promise<void> {
    const { clock, signal } = this.options;
    if (signal && !this.listening) {
      this.listening = true;
      signal.addEventListener('abort', () => this.wakeAll(), { once: true });
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        timer: clock.setTimeout(() => {
          this.waiting.delete(waiter);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.waiting.add(waiter);
    });
  }

  private wakeAll(): void {
    for (const waiter of this.waiting) {
      this.options.clock.clearTimeout(waiter.timer);
      waiter.wake();
    }
    this.waiting.clear();
  }
}
