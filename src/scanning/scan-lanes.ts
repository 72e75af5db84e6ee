import type { Clock } from '../clock.js';

/**
 * Where a device's work runs: `normal` for devices that answer in time, `slow` for devices
 * whose last scan timed out or took longer than one request timeout.
 */
export const LANES = ['normal', 'slow'] as const;
export type Lane = (typeof LANES)[number];

export interface LaneJob {
  /** Names the job while it waits, so its priority or lane can change. */
  key: string;
  priority: number;
  lane: Lane;
  /** A normal job still running after this long is counted as slow from then on: it stops holding a normal slot. */
  overdueAfterMs: number;
  /** Never throws (device failures are data); a rejection is ignored. */
  run(): Promise<void>;
}

export interface LaneCounts {
  queued: number;
  running: number;
}

/**
 * The slots slow work may hold: a quarter of the concurrency, but at least one. Devices that
 * answer keep the other three quarters whatever slow work does (all of it below 4 slots,
 * where slow work starts only into a free slot and never holds one back from them).
 */
export function slowShareOf(concurrency: number): { cap: number; reserved: number } {
  const reserved = Math.floor(concurrency / 4);
  return { cap: Math.max(1, reserved), reserved };
}

interface RunningJob {
  lane: Lane;
  overdueTimer: unknown;
}

/** Waiting jobs of one lane: highest priority first, first come first within a priority. */
class Waiting {
  private readonly byPriority = new Map<number, Map<string, LaneJob>>();
  size = 0;

  add(job: LaneJob): void {
    let jobs = this.byPriority.get(job.priority);
    if (!jobs) this.byPriority.set(job.priority, (jobs = new Map()));
    jobs.set(job.key, job);
    this.size++;
  }

  find(key: string): LaneJob | undefined {
    for (const jobs of this.byPriority.values()) {
      const job = jobs.get(key);
      if (job) return job;
    }
    return undefined;
  }

  remove(job: LaneJob): void {
    if (this.byPriority.get(job.priority)?.delete(job.key)) this.size--;
  }

  first(): LaneJob | undefined {
    let best: number | undefined;
    for (const [priority, jobs] of this.byPriority) if (jobs.size > 0 && (best === undefined || priority > best)) best = priority;
    return best === undefined ? undefined : this.byPriority.get(best)?.values().next().value;
  }

  clear(): void {
    this.byPriority.clear();
    this.size = 0;
  }
}

/**
 * The scan queue's slots. At most `concurrency` jobs run at once, and slow work holds at most
 * a quarter of them (slowShareOf), so devices that answer always have the rest: a fleet's dead
 * half cannot make a live device's notification wait behind its timeouts. A job that turns out
 * slow while running (past its overdue time) stops holding a normal slot; a moment in which
 * many devices stop answering together can therefore have more jobs waiting for answers than
 * `concurrency`, but never more than two per device (a scan and a registration check), and no
 * new slow work starts until the slow lane is back within its share.
 */
export class ScanLanes {
  private readonly waiting: Record<Lane, Waiting> = { normal: new Waiting(), slow: new Waiting() };
  private readonly runningIn: Record<Lane, number> = { normal: 0, slow: 0 };
  private readonly slowShare: { cap: number; reserved: number };
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: { clock: Clock; concurrency: number }) {
    this.slowShare = slowShareOf(deps.concurrency);
  }

  get queued(): number {
    return this.waiting.normal.size + this.waiting.slow.size;
  }

  get running(): number {
    return this.runningIn.normal + this.runningIn.slow;
  }

  counts(): Record<Lane, LaneCounts> {
    return {
      normal: { queued: this.waiting.normal.size, running: this.runningIn.normal },
      slow: { queued: this.waiting.slow.size, running: this.runningIn.slow },
    };
  }

  add(job: LaneJob): void {
    this.remove(job.key);
    this.waiting[job.lane].add({ ...job });
    this.dispatch();
  }

  /** Raises a waiting job's priority (never lowers it). */
  raise(key: string, priority: number): void {
    this.change(key, (job) => (priority > job.priority ? { ...job, priority } : job));
  }

  /** Moves a waiting job to another lane, e.g. when its device turned out dead. */
  move(key: string, lane: Lane): void {
    this.change(key, (job) => (job.lane === lane ? job : { ...job, lane }));
  }

  remove(key: string): void {
    for (const lane of LANES) {
      const job = this.waiting[lane].find(key);
      if (job) this.waiting[lane].remove(job);
    }
  }

  /** Drops every waiting job; running ones finish. */
  clear(): void {
    for (const lane of LANES) this.waiting[lane].clear();
    this.notifyIdle();
  }

  /** Resolves once nothing waits and nothing runs. */
  onIdle(): Promise<void> {
    if (this.queued + this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private change(key: string, update: (job: LaneJob) => LaneJob): void {
    for (const lane of LANES) {
      const job = this.waiting[lane].find(key);
      if (!job) continue;
      const updated = update(job);
      if (updated === job) return;
      this.waiting[lane].remove(job);
      this.waiting[updated.lane].add(updated);
      this.dispatch();
      return;
    }
  }

  private dispatch(): void {
    for (let job = this.next(); job; job = this.next()) this.start(job);
  }

  /** The best job that may start now, if any. */
  private next(): LaneJob | undefined {
    const { normal, slow } = this.runningIn;
    const { concurrency } = this.deps;
    // Slow work beyond its share (jobs that overran while running) does not shrink the normal lane further.
    const normalJob = normal + Math.min(slow, this.slowShare.reserved) < concurrency ? this.waiting.normal.first() : undefined;
    const slowJob = slow < this.slowShare.cap && normal + slow < concurrency ? this.waiting.slow.first() : undefined;
    if (normalJob && slowJob) return slowJob.priority > normalJob.priority ? slowJob : normalJob;
    return normalJob ?? slowJob;
  }

  private start(job: LaneJob): void {
    this.waiting[job.lane].remove(job);
    this.runningIn[job.lane]++;
    const running: RunningJob = { lane: job.lane, overdueTimer: undefined };
    if (job.lane === 'normal') {
      running.overdueTimer = this.deps.clock.setTimeout(() => {
        running.overdueTimer = undefined;
        this.runningIn.normal--;
        this.runningIn.slow++;
        running.lane = 'slow';
        this.dispatch();
      }, job.overdueAfterMs);
    }
    // Started from a fresh microtask, so a job never runs inside the call that queued it.
    void Promise.resolve()
      .then(() => job.run())
      .catch(() => undefined)
      .finally(() => {
        if (running.overdueTimer !== undefined) this.deps.clock.clearTimeout(running.overdueTimer);
        this.runningIn[running.lane]--;
        this.dispatch();
        this.notifyIdle();
      });
  }

  private notifyIdle(): void {
    if (this.queued + this.running > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
