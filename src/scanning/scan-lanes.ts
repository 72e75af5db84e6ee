import PQueue from 'p-queue';
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
  /** A normal job still running after this long is counted as slow from then on: it stops holding a slot. */
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
 * answer keep the other three quarters whatever slow work does.
 */
export function slowShareOf(concurrency: number): { cap: number; reserved: number } {
  const reserved = Math.floor(concurrency / 4);
  return { cap: Math.max(1, reserved), reserved };
}

/** A job handed to the p-queue; `live` goes false when it is moved or removed before it starts. */
interface Admitted {
  job: LaneJob;
  live: boolean;
  /** Its p-queue id: unique, as a moved job's key would otherwise name its stale entry too. */
  queueId: string;
}

/**
 * The scan queue: one p-queue with bounded concurrency runs every job, highest priority
 * first. Slow work is admitted into it only while it holds less than its share of the slots
 * (slowShareOf), so a fleet's dead half cannot make a live device's notification wait behind
 * its timeouts; until then slow jobs wait here, in priority order too. A normal job still
 * running past its overdue time gives its p-queue slot back and counts as slow work: a moment
 * in which many devices stop answering together can therefore have more jobs waiting for
 * answers than `concurrency`, but never more than two per device (a scan and a registration
 * check), and no new slow work is admitted until slow work is back within its share.
 */
export class ScanLanes {
  private readonly queue: PQueue;
  /** Jobs in the p-queue that have not started, by key. */
  private readonly admitted = new Map<string, Admitted>();
  /** Slow jobs waiting for a share of the slots, by key. */
  private readonly slowWaiting = new Map<string, LaneJob>();
  private readonly runningIn: Record<Lane, number> = { normal: 0, slow: 0 };
  /** Slow jobs admitted to the p-queue and not yet started. */
  private slowAdmitted = 0;
  /** Entries left in the p-queue by jobs moved or removed before they started. */
  private stale = 0;
  private admissions = 0;
  private readonly slowShare: { cap: number; reserved: number };
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: { clock: Clock; concurrency: number }) {
    this.queue = new PQueue({ concurrency: deps.concurrency });
    this.slowShare = slowShareOf(deps.concurrency);
  }

  get queued(): number {
    return this.queue.size - this.stale + this.slowWaiting.size;
  }

  get running(): number {
    return this.runningIn.normal + this.runningIn.slow;
  }

  counts(): Record<Lane, LaneCounts> {
    return {
      normal: { queued: this.queue.size - this.stale - this.slowAdmitted, running: this.runningIn.normal },
      slow: { queued: this.slowWaiting.size + this.slowAdmitted, running: this.runningIn.slow },
    };
  }

  add(job: LaneJob): void {
    this.remove(job.key);
    if (job.lane === 'slow') this.slowWaiting.set(job.key, { ...job });
    else this.admit({ ...job });
    this.admitSlow();
  }

  /** Raises a waiting job's priority (never lowers it). */
  raise(key: string, priority: number): void {
    const slow = this.slowWaiting.get(key);
    if (slow && priority > slow.priority) slow.priority = priority;
    const entry = this.admitted.get(key);
    if (entry && priority > entry.job.priority) {
      entry.job.priority = priority;
      this.queue.setPriority(entry.queueId, priority);
    }
  }

  /** Moves a waiting job to another lane, e.g. when its device turned out dead. */
  move(key: string, lane: Lane): void {
    const job = this.slowWaiting.get(key) ?? this.admitted.get(key)?.job;
    if (job && job.lane !== lane) this.add({ ...job, lane });
  }

  remove(key: string): void {
    this.slowWaiting.delete(key);
    const entry = this.admitted.get(key);
    if (!entry) return;
    // A p-queue cannot take a job back: its entry stays and does nothing when it comes up.
    entry.live = false;
    this.admitted.delete(key);
    this.stale++;
    if (entry.job.lane === 'slow') this.slowAdmitted--;
  }

  /** Drops every waiting job; running ones finish. */
  clear(): void {
    this.queue.clear();
    this.admitted.clear();
    this.slowWaiting.clear();
    this.slowAdmitted = 0;
    this.stale = 0;
    this.notifyIdle();
  }

  /** Resolves once nothing waits and nothing runs. */
  onIdle(): Promise<void> {
    if (this.queued + this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Slow work the share still has room for: admitted, running, and normal jobs that overran. */
  private admitSlow(): void {
    for (;;) {
      if (this.runningIn.slow + this.slowAdmitted >= this.slowShare.cap) return;
      const next = this.bestSlowWaiting();
      if (!next) return;
      this.slowWaiting.delete(next.key);
      this.slowAdmitted++;
      this.admit(next);
    }
  }

  private bestSlowWaiting(): LaneJob | undefined {
    let best: LaneJob | undefined;
    // Map order is arrival order: the first of the highest priority wins.
    for (const job of this.slowWaiting.values()) if (!best || job.priority > best.priority) best = job;
    return best;
  }

  private admit(job: LaneJob): void {
    const entry: Admitted = { job, live: true, queueId: `${job.key}#${++this.admissions}` };
    this.admitted.set(job.key, entry);
    this.queue
      .add(() => this.start(entry), { priority: job.priority, id: entry.queueId })
      .catch(() => undefined);
  }

  /** What the p-queue runs: the job, until it ends or, for a normal job, until it overruns. */
  private async start(entry: Admitted): Promise<void> {
    if (!entry.live) {
      this.stale--;
      return;
    }
    const { job } = entry;
    this.admitted.delete(job.key);
    if (job.lane === 'slow') this.slowAdmitted--;
    let lane: Lane = job.lane;
    this.runningIn[lane]++;
    // Started from a fresh microtask, so a job never runs inside the call that queued it.
    const done = Promise.resolve()
      .then(() => job.run())
      .catch(() => undefined)
      .finally(() => {
        this.runningIn[lane]--;
        this.admitSlow();
        this.notifyIdle();
      });
    if (lane === 'slow') return done;
    let overdueTimer: unknown;
    const overdue = new Promise<void>((resolve) => {
      overdueTimer = this.deps.clock.setTimeout(() => {
        // Waiting on a device that stopped answering: give the slot back and count as slow work.
        this.runningIn.normal--;
        this.runningIn.slow++;
        lane = 'slow';
        resolve();
      }, job.overdueAfterMs);
    });
    await Promise.race([done, overdue]);
    this.deps.clock.clearTimeout(overdueTimer);
  }

  private notifyIdle(): void {
    if (this.queued + this.running > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
