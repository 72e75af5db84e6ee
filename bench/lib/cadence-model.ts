// How long a violation no device notifies waits for the next periodic scan, for a given interval:
// stated analytically, and played on the daemon's own scheduler (src/scanning/scheduler.ts) with a
// fake clock, so a 300 s safety net can be measured in a second instead of waited for.
import { ScanScheduler } from '../../src/scanning/scheduler.js';
import { seededRandom } from '../../simulators/devices/device.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';

/** The scheduler's jitter: each next periodic scan comes up to this share of the interval early (never late). */
export const SCHEDULER_JITTER = 0.1;

export interface DelayFigures {
  meanS: number;
  p50S: number;
  p99S: number;
  maxS: number;
}

/**
 * The wait from a random moment to the next scan, when scans follow each other at intervals
 * uniform in [(1 - J) I, I]: the residual life of that renewal process. Its density is
 * P(L > r) / E[L]: flat up to (1 - J) I, then falling linearly to 0 at I.
 */
export function analyticDelay(intervalS: number, jitter = SCHEDULER_JITTER): DelayFigures {
  const I = intervalS;
  const a = (1 - jitter) * I;
  const meanLength = (1 - jitter / 2) * I;
  const meanSquare = (I * I * (1 - (1 - jitter) ** 3)) / (3 * jitter);
  const cdf = (r: number) => (r <= a ? r / meanLength : (a + ((I - a) ** 2 - (I - r) ** 2) / (2 * jitter * I)) / meanLength);
  const quantile = (p: number) => {
    let lo = 0;
    let hi = I;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < p) lo = mid;
      else hi = mid;
    }
    return hi;
  };
  return { meanS: meanSquare / (2 * meanLength), p50S: quantile(0.5), p99S: quantile(0.99), maxS: I };
}

/**
 * The daemon's scheduler on a fake clock: `devices` devices at `intervalS`, scans that answer at
 * once, run for `intervals` intervals. Each of `violations` moments falls at random (after the
 * first scans have settled) on a random device; its delay is the time to that device's next
 * periodic scan request. Returns the delays in seconds.
 */
export async function simulatedDelays(options: { intervalS: number; devices: number; violations: number; seed: number; intervals?: number }): Promise<number[]> {
  const intervalMs = options.intervalS * 1000;
  const intervals = options.intervals ?? 10;
  const clock = new FakeClock(0);
  const random = seededRandom(options.seed);
  const requested = new Map<number, number[]>();
  const scheduler = new ScanScheduler({
    clock,
    random,
    concurrency: 64,
    registrationIntervalMs: 3_600_000,
    // The request time is the timer's, exact on the fake clock; the scan itself runs a moment later.
    scan: async (id, request) => {
      if (request.trigger === 'periodic') requested.get(id)?.push(request.requestedAt);
      return { reachable: true };
    },
    register: async () => undefined,
    probe: async () => true,
  });
  scheduler.start();
  for (let id = 1; id <= options.devices; id++) {
    requested.set(id, []);
    scheduler.addDevice(id, { intervalMs, registered: false, timeoutMs: 3000 });
  }
  // Scans end when their promise settles: a step of a thousandth of the interval bounds the error that adds.
  const step = intervalMs / 1000;
  for (let t = 0; t < intervals * intervalMs; t += step) {
    clock.advance(step);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }
  await scheduler.stop(0);
  const delays: number[] = [];
  // From the third interval on, the first scans' uniform spread no longer shapes the gaps.
  const from = 2 * intervalMs;
  const to = (intervals - 1) * intervalMs;
  for (let i = 0; i < options.violations; i++) {
    const id = 1 + Math.floor(random() * options.devices);
    const at = from + random() * (to - from);
    const next = requested.get(id)!.find((t) => t >= at);
    if (next !== undefined) delays.push((next - at) / 1000);
  }
  return delays;
}
