// When each alarm change reached a monitor's store, and the latency arithmetic on top.
import type { EventContext } from '../../src/alarms/events.js';
import type { AlarmEventKind } from '../../src/alarms/model.js';
import { monotonicMs } from './fleet-protocol.js';
import type { Monitor } from './monitors.js';

const keyOf = (address: string, code: string, kind: AlarmEventKind) => `${address}|${code}|${kind}`;

/** One time a change was stored, with the daemon's own account of the scan that stored it. */
export interface StoredChange {
  /** Monotonic ms, the clock the simulator process reads too. */
  at: number;
  /** What triggered the scan: 'trap' for a notification, 'periodic' for the safety net. */
  trigger: string;
  /** The daemon's time from the earliest request the scan answered to its store (ms, wall clock). */
  requestToStoredMs: number;
}

/**
 * Subscribes to a monitor's alarm bus. The scanner publishes right after the SQLite
 * transaction that stores the change commits, so the time the listener runs is the
 * time the alarm was stored, taken on the clock the simulator process also reads.
 */
export class DetectionLog {
  private readonly stored = new Map<string, number[]>();
  private readonly contexts = new Map<string, StoredChange[]>();
  private readonly unsubscribe: () => void;
  /** Events stored for a device or code nobody asked about (e.g. communication lost). */
  unexpected = 0;

  constructor(
    monitor: Monitor,
    private readonly expected: (code: string) => boolean,
  ) {
    this.unsubscribe = monitor.running.bus.subscribe((events, context: EventContext) => {
      const now = monotonicMs();
      for (const event of events) {
        const address = monitor.addressOf.get(event.deviceId);
        if (!address || !this.expected(event.code)) {
          this.unexpected++;
          continue;
        }
        const key = keyOf(address, event.code, event.kind);
        const times = this.stored.get(key);
        if (times) times.push(now);
        else this.stored.set(key, [now]);
        const change = { at: now, trigger: context.trigger, requestToStoredMs: context.storedAt - context.requestedAt };
        const changes = this.contexts.get(key);
        if (changes) changes.push(change);
        else this.contexts.set(key, [change]);
      }
    });
  }

  /** The first time this change was stored at or after `since`. */
  storedAt(address: string, code: string, kind: AlarmEventKind, since: number): number | undefined {
    return this.stored.get(keyOf(address, code, kind))?.find((t) => t >= since);
  }

  /** The first time this change was stored at or after `since`, with how and how fast the daemon stored it. */
  storedChange(address: string, code: string, kind: AlarmEventKind, since: number): StoredChange | undefined {
    return this.contexts.get(keyOf(address, code, kind))?.find((c) => c.at >= since);
  }

  /** How many times this change was stored at or after `since`. */
  count(address: string, code: string, kind: AlarmEventKind, since: number): number {
    return this.stored.get(keyOf(address, code, kind))?.filter((t) => t >= since).length ?? 0;
  }

  close(): void {
    this.unsubscribe();
  }
}

export interface Summary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((total, v) => total + v, 0) / (sorted.length || NaN);
  return {
    count: sorted.length,
    meanMs: round(mean, 3),
    p50Ms: round(percentile(sorted, 50), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(sorted.at(-1) ?? NaN, 3),
  };
}
