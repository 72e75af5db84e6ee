import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// One slow or dead device never delays others beyond its own timeout. The daemons here run
// with very few scan slots, so a slow or dead device's scan would take the slot a healthy
// device needs unless the scheduler sets it aside. Devices on 127.2.100.0/24, port 17150.
const PORT = 17150;
const BASE = '127.2.100.1';
const FAN = 'sim.16';
const ON_BATTERY = 'sim.2';

let fleet: Fleet;
beforeAll(async () => {
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 8 }], baseAddress: BASE, port: PORT });
  await fleet.start();
});
afterAll(async () => {
  await fleet?.stop();
});

async function addDevices(d: TestDaemon, devices: readonly SimDevice[], timing: { timeoutMs: number; retries: number }): Promise<number[]> {
  const ids: number[] = [];
  for (const device of devices) {
    const res = await d.api('POST', '/api/v1/devices', {
      name: `dev-${device.address}`,
      address: device.address,
      port: PORT,
      profile: 'priscan-sim',
      ...timing,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
    ids.push(res.body.id as number);
  }
  await until('all registered', () => ids.every((id) => d.running.store.devices.get(id)?.state.registration === 'registered'), 10_000);
  await until('the queue idle', () => d.running.scheduler.queued + d.running.scheduler.running === 0, 10_000);
  return ids;
}

/** Resolves with `probe()`'s value at the moment `code` is stored as raised on `deviceId`. */
function whenStored<T>(d: TestDaemon, deviceId: number, code: string, probe: () => T): Promise<T> {
  return new Promise((resolve) => {
    const unsubscribe = d.running.bus.subscribe((events) => {
      if (!events.some((e) => e.deviceId === deviceId && e.code === code && e.kind === 'raise')) return;
      unsubscribe();
      resolve(probe());
    });
  });
}

const lastScanAt = (d: TestDaemon, id: number) => d.running.store.devices.get(id)?.state.lastScanAt ?? null;
const activeCodes = (d: TestDaemon, id: number) => d.running.store.alarms.active().filter((a) => a.deviceId === id).map((a) => a.code);

describe('a device that answers slowly', () => {
  let d: TestDaemon;
  afterAll(async () => {
    await d?.stop();
  });

  it('delays only itself: with one scan slot, a healthy device\'s alarm is stored while the slow scan still runs', async () => {
    d = await startTestDaemon({ scanning: { concurrency: 1 } });
    const [slowDevice, healthyDevice] = fleet.devices as [SimDevice, SimDevice];
    const [slow, healthy] = (await addDevices(d, [slowDevice, healthyDevice], { timeoutMs: 8_000, retries: 0 })) as [number, number];
    slowDevice.setFault('slow', { delayMs: 2_000 }); // each answer 2 s late, well within the 8 s timeout
    try {
      const slowScannedAt = lastScanAt(d, slow);
      d.running.scheduler.requestScan(slow, 'manual');
      await until('the slow scan running', () => d.running.scheduler.running === 1, 2_000);
      const slowScanDoneWhenStored = whenStored(d, healthy, FAN, () => lastScanAt(d, slow) !== slowScannedAt);
      healthyDevice.raise('fanFailure');
      expect(await slowScanDoneWhenStored, 'the healthy alarm waited for the slow scan').toBe(false);
      await until('the slow scan recorded', () => lastScanAt(d, slow) !== slowScannedAt, 20_000);
      const state = d.running.store.devices.get(slow)!.state;
      expect(state).toMatchObject({ reachable: true, lastError: null });
      expect(activeCodes(d, slow)).not.toContain('priscan.communicationLost');
    } finally {
      slowDevice.setFault('none');
      healthyDevice.clear('fanFailure');
    }
  });
});

describe('devices that stop answering but keep notifying', () => {
  let d: TestDaemon;
  afterAll(async () => {
    await d?.stop();
    for (const device of fleet.devices) device.setFault('none');
  });

  it('never hold the slots a healthy device needs, are marked lost, and recover on their next good scan', async () => {
    // Four slots: the slow lane may hold one; six dead devices fail each scan after 2 x 1 s.
    d = await startTestDaemon({ scanning: { concurrency: 4 } }, { licensedNodes: 10 });
    const devices = fleet.devices.slice(2, 8);
    const ids = await addDevices(d, devices, { timeoutMs: 1_000, retries: 1 });
    const [healthyDevice, ...deadDevices] = devices as [SimDevice, ...SimDevice[]];
    const [healthy, ...dead] = ids as [number, ...number[]];
    const scannedBefore = dead.map((id) => lastScanAt(d, id));
    const deadScansRecorded = () => dead.filter((id, i) => lastScanAt(d, id) !== scannedBefore[i]).length;

    // They just died: the daemon does not know yet, and each sends a notification.
    for (const device of deadDevices) device.setFault('silent');
    for (const device of deadDevices) device.raise('onBattery');
    await until('all dead devices\' scans started', () => d.running.scheduler.running + d.running.scheduler.queued >= dead.length, 2_000);
    const first = whenStored(d, healthy, FAN, deadScansRecorded);
    healthyDevice.raise('fanFailure');
    expect(await first, 'the healthy alarm waited for a dead device\'s timeout').toBe(0);

    // Now they are known dead: their notification scans wait in the slow lane, the healthy device's do not.
    await until('every dead device marked lost', () => dead.every((id) => activeCodes(d, id).includes('priscan.communicationLost')), 20_000);
    for (const device of deadDevices) device.raise('fanFailure');
    await until('dead devices\' scans waiting in the slow lane', () => d.running.scheduler.lanes().slow.queued > 0, 2_000);
    const second = whenStored(d, healthy, ON_BATTERY, () => d.running.scheduler.lanes().slow);
    healthyDevice.raise('onBattery');
    const slowLane = await second;
    expect(slowLane.queued, 'stored while dead devices\' scans still waited').toBeGreaterThan(0);
    expect(slowLane.running).toBeLessThanOrEqual(1);

    // They answer again; a notification from each scans it (the slow lane is free now) and clears the lost alarm.
    for (const device of deadDevices) device.setFault('none');
    for (const device of deadDevices) {
      for (const target of device.identity.registration.targets()) device.agent.send(target, { trapOid: PRISCAN_SIM.alertPresent, varbinds: [] });
    }
    await until('every dead device back', () => dead.every((id) => !activeCodes(d, id).includes('priscan.communicationLost')), 30_000);
    for (const id of dead) expect(activeCodes(d, id).sort()).toEqual([ON_BATTERY, FAN].sort());
  });
});
