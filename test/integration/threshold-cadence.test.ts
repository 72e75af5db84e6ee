// A faster cadence for readings: a device sends no notification when a value crosses a limit only
// priscan knows, so by default such a violation is found by the safety-net scan. An override's
// intervalSeconds (10 s here) makes that device's periodic scan that fast, and it takes effect
// once an `auto` device's profile is known. Replayed Eaton recordings whose battery capacity is
// changed through the simulator's library API, with no notification; time moves on a fake clock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnmprecDevice } from '../../simulators/devices/snmprec-device.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/tools.js';

// This file's devices are 127.0.222.10-11 (ephemeral ports); priscan listens on 127.0.222.201.
const FAST = '127.0.222.10';
const SLOW = '127.0.222.11';
const MANAGER = '127.0.222.201';
/** A product OID of the documentation enterprise that only this file's profile claims. */
const PRODUCT = '1.3.6.1.4.1.32473.1.3.99.13';

const PROFILE = `
name: cadence-xups
description: Eaton XUPS battery capacity (test profile for the threshold cadence)
match: { sysObjectId: [${PRODUCT}] }
registration: none
readings:
  - { id: batteryCapacity, description: Battery capacity, oid: ${XUPS.battery.capacity}, unit: percent }
thresholds:
  - { reading: batteryCapacity, level: warning, below: 50, hysteresis: 5 }
`;

const clock = new FakeClock(Date.now());
let profileDir = '';
let t: TestDaemon;
let fleet: Fleet;
const ids = { fast: 0, slow: 0 };
const sim = (address: string) => fleet.get(address) as SnmprecDevice;

const thresholdAlarms = async (name: string) =>
  ((await t.api('GET', `/api/v1/alarms?device=${name}`)).body.alarms as Array<{ code: string; description: string }>).filter((a) => a.code.startsWith('threshold.'));
const scanInterval = async (id: number) => (await t.api('GET', `/api/v1/devices/${id}/thresholds`)).body as { profile: string | null; scanIntervalSeconds: number };
const idle = () => until('no scan queued or running', () => t.running.scheduler.queued + t.running.scheduler.running === 0);
const VIOLATION = [{ code: 'threshold.batteryCapacity.below', description: 'Battery capacity is 30 %, below the warning threshold of 50 %' }];

beforeAll(async () => {
  profileDir = mkdtempSync(join(tmpdir(), 'priscan-cadence-'));
  writeFileSync(join(profileDir, 'cadence-xups.yaml'), PROFILE);
  t = await startTestDaemon(
    {
      manager: { address: MANAGER },
      notifications: { listen: { address: MANAGER, port: 0 } },
      profiles: { directory: profileDir },
      thresholds: [{ device: 'fast', reading: 'batteryCapacity', level: 'warning', below: 50, intervalSeconds: 10 }],
    },
    { clock },
  );
  fleet = new Fleet({ devices: [{ kind: 'snmprec', count: 2, recording: { file: 'eaton-xups' } }], baseAddress: FAST, port: 0 });
  await fleet.start();
  for (const [name, address] of [['fast', FAST], ['slow', SLOW]] as const) {
    sim(address).setValue(SNMPV2.sysObjectID, { type: 'ObjectIdentifier', value: PRODUCT });
    const res = await t.api('POST', '/api/v1/devices', {
      name,
      address,
      port: sim(address).agent.port,
      profile: 'auto',
      priorityScanning: false,
      timeoutMs: 1000,
      retries: 0,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
    ids[name] = res.body.id as number;
  }
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('a faster cadence for a reading', () => {
  it("applies once an auto device's profile is known", async () => {
    // Not scanned yet: no profile, so nothing asks for a faster scan.
    expect(await scanInterval(ids.fast)).toEqual(expect.objectContaining({ profile: null, scanIntervalSeconds: 300 }));
    for (const id of Object.values(ids)) await t.api('POST', `/api/v1/devices/${id}/scan`);
    await until('both scanned', () => Object.values(ids).every((id) => t.running.store.devices.get(id)?.state.lastScanAt));
    await idle();
    expect(await scanInterval(ids.fast)).toEqual(expect.objectContaining({ profile: 'cadence-xups', scanIntervalSeconds: 10 }));
    expect(await scanInterval(ids.slow)).toEqual(expect.objectContaining({ profile: 'cadence-xups', scanIntervalSeconds: 300 }));
    expect(await thresholdAlarms('fast')).toEqual([]);
  });

  it('finds a violation no notification announces within the cadence; the safety net finds it on the others', async () => {
    for (const address of [FAST, SLOW]) expect(sim(address).setValue(XUPS.battery.capacity, { type: 'Integer32', value: 30 })).toMatchObject({ changed: true });
    const periodic = await t.metric('priscan_scans_total', { trigger: 'periodic' });

    clock.advance(10_000);
    await until('the fast device in violation', async () => (await thresholdAlarms('fast')).length > 0);
    expect((await thresholdAlarms('fast')).map(({ code, description }) => ({ code, description }))).toEqual(VIOLATION);
    await idle();
    expect(await t.metric('priscan_scans_total', { trigger: 'periodic' })).toBe(periodic + 1);
    expect(await thresholdAlarms('slow')).toEqual([]);

    clock.advance(300_000);
    await until('the slow device in violation', async () => (await thresholdAlarms('slow')).length > 0);
    expect((await thresholdAlarms('slow')).map(({ code, description }) => ({ code, description }))).toEqual(VIOLATION);
    // Nothing was sent to priscan: every scan here was a periodic one.
    expect(await t.metric('priscan_notifications_received_total')).toBe(0);
    expect(await t.metric('priscan_scans_total', { trigger: 'trap' })).toBe(0);
  });
});
