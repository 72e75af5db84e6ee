// A password-key deriver whose jobs finish when the test says: what the intake and the key
// store do while keys are being derived, with no worker and no timing.
import type { PasswordKeyDeriver } from '../../src/snmp/key-derivation.js';
import { passwordToKey, type PasswordKeyJob } from '../../src/snmp/usm.js';

export class ManualDeriver implements PasswordKeyDeriver {
  /** Every call, in order (asking again for a job raises its priority). */
  readonly asked: Array<{ job: PasswordKeyJob; urgent: boolean }> = [];
  private readonly waiting = new Map<string, { job: PasswordKeyJob; promise: Promise<Buffer>; resolve(key: Buffer): void; reject(error: Error): void }>();

  derive(job: PasswordKeyJob, urgent: boolean): Promise<Buffer> {
    this.asked.push({ job, urgent });
    const known = this.waiting.get(job.id);
    if (known) return known.promise;
    let settle!: { resolve(key: Buffer): void; reject(error: Error): void };
    const promise = new Promise<Buffer>((resolve, reject) => (settle = { resolve, reject }));
    this.waiting.set(job.id, { job, promise, ...settle });
    return promise;
  }

  /** Finishes every job asked so far, with its key or (fail) an error; then lets the callers react. */
  async finishAll(fail = false): Promise<void> {
    const jobs = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of jobs) {
      if (fail) w.reject(new Error('worker gone'));
      else w.resolve(passwordToKey(w.job.protocol, w.job.password));
    }
    await new Promise((r) => setImmediate(r));
  }

  async stop(): Promise<void> {
    await this.finishAll(true);
  }
}
