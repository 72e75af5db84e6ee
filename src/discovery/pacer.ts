import type { Clock } from '../clock.js';

/** Waits `ms` on the clock; an abort ends the wait early. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Spaces requests evenly: one every 1000/rate ms, never a burst. Whatever the concurrency, no
 * second holds more than `ratePerSecond` request starts, so a sweep of a range stays a trickle
 * on the network and on the devices' management cards.
 */
export class RequestPacer {
  private nextAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
  ) {}

  /** Waits for the next request's turn; false when aborted first (then nothing may be sent). */
  async take(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const now = this.clock.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.ratePerSecond;
    if (at > now) await sleep(this.clock, at - now, signal);
    return !signal?.aborted;
  }
}
