import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ReadingsRepository } from '../store/readings.js';

export interface ReadingsPrunerDeps {
  clock: Clock;
  readings: Pick<ReadingsRepository, 'prune'>;
  log: Logger;
  /** Points older than this go, and series not read for this long. */
  retentionMs: number;
  /** How often a pass runs. */
  intervalMs?: number;
  /** Rows one transaction deletes at most: the write lock is never held for longer than that takes. */
  batchRows?: number;
  /** Lets scans write between batches; default: the next turn of the event loop. */
  pause?: () => Promise<void>;
}

export interface PruneTotals {
  points: number;
  series: number;
  /** Transactions the pass took. */
  batches: number;
}

const DEFAULT_INTERVAL_MS = 10 * 60_000;
const DEFAULT_BATCH_ROWS = 500;
/** The first pass runs this soon after start: a daemon that was down a while has old history to drop. */
const FIRST_PASS_MS = 60_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps the reading history within its retention: a pass every ten minutes deletes what has aged
 * out, in small transactions with a pause between them, so scans storing their results never wait
 * long for the write lock.
 */
export class ReadingsPruner {
  private timer: unknown;
  private pass: Promise<unknown> | undefined;
  private stopping = false;

  constructor(private readonly deps: ReadingsPrunerDeps) {}

  start(): void {
    this.stopping = false;
    this.schedule(Math.min(FIRST_PASS_MS, this.intervalMs));
  }

  /** Ends the schedule; a pass under way stops after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  /** One whole pass, batch by batch. */
  async prune(): Promise<PruneTotals> {
    const { readings, clock, retentionMs } = this.deps;
    const pause = this.deps.pause ?? nextTurn;
    const before = clock.now() - retentionMs;
    const totals: PruneTotals = { points: 0, series: 0, batches: 0 };
    let after = 0;
    for (;;) {
      const step = readings.prune({ before, after, maxRows: this.deps.batchRows ?? DEFAULT_BATCH_ROWS });
      totals.points += step.deletedPoints;
      totals.series += step.deletedSeries;
      totals.batches++;
      if (step.next === null || this.stopping) return totals;
      after = step.next;
      await pause();
    }
  }

  private get intervalMs(): number {
    return this.deps.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  private schedule(ms: number): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.pass = this.prune()
        .then(
          (totals) => {
            if (totals.points + totals.series > 0) this.deps.log.debug(totals, 'reading history pruned');
          },
          (error: unknown) => this.deps.log.error({ err: error }, 'pruning the reading history failed; trying again at the next pass'),
        )
        .finally(() => {
          this.pass = undefined;
          if (!this.stopping) this.schedule(this.intervalMs);
        });
    }, ms);
  }
}
