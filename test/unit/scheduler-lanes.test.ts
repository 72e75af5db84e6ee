import { describe, expect, it } from 'vitest';
import { flush, harness } from '../helpers/scheduler-harness.js';

// Dead and slow devices must not take the slots devices that answer need. Concurrency 8
// gives the slow lane a share of 2; `timeoutMs` is each device's SNMP request timeout.
const TIMEOUT_MS = 3000;
const device = { intervalMs: 300_000, registered: false, timeoutMs: TIMEOUT_MS };
const LIVE = 1;
const DEAD = Array.from({ length: 20 }, (_, i) => 100 + i);

/** A harness whose LIVE device answered a scan in 10 ms, and whose DEAD devices each failed one (2 x 3 s). */
async function withDeadDevices(concurrency = 8) {
  const h = harness({ concurrency });
  for (const id of [LIVE, ...DEAD]) h.scheduler.addDevice(id, device);
  h.scheduler.requestScan(LIVE, 'trap');
  await flush();
  h.clock.advance(10);
  await h.started[0]!.finish(true);
  for (const id of DEAD) h.scheduler.requestScan(id, 'periodic');
  while (h.scheduler.queued + h.scheduler.running > 0) {
    await flush();
    h.clock.advance(2 * TIMEOUT_MS);
    for (const scan of h.started.splice(0)) await scan.finish(false);
  }
  h.started.length = 0;
  return h;
}

describe('ScanScheduler lanes: dead devices', () => {
  it('runs dead devices\' notification scans at most a quarter of the concurrency at a time', async () => {
    const h = await withDeadDevices();
    for (const id of DEAD) expect(h.scheduler.requestScan(id, 'trap')).toBe('queued');
    await flush();
    expect(h.started.map((s) => s.deviceId)).toEqual(DEAD.slice(0, 2));
    expect(h.scheduler.lanes()).toEqual({ normal: { queued: 0, running: 0 }, slow: { queued: 18, running: 2 } });
  });

  it('starts a live device\'s notification scan at once while dead devices hold their share', async () => {
    const h = await withDeadDevices();
    for (const id of DEAD) h.scheduler.requestScan(id, 'trap');
    await flush();
    h.scheduler.requestScan(LIVE, 'trap');
    await flush();
    expect(h.runningOf(LIVE)).toHaveLength(1);
    expect(h.scheduler.running).toBe(3);
  });

  it('gives live devices the whole concurrency when no dead device is scanning', async () => {
    const h = harness({ concurrency: 8 });
    for (let id = 1; id <= 10; id++) h.scheduler.addDevice(id, device);
    for (let id = 1; id <= 10; id++) h.scheduler.requestScan(id, 'trap');
    await flush();
    expect(h.started).toHaveLength(8);
  });

  it('still scans a dead device at once on a notification when a slow slot is free', async () => {
    const h = await withDeadDevices();
    expect(h.scheduler.requestScan(DEAD[0]!, 'trap')).toBe('queued');
    await flush();
    expect(h.started.map((s) => [s.deviceId, s.request.trigger])).toEqual([[DEAD[0], 'trap']]);
  });

  it('runs a dead device\'s notification scan before other dead devices\' safety-net scans', async () => {
    const h = await withDeadDevices();
    for (const id of DEAD.slice(0, 10)) h.scheduler.requestScan(id, 'periodic');
    h.scheduler.requestScan(DEAD[15]!, 'trap');
    await flush();
    await h.started[0]!.finish(false);
    expect(h.started.at(-1)).toMatchObject({ deviceId: DEAD[15], request: { trigger: 'trap' } });
  });

  it('keeps coalescing in the slow lane: one queued, one follow-up, whatever the burst', async () => {
    const h = await withDeadDevices();
    const id = DEAD[0]!;
    h.scheduler.requestScan(id, 'trap');
    await flush();
    const during = Array.from({ length: 50 }, () => h.scheduler.requestScan(id, 'trap'));
    expect(during.filter((r) => r === 'follow-up')).toHaveLength(1);
    await h.runningOf(id)[0]!.finish(false);
    expect(h.runningOf(id)).toHaveLength(2);
    await h.runningOf(id)[1]!.finish(false);
    expect(h.runningOf(id)).toHaveLength(2);
  });

  it('never queues more than a scan and a registration check per device, however long the dead stay dead', async () => {
    const h = await withDeadDevices(4);
    for (let round = 0; round < 30; round++) {
      for (const id of [LIVE, ...DEAD]) {
        h.scheduler.requestScan(id, round % 2 ? 'trap' : 'periodic');
        h.scheduler.requestRegistration(id);
      }
      await flush();
      expect(h.scheduler.queued).toBeLessThanOrEqual(2 * (DEAD.length + 1));
      h.clock.advance(TIMEOUT_MS);
      for (const scan of h.started.splice(0)) await scan.finish(scan.deviceId === LIVE);
    }
  });

  it('moves a device that answers again back to the normal lane', async () => {
    const h = await withDeadDevices();
    const id = DEAD[0]!;
    h.scheduler.requestScan(id, 'trap');
    await flush();
    await h.started[0]!.finish(true);
    h.started.length = 0;
    // The slow lane is now full of other dead devices; the recovered one no longer waits for it.
    for (const other of DEAD.slice(1)) h.scheduler.requestScan(other, 'trap');
    h.scheduler.requestScan(id, 'trap');
    await flush();
    expect(h.runningOf(id)).toHaveLength(1);
    expect(h.scheduler.lanes().normal.running).toBe(1);
  });

  it('moves a waiting registration check of a device found dead to the slow lane', async () => {
    const h = harness({ concurrency: 2 });
    h.scheduler.addDevice(1, { ...device, registered: true });
    await flush(); // registered, and its scan started
    h.scheduler.addDevice(2, device);
    h.scheduler.requestScan(2, 'trap');
    await flush();
    expect(h.started.map((s) => s.deviceId)).toEqual([1, 2]);
    h.scheduler.requestRegistration(1); // waits: both slots are taken
    expect(h.scheduler.lanes().normal.queued).toBe(1);
    h.clock.advance(TIMEOUT_MS - 1);
    await h.runningOf(1)[0]!.finish(false); // device 1 timed out
    expect(h.registrations).toEqual([1, 1]);
    expect(h.runningOf(1).at(-1)?.request.trigger).toBe('registration');
    expect(h.scheduler.lanes()).toEqual({ normal: { queued: 0, running: 1 }, slow: { queued: 0, running: 1 } });
  });
});

