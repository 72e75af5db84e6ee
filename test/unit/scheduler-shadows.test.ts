// Lead and shadow devices in the scheduler, on the fake clock: a lead's notification scans the lead
// and its shadows, each under the one coalescing rule and at the notification's priority; a shadow
// is lost with its lead (not scanned or probed on its own), and follows it when it goes and returns.
import { describe, expect, it } from 'vitest';
import { flush, harness } from '../helpers/scheduler-harness.js';

const INTERVAL = 300_000;
const device = { intervalMs: INTERVAL, registered: false, timeoutMs: 3000 };
const LEAD = 1;
const SHADOWS = [2, 3, 4];

/** A lead (1) with three shadows (2, 3, 4), and a device of its own (9). */
function chain(options: { concurrency?: number } = {}) {
  const h = harness(options);
  h.scheduler.addDevice(LEAD, device);
  for (const id of SHADOWS) h.scheduler.addDevice(id, { ...device, lead: LEAD });
  h.scheduler.addDevice(9, device);
  return h;
}

const scansOf = (h: ReturnType<typeof harness>) => h.started.map((s) => s.deviceId);

describe('ScanScheduler with lead and shadow devices', () => {
  it('scans the lead and each of its shadows on a notification from the lead, carrying its trigger and time', async () => {
    const h = chain();
    h.clock.advance(7);
    const receivedAt = h.clock.now();
    expect(h.scheduler.requestScan(LEAD, 'trap', receivedAt)).toBe('queued');
    await flush();
    expect(scansOf(h).sort()).toEqual([1, 2, 3, 4]);
    expect(h.started.map((s) => s.request)).toEqual(Array(4).fill({ trigger: 'trap', requestedAt: receivedAt }));
  });

  it('scans only the device asked for otherwise: a shadow, or the lead on its safety net or by hand', async () => {
    const h = chain();
    h.scheduler.requestScan(3, 'trap');
    h.scheduler.requestScan(LEAD, 'manual');
    h.scheduler.requestScan(LEAD, 'periodic');
    await flush();
    expect(scansOf(h).sort()).toEqual([1, 3]);
  });

  it('costs every device of the chain at most two scans for a burst at the lead, and misses nothing', async () => {
    const h = chain();
    const results = [h.scheduler.requestScan(LEAD, 'trap')];
    await flush();
    expect(h.started).toHaveLength(4);
    // The rest of the storm arrives while all four scans run: one follow-up each, however many.
    for (let i = 0; i < 99; i++) results.push(h.scheduler.requestScan(LEAD, 'trap'));
    expect(results.slice(0, 2)).toEqual(['queued', 'follow-up']);
    expect(new Set(results.slice(2))).toEqual(new Set(['coalesced']));
    for (const scan of [...h.started]) await scan.finish();
    for (const scan of h.started.slice(4)) await scan.finish();
    const perDevice = new Map<number, number>();
    for (const id of scansOf(h)) perDevice.set(id, (perDevice.get(id) ?? 0) + 1);
    expect(Object.fromEntries(perDevice)).toEqual({ 1: 2, 2: 2, 3: 2, 4: 2 });
    expect(h.scheduler.queued + h.scheduler.running).toBe(0);
  });

  it('puts the shadows\' scans at the notification\'s priority, ahead of safety-net scans queued before', async () => {
    const h = chain({ concurrency: 1 });
    h.scheduler.requestScan(9, 'manual'); // holds the one slot
    await flush();
    h.scheduler.requestScan(5, 'periodic'); // unknown: ignored
    h.scheduler.addDevice(8, device);
    h.scheduler.requestScan(8, 'periodic');
    h.scheduler.requestScan(LEAD, 'trap');
    for (let i = 0; i < 6; i++) await h.started[i]!.finish();
    expect(scansOf(h)).toEqual([9, 1, 2, 3, 4, 8]);
  });

  it('asks the lead when a shadow finds the address silent, and scans no other shadow for it', async () => {
    const h = chain();
    h.scheduler.requestScan(2, 'trap');
    await flush();
    await h.started[0]!.finish(false, { leadUnreachable: true });
    expect(scansOf(h)).toEqual([2, 1]);
    expect(h.started[1]!.request.trigger).toBe('trap');
    // A shadow that got no answer although the lead answers is lost on its own: the lead is not asked.
    h.scheduler.requestScan(3, 'trap');
    await flush();
    await h.started[2]!.finish(false);
    expect(scansOf(h)).toEqual([2, 1, 3]);
  });

  it('loses the shadows with their lead: one scan each to mark them, then no scans or probes of their own until the lead is back', async () => {
    const h = chain();
    // Alone with the chain: a scan of another device left running would hold the slow lane's slot.
    h.scheduler.removeDevice(9);
    h.scheduler.requestScan(LEAD, 'periodic');
    await flush();
    await h.started[0]!.finish(false);
    // The lead went lost: each shadow is scanned once, to be marked unreachable through it.
    expect(scansOf(h)).toEqual([1, 2, 3, 4]);
    for (const scan of h.started.slice(1)) await scan.finish(false, { leadUnreachable: true });
    expect(h.started).toHaveLength(4);
    // Three intervals: the lead is probed each time; its shadows neither scanned nor probed.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(INTERVAL);
      await flush();
      const probe = h.probes.at(-1)!;
      expect(probe.deviceId).toBe(LEAD);
      await probe.answer(false);
    }
    expect(h.probes.map((p) => p.deviceId)).toEqual([LEAD, LEAD, LEAD]);
    expect(h.started).toHaveLength(4);
    // The lead answers: it is scanned, and once it is found back its shadows are scanned at once.
    h.clock.advance(INTERVAL);
    await flush();
    await h.probes.at(-1)!.answer(true);
    expect(scansOf(h).slice(4)).toEqual([LEAD]);
    await h.started[4]!.finish(true);
    // Their last scans got no answer, so they run in the slow lane: one at a time here.
    for (let i = 5; i < 8; i++) await h.started[i]!.finish(true);
    expect(scansOf(h).slice(5).sort()).toEqual([2, 3, 4]);
    // Back to safety-net scans of their own.
    h.clock.advance(INTERVAL);
    await flush();
    expect(scansOf(h).slice(8).sort()).toEqual([1, 2, 3, 4]);
  });

  it('follows a shadow to its new lead, and forgets a removed one', async () => {
    const h = chain();
    h.scheduler.addDevice(10, device);
    h.scheduler.updateDevice(3, { ...device, lead: 10 });
    h.scheduler.removeDevice(4);
    h.scheduler.requestScan(LEAD, 'trap');
    await flush();
    expect(scansOf(h).sort()).toEqual([1, 2]);
    h.scheduler.requestScan(10, 'trap');
    await flush();
    expect(scansOf(h).sort()).toEqual([1, 10, 2, 3]);
    // Its own device again: a notification from its old or new lead no longer reaches it.
    for (const scan of [...h.started]) await scan.finish();
    h.scheduler.updateDevice(3, device);
    h.scheduler.requestScan(10, 'trap');
    await flush();
    expect(scansOf(h).slice(4)).toEqual([10]);
  });
});
