import { beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_REMOVED, type Alarm } from '../../src/alarms/model.js';
import { pointDue, type HistoryPolicy, type ReadingSample } from '../../src/store/readings.js';
import type { Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { eachStore } from '../helpers/stores.js';

const T0 = 1_700_000_000_000;
const SECOND = 1000;
const POLICY: HistoryPolicy = { minIntervalMs: 10 * SECOND, unchangedIntervalMs: 300 * SECOND, maxSeriesPerDevice: 4 };

const temp = (value: number, instance = '1', label = 'Inlet'): ReadingSample => ({ reading: 'temperature', instance, label, unit: 'celsius', value, state: null });
const door = (value: number, state: string | null): ReadingSample => ({ reading: 'door', instance: '1', label: 'Front door', unit: 'state', value, state });
const charge = (value: number): ReadingSample => ({ reading: 'batteryCharge', instance: '', label: '', unit: 'percent', value, state: null });

eachStore('test/unit/store-readings.test.ts', (backend) => {
  let store: Store;
  let deviceId: number;

  const count = (table: string) => backend.sql<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)[0]!.n;
  const history = (instance = '1', reading = 'temperature') =>
    store.readings.history({ deviceId, reading, instance, since: 0, until: Number.MAX_SAFE_INTEGER, limit: 1000 })?.map((p) => [p.at - T0, p.value, p.state]);

  beforeEach(() => {
    store = backend.open({ clock: { now: () => T0 }, readingHistory: POLICY });
    deviceId = store.devices.insert(newDevice()).id;
  });

  describe('the readings tables', () => {
    it('come with the schema, empty', () => {
      expect(count('reading_series')).toBe(0);
      expect(count('reading_points')).toBe(0);
    });
  });

  describe('last values', () => {
    it('keeps one value per device, reading and row: the newest, with its label, state and time', () => {
      store.readings.record(deviceId, [temp(21.5), temp(19, '2', 'Outlet'), door(1, 'closed'), charge(100)], T0);
      store.readings.record(deviceId, [temp(22.1, '1', 'Inlet (renamed)'), door(0, 'open')], T0 + 60 * SECOND);
      const last = store.readings.last(deviceId);
      const byKey = new Map(last.map((r) => [`${r.reading}/${r.instance}`, r]));
      expect(last).toHaveLength(4);
      expect(byKey.get('temperature/1')).toMatchObject({ value: 22.1, label: 'Inlet (renamed)', unit: 'celsius', state: null, at: T0 + 60 * SECOND });
      expect(byKey.get('temperature/2')).toMatchObject({ value: 19, at: T0 });
      expect(byKey.get('door/1')).toMatchObject({ value: 0, state: 'open', unit: 'state' });
      expect(byKey.get('batteryCharge/')).toMatchObject({ value: 100, label: '', instance: '' });
    });

    it('refuses readings of a device that does not exist, and stores nothing', () => {
      expect(() => store.readings.record(deviceId + 1, [temp(20)], T0)).toThrow(/FOREIGN KEY/);
      expect(count('reading_series')).toBe(0);
    });
  });

  describe('history', () => {
    it('writes a point for a new value, at most one per series per minimum interval, and an unchanged value again after its interval', () => {
      const at = (s: number) => T0 + s * SECOND;
      store.readings.record(deviceId, [temp(20)], at(0)); // first: a point
      store.readings.record(deviceId, [temp(21)], at(5)); // changed, but 5 s after the last point: last value only
      expect(store.readings.last(deviceId)[0]).toMatchObject({ value: 21, at: at(5) });
      store.readings.record(deviceId, [temp(21)], at(10)); // 10 s on, and differs from the newest point (20): a point
      store.readings.record(deviceId, [temp(21)], at(40)); // unchanged: none
      store.readings.record(deviceId, [temp(21)], at(309)); // unchanged, 299 s on: none
      store.readings.record(deviceId, [temp(21)], at(310)); // unchanged, 300 s on: a point
      store.readings.record(deviceId, [temp(22)], at(325)); // changed, 15 s on: a point
      expect(history()).toEqual([
        [0, 20, null],
        [10 * SECOND, 21, null],
        [310 * SECOND, 21, null],
        [325 * SECOND, 22, null],
      ]);
    });

    it('counts a new state as a change, and a clock that stepped back costs one point, not one per scan', () => {
      store.readings.record(deviceId, [door(1, 'closed')], T0);
      store.readings.record(deviceId, [door(1, 'closed')], T0 + 20 * SECOND);
      store.readings.record(deviceId, [door(0, 'open')], T0 + 40 * SECOND);
      expect(history('1', 'door')).toEqual([
        [0, 1, 'closed'],
        [40 * SECOND, 0, 'open'],
      ]);
      // An hour back: one point then, and the spacing counts from it.
      const back = T0 - 3600 * SECOND;
      for (let s = 0; s < 60; s += 2) store.readings.record(deviceId, [door(s % 4 === 0 ? 1 : 0, s % 4 === 0 ? 'closed' : 'open')], back + s * SECOND);
      expect(history('1', 'door')!.filter(([at]) => (at as number) < 0)).toHaveLength(6);
    });

    it('stays bounded under a storm of scans: one point per series per minimum interval, whatever the values', () => {
      // A scan every 500 ms for ten minutes (20 per interval), each with a new value.
      for (let i = 0; i < 1200; i++) store.readings.record(deviceId, [temp(20 + (i % 7) / 10)], T0 + i * 500);
      expect(count('reading_points')).toBe(60);
    });

    it('answers a range oldest first, up to a limit, and nothing for a series it does not have', () => {
      for (let s = 0; s < 100; s += 10) store.readings.record(deviceId, [temp(20 + s)], T0 + s * SECOND);
      const page = store.readings.history({ deviceId, reading: 'temperature', instance: '1', since: T0 + 20 * SECOND, until: T0 + 70 * SECOND, limit: 3 });
      expect(page?.map((p) => p.value)).toEqual([40, 50, 60]);
      // The next page starts just after the last point shown.
      const rest = store.readings.history({ deviceId, reading: 'temperature', instance: '1', since: T0 + 40 * SECOND + 1, until: T0 + 70 * SECOND, limit: 3 });
      expect(rest?.map((p) => p.value)).toEqual([70, 80]);
      expect(store.readings.history({ deviceId, reading: 'temperature', instance: '9', since: 0, until: T0 * 2, limit: 3 })).toBeUndefined();
    });
  });

  describe('series per device', () => {
    it('drops new rows beyond the limit, and makes room by forgetting rows the device no longer reports', () => {
      const rows = (n: number, from = 1) => Array.from({ length: n }, (_, i) => temp(20, String(from + i), `Sensor ${from + i}`));
      expect(store.readings.record(deviceId, rows(6), T0)).toEqual({ points: 4, dropped: 2 });
      expect(store.readings.last(deviceId).map((r) => r.instance)).toEqual(['1', '2', '3', '4']);
      // The device now reports rows 3 to 6: 1 and 2 (not read since) make room for 5 and 6.
      expect(store.readings.record(deviceId, rows(4, 3), T0 + 60 * SECOND)).toMatchObject({ dropped: 0 });
      expect(store.readings.last(deviceId).map((r) => r.instance).sort()).toEqual(['3', '4', '5', '6']);
      expect(history('1')).toBeUndefined();
      expect(count('reading_series')).toBe(4);
    });

    it('never forgets a row the same scan reports to make room for a new one', () => {
      const rows = (...instances: number[]) => instances.map((i) => temp(20 + i, String(i), `Sensor ${i}`));
      store.readings.record(deviceId, rows(1, 2, 3, 4), T0);
      // Row 1 is reported first, then a new row 5: room is made by forgetting row 2, the oldest not reported.
      expect(store.readings.record(deviceId, rows(1, 5), T0 + 60 * SECOND)).toEqual({ points: 1, dropped: 0 });
      expect(store.readings.last(deviceId).map((r) => [r.instance, r.at - T0])).toEqual([
        ['1', 60 * SECOND],
        ['3', 0],
        ['4', 0],
        ['5', 60 * SECOND],
      ]);
      expect(history('1')).toEqual([[0, 21, null]]);
    });
  });

  describe('pruning', () => {
    const DAY = 24 * 3600 * SECOND;
    /** Three series written every 10 minutes for two days, with a new value each time. */
    function twoDays(): void {
      for (let t = 0; t < 2 * DAY; t += 600 * SECOND) store.readings.record(deviceId, [temp(20 + (t % 7)), temp(30 + (t % 5), '2'), charge(t % 3)], T0 + t);
    }
    const prunePass = (before: number, maxRows: number) => {
      const steps = [];
      let after = 0;
      for (;;) {
        const step = store.readings.prune({ before, after, maxRows });
        steps.push(step);
        if (step.next === null) return steps;
        after = step.next;
      }
    };

    it('deletes points older than the cutoff, in steps of at most maxRows rows, and keeps the rest', () => {
      twoDays();
      expect(count('reading_points')).toBe(3 * 288);
      const steps = prunePass(T0 + DAY, 50);
      for (const step of steps) expect(step.deletedPoints + step.deletedSeries).toBeLessThanOrEqual(50);
      expect(steps.reduce((n, s) => n + s.deletedPoints, 0)).toBe(3 * 144);
      expect(steps.length).toBeGreaterThanOrEqual(Math.ceil((3 * 144) / 50));
      expect(count('reading_points')).toBe(3 * 144);
      expect(history()!.every(([at]) => (at as number) >= DAY)).toBe(true);
      expect(store.readings.last(deviceId)).toHaveLength(3);
    });

    it('forgets a series not read since the cutoff, with its points', () => {
      twoDays();
      // Row 3 was read once, long ago.
      store.readings.record(deviceId, [temp(25, '3')], T0 + 100 * SECOND);
      prunePass(T0 + DAY, 1000);
      expect(store.readings.last(deviceId).map((r) => `${r.reading}/${r.instance}`).sort()).toEqual(['batteryCharge/', 'temperature/1', 'temperature/2']);
      expect(history('3')).toBeUndefined();
    });

    it('does nothing when nothing is old enough', () => {
      twoDays();
      expect(prunePass(T0 - 1, 10)).toEqual([{ deletedPoints: 0, deletedSeries: 0, next: null }]);
      expect(count('reading_points')).toBe(3 * 288);
    });
  });

  describe('removing a device', () => {
    it('removes its readings and their history, keeps its events, and leaves other devices\' readings', () => {
      const other = store.devices.insert(newDevice({ name: 'ups-2', address: '127.0.10.2' })).id;
      const alarm: Alarm = { key: 'k', severity: 'warning', code: 'ups.onBattery', description: 'On battery' };
      store.alarms.applyScan(deviceId, [alarm], T0);
      store.readings.record(deviceId, [temp(21), charge(90)], T0);
      store.readings.record(other, [charge(80)], T0);
      expect(store.removeDevice(deviceId, { reason: DEVICE_REMOVED, at: T0 + 1 })).toHaveLength(1);
      expect(store.readings.last(deviceId)).toEqual([]);
      expect(count('reading_points')).toBe(1);
      expect(store.readings.last(other).map((r) => r.value)).toEqual([80]);
      expect(store.alarms.events(0, 10, deviceId).map((e) => e.kind)).toEqual(['raise', 'clear']);
    });
  });
});

describe('pointDue', () => {
  it.each([
    ['a new value after the minimum interval', 10, 21, null, true],
    ['a new value sooner', 9, 21, null, false],
    ['an unchanged value before its interval', 299, 20, null, false],
    ['an unchanged value after its interval', 300, 20, null, true],
    ['a new state with the same value', 10, 20, 'open', true],
    ['a time before the newest point', -1, 20, null, true],
  ])('%s', (_name, seconds, value, state, due) => {
    expect(pointDue({ pointAt: T0, pointValue: 20, pointState: null }, { value, state }, T0 + seconds * SECOND, POLICY)).toBe(due);
  });
});
