// The threshold service's bookkeeping around the pure evaluator: a violation waiting out its
// forSeconds is forgotten with its device (SQLite hands a deleted device's id to the next one) and
// when the device's profile changes; a scan that finds an auto device's profile reports it (for the
// cadence); the API's overrides are read again after each change.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ThresholdService } from '../../src/app/threshold-service.js';
import { parseConfig } from '../../src/config/load.js';
import type { ReadingValue } from '../../src/scanning/evaluate.js';
import type { DeviceRecord } from '../../src/store/devices.js';
import { SqliteStore } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { builtinProfile, builtinProfiles } from '../helpers/profiles.js';

const NETBOTZ = builtinProfile('netbotz');
const hot: ReadingValue[] = [{ reading: 'temperature', instance: '7', label: 'Rack inlet', value: 28 }];

let clock: FakeClock;
let store: SqliteStore;
let resolved: number[];
let changed: number[][];
let service: ThresholdService;

beforeEach(() => {
  clock = new FakeClock();
  store = SqliteStore.open(':memory:', clock);
  resolved = [];
  changed = [];
  const { thresholds } = parseConfig({ thresholds: [{ profile: 'netbotz', reading: 'temperature', level: 'warning', above: 27, forSeconds: 120 }] }, 'test');
  service = new ThresholdService({
    store,
    profiles: builtinProfiles(),
    configured: thresholds,
    onProfileResolved: (id) => resolved.push(id),
    onDevicesChanged: (ids) => changed.push(ids),
  });
});

afterEach(() => store.close());

const scan = (device: DeviceRecord, readings = hot) => service.violations({ device, profile: NETBOTZ, readings, at: clock.now() }).map((a) => a.code);
const addNetbotz = (name = 'nb-1') => store.devices.insert(newDevice({ name, address: '127.0.220.50', profile: 'netbotz' }));

describe('ThresholdService', () => {
  it('raises a violation once it has held forSeconds, scan after scan', () => {
    const device = addNetbotz();
    expect(scan(device)).toEqual([]);
    clock.advance(60_000);
    expect(scan(device)).toEqual([]);
    clock.advance(60_000);
    expect(scan(device)).toEqual(['threshold.temperature.above']);
  });

  it('forgets what a removed device was waiting out: the next device with its id starts afresh', () => {
    const first = addNetbotz();
    expect(scan(first)).toEqual([]);
    clock.advance(100_000);
    store.removeDevice(first.id, { reason: 'device removed', at: clock.now() });
    service.forget(first.id);
    const second = addNetbotz('nb-2');
    expect(second.id).toBe(first.id);
    clock.advance(30_000);
    expect(scan(second)).toEqual([]);
    clock.advance(120_000);
    expect(scan(second)).toEqual(['threshold.temperature.above']);
  });

  it("a scan that finds an auto device's profile says so, once", () => {
    const device = store.devices.insert(newDevice({ name: 'nb-1', address: '127.0.220.51', profile: 'auto' }));
    expect(scan(device)).toEqual([]);
    expect(resolved).toEqual([device.id]);
    store.devices.setResolvedProfile(device.id, 'netbotz', '1.3.6.1.4.1.5528.100.20.10.2013', null);
    clock.advance(120_000);
    // The next scan's record has the profile: nothing more to say, and the wait went on.
    expect(scan(store.devices.get(device.id)!)).toEqual(['threshold.temperature.above']);
    expect(resolved).toEqual([device.id]);
  });

  it('a device given another profile starts its waits afresh, even for a reading both profiles have', () => {
    const ups = store.devices.insert(newDevice({ name: 'ups-1', address: '127.0.220.53', profile: 'apc-ups' }));
    const low: ReadingValue[] = [{ reading: 'batteryCharge', instance: '', label: '', value: 40 }];
    const onUps = (profile: string) => service.violations({ device: { ...ups, profile }, profile: builtinProfile(profile), readings: low, at: clock.now() }).map((a) => a.code);
    service.add({ profile: 'apc-ups', reading: 'batteryCharge', level: 'warning', below: 50, forSeconds: 120 });
    service.add({ profile: 'rfc1628-ups', reading: 'batteryCharge', level: 'warning', below: 50, forSeconds: 120 });
    expect(onUps('apc-ups')).toEqual([]);
    clock.advance(100_000);
    expect(onUps('rfc1628-ups')).toEqual([]);
    clock.advance(100_000);
    expect(onUps('rfc1628-ups')).toEqual([]);
    clock.advance(20_000);
    expect(onUps('rfc1628-ups')).toEqual(['threshold.batteryCharge.below']);
  });

  it('a scan without readings ends any wait', () => {
    const device = addNetbotz();
    expect(scan(device)).toEqual([]);
    clock.advance(100_000);
    expect(scan(device, [])).toEqual([]);
    clock.advance(30_000);
    expect(scan(device)).toEqual([]);
  });

  it('reads the API\'s overrides again after a change, and names the devices it concerns', () => {
    const device = addNetbotz();
    const other = store.devices.insert(newDevice({ name: 'ups-1', address: '127.0.220.52', profile: 'apc-ups' }));
    const created = service.add({ device: 'nb-1', reading: 'temperature', level: 'warning', above: 30, forSeconds: 0 });
    expect(changed).toEqual([[device.id]]);
    expect(scan(device)).toEqual([]);
    service.update(created.id, { above: 25 });
    expect(scan(device)).toEqual(['threshold.temperature.above']);
    service.add({ profile: 'apc-ups', reading: 'batteryCharge', level: 'warning', below: 60 });
    expect(changed).toEqual([[device.id], [device.id], [other.id]]);
    service.remove(created.id);
    expect(service.effective(device).thresholds.find((t) => t.reading === 'temperature' && t.level === 'warning')).toMatchObject({ above: 27, forSeconds: 120, override: { origin: 'config' } });
  });
});
