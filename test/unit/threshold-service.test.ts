// The threshold service's bookkeeping around the pure evaluator: a violation waiting out its
// forSeconds is forgotten with its device (SQLite hands a deleted device's id to the next one) and
// when a scan finds the device's profile (which it then reports, for the cadence), and the API's
// overrides are read again after each change.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ThresholdService } from '../../src/app/threshold-service.js';
import { parseConfig } from '../../src/config/load.js';
import type { ReadingValue } from '../../src/scanning/evaluate.js';
import type { DeviceRecord } from '../../src/store/devices.js';
import { Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { builtinProfile, builtinProfiles } from '../helpers/profiles.js';

const NETBOTZ = builtinProfile('netbotz');
const hot: ReadingValue[] = [{ reading: 'temperature', instance: '7', label: 'Rack inlet', value: 28 }];

let clock: FakeClock;
let store: Store;
let resolved: number[];
let changed: number[][];
let service: ThresholdService;

beforeEach(() => {
  clock = new FakeClock();
  store = Store.open(':memory:', clock);
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

  it("a scan that finds the device's profile (auto) says so, and what the device was waiting out starts afresh", () => {
    const device = addNetbotz();
    expect(scan(device)).toEqual([]);
    clock.advance(130_000);
    // Changed to auto meanwhile: the record the scan read has no profile yet, the scan found netbotz.
    expect(scan({ ...device, profile: 'auto', resolvedProfile: null })).toEqual([]);
    expect(resolved).toEqual([device.id]);
    clock.advance(120_000);
    // The next scan's record has the profile: nothing to say.
    expect(scan({ ...device, profile: 'auto', resolvedProfile: 'netbotz' })).toEqual(['threshold.temperature.above']);
    expect(resolved).toEqual([device.id]);
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
