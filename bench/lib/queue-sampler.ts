// Samples a daemon's scan queue while a benchmark phase runs: is it bounded, and how full does it get?
import type { ScanScheduler } from '../../src/scanning/scheduler.js';

export interface QueueFigures {
  samples: number;
  maxQueued: number;
  meanQueued: number;
  maxRunning: number;
  /** Queued when the phase ended. */
  endQueued: number;
  /** [seconds into the phase, queued, running], one a second, for a plot. */
  series: Array<[number, number, number]>;
}

export class QueueSampler {
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();
  private queued: number[] = [];
  private running: number[] = [];
  private readonly series: Array<[number, number, number]> = [];

  constructor(
    private readonly scheduler: Pick<ScanScheduler, 'queued' | 'running'>,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const queued = this.scheduler.queued;
    const running = this.scheduler.running;
    this.queued.push(queued);
    this.running.push(running);
    const second = Math.floor((performance.now() - this.started) / 1000);
    if (this.series.at(-1)?.[0] !== second) this.series.push([second, queued, running]);
  }

  figures(): QueueFigures {
    this.sample();
    const n = this.queued.length;
    return {
      samples: n,
      maxQueued: Math.max(...this.queued),
      meanQueued: Math.round(this.queued.reduce((t, v) => t + v, 0) / n),
      maxRunning: Math.max(...this.running),
      endQueued: this.queued.at(-1) ?? 0,
      series: [...this.series],
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
