import type { Clock } from '../clock.js';

/** How often open streams ask whether their caller's token still works: a revocation ends them within this. */
export const STREAM_RECHECK_MS = 500;

/** One open long-lived response (an event stream). */
export interface OpenStream {
  /** Why its caller may no longer read it (the token revoked or expired, a partner's access changed), or null. */
  refusal(): string | null;
  /** Ends it; `reason` is written as a last comment line when given. */
  close(reason?: string): void;
}

/**
 * The event streams open now. A stream is authorised once, when it opens, but may stay open for
 * days, so each is asked again every STREAM_RECHECK_MS: a token revoked by the API or on the host
 * with `priscan token revoke` (another process, same database), one that has expired, or a partner
 * token whose partner's grants or scope changed, ends its streams within that time. The timer runs
 * only while a stream is open.
 */
export class EventStreams {
  private readonly open = new Set<OpenStream>();
  private timer: unknown;

  constructor(private readonly deps: { clock: Clock; recheckMs?: number }) {}

  get size(): number {
    return this.open.size;
  }

  add(stream: OpenStream): void {
    this.open.add(stream);
    this.arm();
  }

  delete(stream: OpenStream): void {
    this.open.delete(stream);
    if (this.open.size === 0) this.disarm();
  }

  /** Ends every stream whose caller may no longer read it; at once after a change through the API. */
  recheck(): void {
    for (const stream of [...this.open]) {
      const refusal = stream.refusal();
      if (refusal !== null) stream.close(refusal);
    }
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const stream of [...this.open]) stream.close();
    this.disarm();
  }

  private arm(): void {
    if (this.timer !== undefined || this.open.size === 0) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.recheck();
      this.arm();
    }, this.deps.recheckMs ?? STREAM_RECHECK_MS);
  }

  private disarm(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
