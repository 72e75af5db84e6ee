import { describe, expect, it } from 'vitest';
import type { ScanTrigger } from '../../src/scanning/scheduler.js';
import { flush, harness } from '../helpers/scheduler-harness.js';

const device = { intervalMs: 300_000, registered: false, timeoutMs: 3000 };

describe('ScanScheduler coalescing', () => {
  it('folds a burst during a queued scan into that one scan', async () => {
    const h = harness({ concurrency: 1 });
    h.scheduler.addDevice(1, device);
    h.scheduler.addDevice(2, device);
    expect(h.scheduler.requestScan(1, 'trap')).toBe('queued');
    expect(h.scheduler.requestScan(2, 'trap')).toBe('queued'); // waits: concurrency 1
    await flush();
    const results = Array.from({ length: 10 }, () => h.scheduler.requestScan(2, 'trap'));
    expect(results).toEqual(Array(10).fill('coalesced'));
    await h.started[0]!.finish();
    await h.started[1]!.finish();
    expect(h.started.map((s) => s.deviceId)).toEqual([1, 2]);
  });

  it('runs exactly one follow-up for any burst during a running scan, and misses nothing', async () => {
    const h = harness();
    h.scheduler.addDevice(1, device);
    h.scheduler.requestScan(1, 'trap');
    await flush();
    expect(h.started).toHaveLength(1);
    const during = Array.from({ length: 10 }, () => h.scheduler.requestScan(1, 'trap'));
    expect(during[0]).toBe('follow-up');
    expect(during.slice(1)).toEqual(Array(9).fill('coalesced'));
    await h.started[0]!.finish();
    expect(h.started).toHaveLength(2);
    await h.started[1]!.finish();
    expect(h.started).toHaveLength(2);
    expect(h.scheduler.queued + h.scheduler.running).toBe(0);
  });

  it('carries the earliest request time of a burst into the scan that serves it', async () => {
    const h = harness();
    h.scheduler.addDevice(1, device);
    h.scheduler.requestScan(1, 'trap');
    await flush();
    h.clock.advance(5);
    const firstDuringRun = h.clock.now();
    h.scheduler.requestScan(1, 'trap');
    h.clock.advance(5);
    h.scheduler.requestScan(1, 'trap');
    await h.started[0]!.finish();
    expect(h.started[1]!.request).toEqual({ trigger: 'trap', requestedAt: firstDuringRun });
  });

  it('runs trap scans before registration work before periodic scans', async () => {
    const h = harness({ concurrency: 1 });
    for (const id of [1, 2, 3, 4]) h.scheduler.addDevice(id, device);
    h.scheduler.requestScan(1, 'manual'); // occupies the only slot
    await flush();
    const order: Array<[number, ScanTrigger]> = [
      [2, 'periodic'],
      [3, 'registration'],
      [4, 'trap'],
    ];
    for (const [id, trigger] of order) h.scheduler.requestScan(id, trigger);
    await h.started[0]!.finish();
    await h.started[1]!.finish();
    await h.started[2]!.finish();
    expect(h.started.map((s) => [s.deviceId, s.request.trigger])).toEqual([
      [1, 'manual'],
      [4, 'trap'],
      [3, 'registration'],
      [2, 'periodic'],
    ]);
  });

  it('raises a queued periodic scan to trap priority when a notification arrives', async () => {
    const h = harness({ concurrency: 1 });
    for (const id of [1, 2, 3]) h.scheduler.addDevice(id, device);
    h.scheduler.requestScan(1, 'manual');
    await flush();
    h.scheduler.requestScan(2, 'registration');
    h.scheduler.requestScan(3, 'periodic');
    expect(h.scheduler.requestScan(3, 'trap')).toBe('coalesced');
    await h.started[0]!.finish();
    expect(h.started[1]).toMatchObject({ deviceId: 3, request: { trigger: 'trap' } });
  });

  it('never queues more than one scan per device, however many requests arrive', async () => {
    const h = harness({ concurrency: 2 });
    for (let id = 1; id <= 50; id++) h.scheduler.addDevice(id, device);
    for (let round = 0; round < 20; round++) for (let id = 1; id <= 50; id++) h.scheduler.requestScan(id, 'trap');
    await flush();
    expect(h.scheduler.queued + h.scheduler.running).toBeLessThanOrEqual(50);
  });

  it('forgets a removed device: its queued scan does not run', async () => {
    const h = harness({ concurrency: 1 });
    h.scheduler.addDevice(1, device);
    h.scheduler.addDevice(2, device);
    h.scheduler.requestScan(1, 'trap');
    h.scheduler.requestScan(2, 'trap');
    await flush();
    h.scheduler.removeDevice(2);
    await h.started[0]!.finish();
    expect(h.started.map((s) => s.deviceId)).toEqual([1]);
    expect(h.scheduler.requestScan(2, 'trap')).toBe('unknown-device');
  });
});

