// A faster cadence for a device's readings changes its safety-net interval only: the next scan is
// due within the new interval, registrations are left alone, and periodic scans stay the lowest
// priority in the one bounded queue.
import { describe, expect, it } from 'vitest';
import { flush, harness } from '../helpers/scheduler-harness.js';

const device = { intervalMs: 300_000, registered: true, timeoutMs: 3000 };

describe('ScanScheduler.setInterval', () => {
  it('brings the next safety-net scan within a shorter interval, and keeps it there, without touching the registration', async () => {
    const h = harness();
    h.scheduler.addDevice(1, device);
    await flush();
    await h.started[0]!.finish(); // the scan after registering
    const registrations = h.registrations.length;
    expect(h.dueIn(1)).toBeGreaterThan(200_000);

    h.scheduler.setInterval(1, 10_000);
    expect(h.dueIn(1)).toBeLessThanOrEqual(10_000);
    for (let i = 0; i < 3; i++) {
      h.clock.advance(10_000);
      await flush();
      expect(h.runningOf(1).at(-1)!.request.trigger).toBe('periodic');
      await h.started.at(-1)!.finish();
      expect(h.dueIn(1)).toBeLessThanOrEqual(10_000);
    }
    expect(h.started.filter((s) => s.request.trigger === 'periodic')).toHaveLength(3);
    expect(h.registrations).toHaveLength(registrations);
  });

  it('takes a change during a running scan from the end of that scan', async () => {
    const h = harness();
    h.scheduler.addDevice(1, { ...device, registered: false });
    h.scheduler.requestScan(1, 'manual');
    await flush();
    h.scheduler.setInterval(1, 10_000);
    expect(h.scheduler.queued).toBe(0);
    await h.started[0]!.finish();
    expect(h.dueIn(1)).toBeLessThanOrEqual(10_000);
    expect(h.dueIn(1)).toBeGreaterThanOrEqual(9_000);
  });

  it('back to a longer interval: the scan already due runs, the next waits the longer interval', async () => {
    const h = harness();
    h.scheduler.addDevice(1, { ...device, registered: false, intervalMs: 10_000 });
    h.scheduler.setInterval(1, 300_000);
    expect(h.dueIn(1)).toBeLessThanOrEqual(10_000);
    h.clock.advance(10_000);
    await flush();
    await h.started[0]!.finish();
    expect(h.dueIn(1)).toBeGreaterThan(200_000);
  });

  it('leaves periodic scans at the lowest priority', async () => {
    const h = harness({ concurrency: 1 });
    for (const id of [1, 2, 3]) h.scheduler.addDevice(id, { ...device, registered: false });
    h.scheduler.setInterval(2, 10_000);
    h.scheduler.requestScan(1, 'manual'); // holds the only slot
    await flush();
    h.clock.advance(10_000); // device 2's fast safety net comes due
    h.scheduler.requestScan(3, 'trap');
    await h.started[0]!.finish();
    await h.started[1]!.finish();
    expect(h.started.map((s) => [s.deviceId, s.request.trigger])).toEqual([[1, 'manual'], [3, 'trap'], [2, 'periodic']]);
  });
});
