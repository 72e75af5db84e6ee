// Work that throws (the store unreachable: PostgreSQL down or restarting) says nothing about the
// device: it is retried after JOB_RETRY_MS, with the request it served, instead of waiting for
// the next safety net (an hour away) with the device marked lost.
import { describe, expect, it } from 'vitest';
import { JOB_RETRY_MS } from '../../src/scanning/scheduler.js';
import { StoreError } from '../../src/store/errors.js';
import { flush, harness } from '../helpers/scheduler-harness.js';

const device = { intervalMs: 3_600_000, registered: false, timeoutMs: 3000 };
const unavailable = () => new StoreError('STORE_UNAVAILABLE', 'PostgreSQL is unavailable');

describe('ScanScheduler when the store cannot be reached', () => {
  it("retries a notification's scan that threw, with its trigger and request time, and does not call the device lost", async () => {
    const h = harness({ random: () => 0 });
    h.scheduler.addDevice(1, device);
    const requestedAt = h.clock.now();
    h.scheduler.requestScan(1, 'trap');
    await flush();
    await h.started[0]!.fail(unavailable());
    expect(h.dueIn(1)).toBe(JOB_RETRY_MS);
    expect(h.jobFailures).toEqual([{ job: 'scan', deviceId: 1 }]);
    h.clock.advance(JOB_RETRY_MS);
    await flush();
    expect(h.started).toHaveLength(2);
    expect(h.started[1]!.request).toEqual({ trigger: 'trap', requestedAt });
    // Still failing: retried again, no probe (the device was never found silent).
    await h.started[1]!.fail(unavailable());
    h.clock.advance(JOB_RETRY_MS);
    await flush();
    expect([h.started.length, h.probes.length]).toEqual([3, 0]);
    await h.started[2]!.finish(true);
    expect(h.dueIn(1)).toBe(device.intervalMs);
  });

  it('keeps a follow-up of higher priority that arrived while the failing scan ran', async () => {
    // random 0.5: the first safety net half an hour away, the retry 1.25 waits away.
    const h = harness({ random: () => 0.5 });
    h.scheduler.addDevice(1, device);
    h.scheduler.requestScan(1, 'periodic');
    await flush();
    h.clock.advance(10);
    const trapAt = h.clock.now();
    expect(h.scheduler.requestScan(1, 'trap')).toBe('follow-up');
    await h.started[0]!.fail(unavailable());
    // Not at once (it would fail the same way): after the wait.
    expect(h.started).toHaveLength(1);
    expect(h.dueIn(1)).toBe(JOB_RETRY_MS * 1.25);
    h.clock.advance(JOB_RETRY_MS * 1.25);
    await flush();
    expect(h.started.map((s) => s.request)).toEqual([expect.objectContaining({ trigger: 'periodic' }), { trigger: 'trap', requestedAt: expect.any(Number) }]);
    expect(h.started[1]!.request.requestedAt).toBeLessThanOrEqual(trapAt);
  });

  it('retries a registration check that threw, rather than never verifying the device again', async () => {
    let failing = true;
    const h = harness({
      random: () => 0.5,
      register: async () => {
        if (failing) throw unavailable();
      },
    });
    h.scheduler.addDevice(7, { ...device, registered: true });
    await flush();
    expect(h.registrations).toEqual([7]);
    expect(h.started).toHaveLength(0);
    failing = false;
    h.clock.advance(JOB_RETRY_MS * 1.25);
    await flush();
    expect(h.registrations).toEqual([7, 7]);
    expect(h.jobFailures).toEqual([{ job: 'registration', deviceId: 7 }]);
    expect(h.started[0]).toMatchObject({ deviceId: 7, request: { trigger: 'registration' } });
  });

  it("retries a lost device's probe that threw, rather than never probing it again", async () => {
    const h = harness({ random: () => 0 });
    h.scheduler.addDevice(1, device);
    h.clock.advance(h.dueIn(1));
    await flush();
    await h.started[0]!.finish(false);
    h.clock.advance(h.dueIn(1));
    await flush();
    await h.probes[0]!.fail(unavailable());
    expect(h.dueIn(1)).toBe(JOB_RETRY_MS);
    expect(h.jobFailures).toEqual([{ job: 'probe', deviceId: 1 }]);
    h.clock.advance(JOB_RETRY_MS);
    await flush();
    expect(h.probes).toHaveLength(2);
  });
});
