/**
 * RFC 3414 password keys (Ku: 1 MiB hashed per password) derived off the event loop, in a worker
 * thread, so a notification intake never stops while a new user's keys are made. Urgent jobs (a
 * message is waiting for them) go before background ones (a device was just added).
 */
import { Worker } from 'node:worker_threads';
import { hashOf, passwordToKeyInSteps, PASSWORD_STREAM_BYTES, type PasswordKeyJob } from './usm.js';

/** Where password keys are derived. One promise per job id: asking again only raises its priority. */
export interface PasswordKeyDeriver {
  derive(job: PasswordKeyJob, urgent: boolean): Promise<Buffer>;
  /** Ends the worker; jobs not done fail. A later derive() starts a new one. */
  stop(): Promise<void>;
}

/**
 * The worker: plain JavaScript evaluated in the thread, so it runs the same from dist/ and under
 * the test runner. It lowers its own thread's priority (on Linux, setpriority on the calling
 * thread: the event loop keeps its own), fills one reusable 1 MiB buffer with the repeated
 * password (what passwordToKey hashes; the tests compare the two) and hashes it.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
try {
  require('node:os').setPriority(0, 10);
} catch {}
const stream = Buffer.alloc(${PASSWORD_STREAM_BYTES});
parentPort.on('message', ({ id, hash, password }) => {
  try {
    stream.fill(password, 'utf8');
    parentPort.postMessage({ id, key: createHash(hash).update(stream).digest() });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface Job extends PasswordKeyJob {
  promise: Promise<Buffer>;
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

type WorkerReply = { id: string; key: Uint8Array } | { id: string; error: string };

/** Jobs posted to the worker at once: one being hashed, one ready behind it. */
const IN_FLIGHT = 2;

export interface WorkerKeyDeriverDeps {
  /** Starts the worker thread; tests pass one that fails, to exercise the fallback. */
  spawn?: () => Worker;
}

/**
 * Derives password keys in one worker thread. Should the worker fail to start or die, the jobs go
 * on in the main thread in 64 KiB steps (passwordToKeyInSteps): slower, never blocking.
 */
export class WorkerKeyDeriver implements PasswordKeyDeriver {
  private worker: Worker | undefined;
  private workerFailed = false;
  private steppedRunning = false;
  private readonly jobs = new Map<string, Job>();
  private readonly urgent = new Map<string, Job>();
  private readonly background = new Map<string, Job>();
  private readonly inFlight = new Map<string, Job>();

  constructor(private readonly deps: WorkerKeyDeriverDeps = {}) {}

  derive(request: PasswordKeyJob, urgent: boolean): Promise<Buffer> {
    const known = this.jobs.get(request.id);
    if (known) {
      if (urgent && this.background.delete(known.id)) this.urgent.set(known.id, known);
      return known.promise;
    }
    if (request.password.length === 0) return Promise.reject(new RangeError('an empty password has no key'));
    let settle!: Pick<Job, 'resolve' | 'reject'>;
    const promise = new Promise<Buffer>((resolve, reject) => (settle = { resolve, reject }));
    // A job failed by stop() is no error to crash on, whether or not its caller still listens.
    promise.catch(() => undefined);
    const job: Job = { ...request, promise, ...settle };
    this.jobs.set(job.id, job);
    (urgent ? this.urgent : this.background).set(job.id, job);
    this.pump();
    return promise;
  }

  /** Jobs not finished yet (waiting or being derived). */
  get pending(): number {
    return this.jobs.size;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    const unfinished = [...this.jobs.values()];
    this.jobs.clear();
    this.urgent.clear();
    this.background.clear();
    this.inFlight.clear();
    for (const job of unfinished) job.reject(new Error('key derivation stopped'));
    if (worker) await worker.terminate();
  }

  private next(): Job | undefined {
    const job = this.urgent.values().next().value ?? this.background.values().next().value;
    if (job) (this.urgent.has(job.id) ? this.urgent : this.background).delete(job.id);
    return job;
  }

  private pump(): void {
    if (this.workerFailed) {
      void this.runStepped();
      return;
    }
    while (this.inFlight.size < IN_FLIGHT && this.urgent.size + this.background.size > 0) {
      const worker = this.workerOrStart();
      // It failed to start: failOver() has handed the jobs to the main thread.
      if (!worker) return;
      const job = this.next()!;
      this.inFlight.set(job.id, job);
      worker.postMessage({ id: job.id, hash: hashOf(job.protocol), password: job.password });
    }
    // Only while it has work does the worker keep the process alive.
    if (this.inFlight.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private workerOrStart(): Worker | undefined {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = this.deps.spawn ? this.deps.spawn() : new Worker(WORKER_SOURCE, { eval: true });
    } catch {
      this.failOver(undefined);
      return undefined;
    }
    worker.on('message', (reply: WorkerReply) => this.finished(worker, reply));
    worker.on('error', () => this.failOver(worker));
    worker.on('exit', () => this.failOver(worker));
    this.worker = worker;
    return worker;
  }

  private finished(worker: Worker, reply: WorkerReply): void {
    if (worker !== this.worker) return;
    const job = this.inFlight.get(reply.id);
    if (!job) return;
    this.inFlight.delete(reply.id);
    this.jobs.delete(reply.id);
    if ('key' in reply) job.resolve(Buffer.from(reply.key));
    else job.reject(new Error(reply.error));
    this.pump();
  }

  /** The worker could not start or died: its jobs, and every later one, go to the main thread. */
  private failOver(worker: Worker | undefined): void {
    if (worker && worker !== this.worker) return;
    this.worker = undefined;
    this.workerFailed = true;
    void worker?.terminate();
    for (const job of this.inFlight.values()) this.urgent.set(job.id, job);
    this.inFlight.clear();
    this.pump();
  }

  private async runStepped(): Promise<void> {
    if (this.steppedRunning) return;
    this.steppedRunning = true;
    try {
      for (let job = this.next(); job; job = this.next()) {
        try {
          const key = await passwordToKeyInSteps(job.protocol, job.password);
          // Stopped meanwhile: the job was already failed.
          if (this.jobs.delete(job.id)) job.resolve(key);
        } catch (error) {
          if (this.jobs.delete(job.id)) job.reject(error as Error);
        }
      }
    } finally {
      this.steppedRunning = false;
    }
  }
}
