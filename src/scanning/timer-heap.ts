import type { Clock } from '../clock.js';

/** Stale entries tolerated beyond the live ones before compacting, so small heaps are not compacted all the time. */
const COMPACT_SLACK = 64;

interface Entry {
  key: number;
  dueAt: number;
  generation: number;
}

/**
 * Due times for many keys behind one timer: a binary min-heap with lazy
 * deletion. 10,000 devices cost one pending timer, not 10,000. Moving a key
 * leaves its old entry behind until it would have come due, which for a key
 * moved on every scan is up to an interval's worth of entries per key (an
 * hour's, for a dead device backed off): the heap is compacted whenever stale
 * entries outnumber live ones, so it holds at most about twice the keys.
 */
export class TimerHeap {
  private heap: Entry[] = [];
  private generations = new Map<number, number>();
  private timer: unknown;
  private timerDueAt = Infinity;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: number) => void,
  ) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** Sets (or moves) the due time of `key`. */
  schedule(key: number, dueAt: number): void {
    const generation = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, generation);
    this.push({ key, dueAt, generation });
    if (this.heap.length > 2 * this.generations.size + COMPACT_SLACK) this.compact();
    if (dueAt < this.timerDueAt) this.arm();
  }

  unschedule(key: number): void {
    this.generations.delete(key);
  }

  has(key: number): boolean {
    return this.generations.has(key);
  }

  dueAt(key: number): number | undefined {
    const generation = this.generations.get(key);
    return this.heap.find((e) => e.key === key && e.generation === generation)?.dueAt;
  }

  get size(): number {
    return this.generations.size;
  }

  /** Entries held, live and stale: what the heap costs in memory. */
  get entries(): number {
    return this.heap.length;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const now = this.clock.now();
    while (this.heap.length > 0 && (this.heap[0] as Entry).dueAt <= now) {
      const entry = this.pop() as Entry;
      if (this.generations.get(entry.key) !== entry.generation) continue;
      this.generations.delete(entry.key);
      this.onDue(entry.key);
    }
    this.arm();
  }

  private arm(): void {
    if (!this.running) return;
    this.dropStale();
    const next = this.heap[0];
    if (!next) return this.disarm();
    if (next.dueAt === this.timerDueAt && this.timer !== undefined) return;
    this.disarm();
    this.timerDueAt = next.dueAt;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, next.dueAt - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  /** Keeps only live entries; a sorted array is a valid min-heap. Amortized over the schedules since the last one. */
  private compact(): void {
    this.heap = this.heap.filter((e) => this.generations.get(e.key) === e.generation).sort((a, b) => a.dueAt - b.dueAt);
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0] as Entry;
      if (this.generations.get(top.key) === top.generation) return;
      this.pop();
    }
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Entry).dueAt <= entry.dueAt) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!last || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && (h[r] as Entry).dueAt < (h[l] as Entry).dueAt ? r : l;
      if ((h[child] as Entry).dueAt >= last.dueAt) break;
      h[i] = h[child] as Entry;
      i = child;
    }
    h[i] = last;
    return top;
  }
}