describe('ScanScheduler periodic safety net', () => {
  it('spreads first scans over one interval from a single timer', async () => {
    let r = 0;
    const h = harness({ concurrency: 1000, random: () => (r++ % 100) / 100 });
    for (let id = 1; id <= 1000; id++) h.scheduler.addDevice(id, device);
    expect(h.clock.pendingTimers).toBe(1);
    const perTenth: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = h.started.length;
      h.clock.advance(device.intervalMs / 10);
      await flush();
      perTenth.push(h.started.length - before);
    }
    expect(h.started).toHaveLength(1000);
    expect(Math.max(...perTenth)).toBeLessThanOrEqual(110);
    expect(h.started.every((s) => s.request.trigger === 'periodic')).toBe(true);
  });

  it('probes a lost device once per interval instead of scanning it, and scans it at once when it answers', async () => {
    const h = harness({ random: () => 0 }); // no jitter: exactly the interval
    h.scheduler.addDevice(1, device);
    h.clock.advance(h.dueIn(1));
    await flush();
    await h.started[0]!.finish(false); // communication lost
    for (let interval = 1; interval <= 4; interval++) {
      expect(h.dueIn(1)).toBe(device.intervalMs);
      h.clock.advance(h.dueIn(1));
      await flush();
      expect(h.probes).toHaveLength(interval);
      await h.probes.at(-1)!.answer(false);
    }
    expect(h.started).toHaveLength(1); // no full scan of the dead
    h.clock.advance(h.dueIn(1));
    await flush();
    await h.probes.at(-1)!.answer(true);
    expect(h.started).toHaveLength(2); // the answer brings a scan at once
    await h.started[1]!.finish(true);
    expect(h.dueIn(1)).toBe(device.intervalMs);
    h.clock.advance(h.dueIn(1));
    await flush();
    expect([h.started.length, h.probes.length]).toEqual([3, 5]); // answering again: scans, no probes
  });

  // Back-off used to keep a recovered device "lost" for up to 8 intervals (40 minutes at the default).
  it('sees a lost device answer again within one interval of its recovery, however long it was dead', async () => {
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const h = harness({ random });
    const minute = 60_000;
    h.scheduler.addDevice(1, { ...device, intervalMs: minute });
    let aliveFrom = Number.POSITIVE_INFINITY;
    const alive = () => h.clock.now() >= aliveFrom;
    let scansDone = 0;
    let probesDone = 0;
    /** Moves time `ms` and answers what started as the device would; the start of a scan it answered, if any. */
    const step = async (ms: number): Promise<number | undefined> => {
      h.clock.advance(ms);
      await flush();
      let answeredScanAt: number | undefined;
      while (scansDone < h.started.length || probesDone < h.probes.length) {
        if (probesDone < h.probes.length) await h.probes[probesDone++]!.answer(alive());
        if (scansDone < h.started.length) {
          const scan = h.started[scansDone++]!;
          if (alive() && answeredScanAt === undefined) answeredScanAt = scan.startedAt;
          await scan.finish(alive());
        }
      }
      return answeredScanAt;
    };
    const delays: number[] = [];
    for (let outage = 0; outage < 12; outage++) {
      aliveFrom = Number.POSITIVE_INFINITY;
      const deadFor = (1 + Math.floor(random() * 15)) * minute;
      for (const end = h.clock.now() + deadFor; h.clock.now() < end; ) await step(1000);
      aliveFrom = h.clock.now() + random() * minute;
      for (;;) {
        const answeredAt = await step(100);
        if (answeredAt !== undefined) {
          delays.push(answeredAt - aliveFrom);
          break;
        }
      }
    }
    expect(delays).toHaveLength(12);
    expect(Math.max(...delays)).toBeLessThanOrEqual(minute);
    // Dead devices stay cheap: while dead, one probe per interval and no scans.
    expect(h.started.length).toBeLessThanOrEqual(2 * 12 + 12);
  });

  it('scans a lost device at once on its notification; a probe queued meanwhile is dropped once it answers', async () => {
    const h = harness({ concurrency: 4, random: () => 0 }); // one slow slot
    h.scheduler.addDevice(1, device);
    h.scheduler.addDevice(2, device);
    h.scheduler.requestScan(1, 'manual');
    h.scheduler.requestScan(2, 'manual');
    await flush();
    await h.started[0]!.finish(false);
    await h.started[1]!.finish(false);
    h.clock.advance(device.intervalMs);
    await flush();
    // Both lost: device 1's probe holds the one slow slot, device 2's waits.
    expect(h.probes.map((p) => p.deviceId)).toEqual([1]);
    expect(h.scheduler.requestScan(2, 'trap')).toBe('queued');
    await h.probes[0]!.answer(false);
    // The notification's scan goes before device 2's own probe.
    expect(h.started.at(-1)).toMatchObject({ deviceId: 2, request: { trigger: 'trap' } });
    await h.started.at(-1)!.finish(true);
    await flush();
    expect(h.probes.map((p) => p.deviceId)).toEqual([1]); // device 2 answered: its probe never ran
    h.clock.advance(device.intervalMs);
    await flush();
    expect(h.started.at(-1)).toMatchObject({ deviceId: 2, request: { trigger: 'periodic' } });
    expect(h.probes.map((p) => p.deviceId)).toEqual([1, 1]);
  });

  it.each([0, 0.5, 0.999])('never lets the safety net wait longer than the interval after a scan (random %s)', async (r) => {
    const h = harness({ random: () => r });
    h.scheduler.addDevice(1, device);
    expect(h.dueIn(1)).toBeLessThanOrEqual(device.intervalMs);
    h.scheduler.requestScan(1, 'trap');
    await flush();
    await h.started[0]!.finish();
    expect(h.dueIn(1)).toBeLessThanOrEqual(device.intervalMs);
    expect(h.dueIn(1)).toBeGreaterThanOrEqual(0.9 * device.intervalMs);
  });

  // UDP loses notifications: an alarm whose notification never arrives is found by the next
  // safety-net scan, at worst one interval after it was raised, whatever the jitter.
  it('finds an alarm whose notification was lost within one interval', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const h = harness({ random });
    const minute = 60_000;
    const fast = { ...device, intervalMs: minute };
    h.scheduler.addDevice(1, fast);
    const worst: number[] = [];
    for (let alarm = 0; alarm < 50; alarm++) {
      // Every notification is lost: only safety-net scans run. Each takes 5 ms.
      const raisedAt = h.clock.now() + random() * minute;
      for (;;) {
        const before = h.started.length;
        while (h.started.length === before) {
          h.clock.advance(100);
          await flush();
        }
        const scan = h.started.at(-1)!;
        h.clock.advance(5);
        await scan.finish();
        if (scan.startedAt >= raisedAt) {
          worst.push(scan.startedAt - raisedAt);
          break;
        }
      }
    }
    expect(Math.max(...worst)).toBeLessThanOrEqual(minute);
  });

  it('lets a notification scan a lost device at once', async () => {
    const h = harness();
    h.scheduler.addDevice(1, device);
    h.scheduler.requestScan(1, 'trap');
    await flush();
    await h.started[0]!.finish(false);
    expect(h.scheduler.requestScan(1, 'trap')).toBe('queued');
    await flush();
    expect(h.started).toHaveLength(2);
    await h.started[1]!.finish(false);
  });

  it('registers a registered device on add, then scans it, and verifies again about an hour later', async () => {
    const h = harness({ random: () => 0.5 });
    h.scheduler.addDevice(7, { ...device, registered: true });
    await flush();
    expect(h.registrations).toEqual([7]);
    expect(h.started[0]).toMatchObject({ deviceId: 7, request: { trigger: 'registration' } });
    await h.started[0]!.finish();
    h.clock.advance(3_600_000);
    await flush();
    expect(h.registrations).toEqual([7, 7]);
  });

  it('stops: drops queued work, waits for running scans up to the deadline', async () => {
    const h = harness({ concurrency: 1 });
    h.scheduler.addDevice(1, device);
    h.scheduler.addDevice(2, device);
    h.scheduler.requestScan(1, 'trap');
    h.scheduler.requestScan(2, 'trap');
    await flush();
    const stopping = h.scheduler.stop(1000);
    await h.started[0]!.finish();
    expect(await stopping).toBe(true);
    expect(h.started).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });
});
