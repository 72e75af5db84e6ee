import { ScanScheduler, type ScanOutcome, type ScanRequest } from '../../src/scanning/scheduler.js';
import { FakeClock } from './fake-clock.js';

/** A scan the test finishes by hand, so it can act while scans are queued or running. */
export interface HeldScan {
  deviceId: number;
  request: ScanRequest;
  /** When it started, on the fake clock. */
  startedAt: number;
  /** `leadUnreachable`: a shadow's scan found its lead's address silent too. */
  finish: (reachable?: boolean, more?: Omit<ScanOutcome, 'reachable'>) => Promise<void>;
  /** The scan throws instead (as when the store cannot be reached). */
  fail: (error: Error) => Promise<void>;
}

/** A probe of a lost device the test answers by hand. */
export interface HeldProbe {
  deviceId: number;
  startedAt: number;
  answer: (answered: boolean) => Promise<void>;
  fail: (error: Error) => Promise<void>;
}

/** Lets queued promise callbacks (the scheduler's and the test's) run. */
export const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

/** A scheduler on a fake clock whose scans wait for the test to finish them. */
export function harness(options: { concurrency?: number; random?: () => number; register?: (id: number) => Promise<void> } = {}) {
  const clock = new FakeClock();
  const started: HeldScan[] = [];
  const registrations: number[] = [];
  const probes: HeldProbe[] = [];
  const jobFailures: Array<{ job: string; deviceId: number }> = [];
  const scheduler = new ScanScheduler({
    clock,
    random: options.random ?? (() => 0.5),
    concurrency: options.concurrency ?? 4,
    registrationIntervalMs: 3_600_000,
    scan: (deviceId, request) =>
      new Promise((resolve, reject) => {
        started.push({
          deviceId,
          request: { ...request },
          startedAt: clock.now(),
          finish: async (reachable = true, more = {}) => {
            resolve({ reachable, ...more });
            await flush();
          },
          fail: async (error) => {
            reject(error);
            await flush();
          },
        });
      }),
    register: async (id) => {
      registrations.push(id);
      await options.register?.(id);
    },
    probe: (deviceId) =>
      new Promise<boolean>((resolve, reject) => {
        probes.push({
          deviceId,
          startedAt: clock.now(),
          answer: async (answered) => {
            resolve(answered);
            await flush();
          },
          fail: async (error) => {
            reject(error);
            await flush();
          },
        });
      }),
    onJobFailed: (job, deviceId) => jobFailures.push({ job, deviceId }),
  });
  scheduler.start();
  /** The scans of `id` started so far that the test has not finished. */
  const runningOf = (id: number) => started.filter((s) => s.deviceId === id);
  /** How long until the device's next safety-net scan is due. */
  const dueIn = (id: number) => (scheduler as unknown as { periodic: { dueAt(k: number): number } }).periodic.dueAt(id) - clock.now();
  return { clock, scheduler, started, registrations, probes, jobFailures, runningOf, dueIn };
}