describe('ScanScheduler lanes: devices that stop answering or answer late', () => {
  it('frees the slot of a scan that overruns its device\'s usual time, so others need not wait for its timeout', async () => {
    const h = harness({ concurrency: 1 });
    for (const id of [1, 2]) h.scheduler.addDevice(id, device);
    h.scheduler.requestScan(1, 'trap');
    await flush();
    h.clock.advance(20);
    await h.started[0]!.finish(); // a 20 ms scan: device 1 usually answers fast
    h.scheduler.requestScan(1, 'trap'); // ...but now it has stopped answering
    await flush();
    h.scheduler.requestScan(2, 'trap');
    await flush();
    expect(h.runningOf(2)).toHaveLength(0); // the only slot is device 1's
    h.clock.advance(249);
    await flush();
    expect(h.runningOf(2)).toHaveLength(0);
    h.clock.advance(1); // 250 ms: past 4 x 20 ms and the 250 ms floor
    await flush();
    expect(h.runningOf(2)).toHaveLength(1);
    expect(h.scheduler.lanes()).toEqual({ normal: { queued: 0, running: 1 }, slow: { queued: 0, running: 1 } });
  });

  it('waits a whole request timeout before calling a scan of a device never scanned overrun', async () => {
    const h = harness({ concurrency: 1 });
    for (const id of [1, 2]) h.scheduler.addDevice(id, device);
    h.scheduler.requestScan(1, 'trap');
    h.scheduler.requestScan(2, 'trap');
    h.clock.advance(TIMEOUT_MS - 1);
    await flush();
    expect(h.runningOf(2)).toHaveLength(0);
    h.clock.advance(1);
    await flush();
    expect(h.runningOf(2)).toHaveLength(1);
  });

  it('holds no new slow work while overrun scans fill the slow share', async () => {
    const h = await withDeadDevices();
    // Six live devices whose scans now hang: each overruns and is counted as slow.
    const hung = [1, 2, 3, 4, 5, 6].map((i) => 200 + i);
    for (const id of hung) h.scheduler.addDevice(id, device);
    for (const id of hung) h.scheduler.requestScan(id, 'trap');
    await flush();
    h.clock.advance(TIMEOUT_MS);
    await flush();
    expect(h.scheduler.lanes().slow.running).toBe(6);
    h.scheduler.requestScan(DEAD[0]!, 'trap');
    h.scheduler.requestScan(LIVE, 'trap');
    await flush();
    expect(h.runningOf(DEAD[0]!)).toHaveLength(0);
    expect(h.runningOf(LIVE)).toHaveLength(1);
  });

  it('puts a device whose scan took longer than one request timeout in the slow lane, though it answered', async () => {
    const h = harness({ concurrency: 4 }); // slow share 1
    for (const id of [1, 2]) h.scheduler.addDevice(id, device);
    for (const id of [1, 2]) h.scheduler.requestScan(id, 'trap');
    await flush();
    h.clock.advance(TIMEOUT_MS + 1);
    await h.runningOf(1)[0]!.finish(true);
    await h.runningOf(2)[0]!.finish(true);
    for (const id of [1, 2]) h.scheduler.requestScan(id, 'trap');
    await flush();
    expect(h.started).toHaveLength(3); // one at a time in the slow lane
    expect(h.scheduler.lanes().slow).toEqual({ queued: 1, running: 1 });
  });
});
