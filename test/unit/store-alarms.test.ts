import { describe, expect, it } from 'vitest';
import { COMMUNICATION_LOST, DEVICE_REMOVED, DEVICE_UNMONITORED, type Alarm } from '../../src/alarms/model.js';
import type { NewDevice } from '../../src/store/devices.js';
import type { Store } from '../../src/store/store.js';
import { storeLogMismatches } from '../helpers/event-replay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

function device(name: string, address: string): NewDevice {
  return {
    name,
    address,
    port: 161,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null },
    profile: 'rfc1628-ups',
    priorityScanning: true,
    intervalSeconds: 300,
    timeoutMs: 3000,
    retries: 1,
    site: null,
    origin: 'config',
  };
}

const alarm = (n: number, severity: Alarm['severity'] = 'warning'): Alarm => ({
  key: `ups.alarms.${n}`,
  severity,
  code: `ups.alarm${n}`,
  description: `Alarm ${n}`,
});

eachStore('test/unit/store-alarms.test.ts', (backend) => {
  const open = (): Store => backend.open({ clock: new FakeClock() });
  /** Rows changed by INSERT/UPDATE/DELETE on this store's connection so far. */
  const totalChanges = (store: Store): number => backend.writes(store);

  describe('applyScan', () => {
    it('raises new keys, clears missing ones, and logs each with the device name', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));

      const first = store.alarms.applyScan(id, [alarm(1), alarm(2, 'critical')], 100);
      expect(first.cleared).toEqual([]);
      expect(first.raised).toEqual([
        { id: 1, deviceId: id, deviceName: 'ups-1', kind: 'raise', at: 100, reason: null, ...alarm(1) },
        { id: 2, deviceId: id, deviceName: 'ups-1', kind: 'raise', at: 100, reason: null, ...alarm(2, 'critical') },
      ]);
      expect(store.alarms.activeForDevice(id)).toEqual([
        { deviceId: id, raisedAt: 100, ...alarm(1) },
        { deviceId: id, raisedAt: 100, ...alarm(2, 'critical') },
      ]);

      store.devices.update(id, { name: 'ups-renamed' });
      const second = store.alarms.applyScan(id, [alarm(2, 'critical'), alarm(3)], 200);
      expect(second.raised).toEqual([{ id: 3, deviceId: id, deviceName: 'ups-renamed', kind: 'raise', at: 200, reason: null, ...alarm(3) }]);
      expect(second.cleared).toEqual([{ id: 4, deviceId: id, deviceName: 'ups-renamed', kind: 'clear', at: 200, reason: null, ...alarm(1) }]);
      expect(store.alarms.activeForDevice(id).map((a) => [a.key, a.raisedAt])).toEqual([
        ['ups.alarms.2', 100],
        ['ups.alarms.3', 200],
      ]);
      expect(store.alarms.events(0, 100)).toEqual([...first.raised, ...second.raised, ...second.cleared]);
      expect(store.alarms.lastEventId()).toBe(4);
    });

    it('writes nothing when the scan is unchanged', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));
      const scan = [alarm(1), alarm(2), alarm(3), alarm(4), alarm(5)];
      store.alarms.applyScan(id, scan, 100);
      const before = totalChanges(store);
      const lastId = store.alarms.lastEventId();

      // Same keys with different text are still the same alarms.
      const changedText = scan.map((a) => ({ ...a, description: `${a.description}!` }));
      for (const again of [scan, [...scan].reverse(), changedText]) {
        expect(store.alarms.applyScan(id, again, 200)).toEqual({ raised: [], cleared: [] });
      }
      expect(totalChanges(store)).toBe(before);
      expect(store.alarms.lastEventId()).toBe(lastId);
      expect(store.alarms.activeForDevice(id).every((a) => a.raisedAt === 100 && !a.description.endsWith('!'))).toBe(true);
    });

    it('takes a duplicated key once', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));
      expect(store.alarms.applyScan(id, [alarm(1), alarm(1)], 1).raised).toHaveLength(1);
    });

    it('throws for an unknown device and changes nothing', () => {
      const store = open();
      expect(() => store.alarms.applyScan(7, [alarm(1)], 1)).toThrow('unknown device id 7');
      expect(() => store.alarms.applyScan(7, [], 1)).toThrow('unknown device id 7');
      expect(store.alarms.lastEventId()).toBe(0);
    });

    it('rolls back the whole scan when one alarm is invalid', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));
      const bad = { ...alarm(2), severity: 'major' as Alarm['severity'] };
      expect(() => store.alarms.applyScan(id, [alarm(1), bad], 1)).toThrow(/CHECK constraint failed/);
      expect(store.alarms.active()).toEqual([]);
      expect(store.alarms.events(0, 10)).toEqual([]);
    });
  });

  describe('single transitions', () => {
    it('raise and clear are idempotent', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));
      const raised = store.alarms.raise(id, COMMUNICATION_LOST, 10);
      expect(raised).toMatchObject({ id: 1, kind: 'raise', key: COMMUNICATION_LOST.key, deviceName: 'ups-1', at: 10 });
      const changes = totalChanges(store);
      expect(store.alarms.raise(id, COMMUNICATION_LOST, 20)).toBeUndefined();
      expect(totalChanges(store)).toBe(changes);
      expect(store.alarms.activeForDevice(id)).toMatchObject([{ key: COMMUNICATION_LOST.key, raisedAt: 10 }]);

      expect(store.alarms.clear(id, COMMUNICATION_LOST.key, 30)).toMatchObject({ id: 2, kind: 'clear', severity: 'critical', at: 30 });
      expect(store.alarms.clear(id, COMMUNICATION_LOST.key, 40)).toBeUndefined();
      expect(store.alarms.activeForDevice(id)).toEqual([]);
      expect(store.alarms.lastEventId()).toBe(2);
    });

    it('a successful scan clears communication-lost', () => {
      const store = open();
      const { id } = store.devices.insert(device('ups-1', '127.0.10.1'));
      store.alarms.raise(id, COMMUNICATION_LOST, 10);
      expect(store.alarms.applyScan(id, [], 20).cleared).toMatchObject([{ key: COMMUNICATION_LOST.key }]);
    });

    it('throw for an unknown device', () => {
      const store = open();
      expect(() => store.alarms.raise(3, COMMUNICATION_LOST, 1)).toThrow('unknown device id 3');
      expect(() => store.alarms.clear(3, 'k', 1)).toThrow('unknown device id 3');
    });
  });

  describe('ending a device\'s alarms without a scan', () => {
    it('removeDevice logs a clear with the reason for each active alarm, then deletes, in one transaction', () => {
      const store = open();
      const a = store.devices.insert(device('a', '127.0.10.1')).id;
      const b = store.devices.insert(device('b', '127.0.10.2')).id;
      store.alarms.applyScan(a, [alarm(1), alarm(2, 'critical')], 10);
      store.alarms.applyScan(b, [alarm(1)], 10);
      const before = store.alarms.lastEventId();

      const cleared = store.removeDevice(a, { reason: DEVICE_REMOVED, at: 20 });
      expect(cleared).toEqual([
        { id: before + 1, deviceId: a, deviceName: 'a', kind: 'clear', at: 20, reason: 'device removed', ...alarm(1) },
        { id: before + 2, deviceId: a, deviceName: 'a', kind: 'clear', at: 20, reason: 'device removed', ...alarm(2, 'critical') },
      ]);
      expect(store.devices.get(a)).toBeUndefined();
      expect(store.alarms.events(before, 10)).toEqual(cleared);
      expect(store.alarms.active().map((x) => x.deviceId)).toEqual([b]);
      expect(storeLogMismatches(store)).toEqual([]);
      expect(store.removeDevice(a, { reason: DEVICE_REMOVED, at: 30 })).toBeUndefined();
      expect(store.removeDevice(b, { reason: DEVICE_REMOVED, at: 30 })).toHaveLength(1);
      expect(store.devices.count()).toBe(0);
      expect(storeLogMismatches(store)).toEqual([]);
    });

    it('a plain delete would leave a raise the log never clears: what the replay helper catches', () => {
      const store = open();
      const { id } = store.devices.insert(device('a', '127.0.10.1'));
      store.alarms.applyScan(id, [alarm(1)], 10);
      store.devices.delete(id);
      expect(storeLogMismatches(store)).toEqual([`the log leaves ${id} ups.alarms.1 active; the active set does not have it`]);
    });

    it('clearAll ends every active alarm with the reason and keeps the device; raises and scan clears carry none', () => {
      const store = open();
      const { id } = store.devices.insert(device('a', '127.0.10.1'));
      const scanned = store.alarms.applyScan(id, [alarm(1), alarm(2)], 10);
      expect([...scanned.raised, ...store.alarms.applyScan(id, [alarm(1)], 11).cleared].map((e) => e.reason)).toEqual([null, null, null]);
      const changes = totalChanges(store);
      expect(store.alarms.clearAll(id, { reason: DEVICE_UNMONITORED, at: 12 })).toMatchObject([{ kind: 'clear', key: 'ups.alarms.1', reason: 'device unlicensed: no longer monitored', at: 12 }]);
      expect(store.devices.get(id)).toBeDefined();
      expect(store.alarms.activeForDevice(id)).toEqual([]);
      // Nothing left to end: a read only.
      const after = totalChanges(store);
      expect(after).toBeGreaterThan(changes);
      expect(store.alarms.clearAll(id, { reason: DEVICE_UNMONITORED, at: 13 })).toEqual([]);
      expect(totalChanges(store)).toBe(after);
      expect(() => store.alarms.clearAll(99, { reason: DEVICE_UNMONITORED, at: 13 })).toThrow('unknown device id 99');
      expect(storeLogMismatches(store)).toEqual([]);
    });

    it('keeps the reason across a re-open', () => {
      let store = open();
      const { id } = store.devices.insert(device('a', '127.0.10.1'));
      store.alarms.applyScan(id, [alarm(1)], 10);
      store.removeDevice(id, { reason: DEVICE_REMOVED, at: 20 });
      store.close();
      store = open();
      expect(store.alarms.events(0, 10).map((e) => [e.kind, e.reason])).toEqual([
        ['raise', null],
        ['clear', 'device removed'],
      ]);
    });
  });

  describe('active alarms', () => {
    it('filters by device, severity and since, oldest first', () => {
      const store = open();
      const a = store.devices.insert(device('a', '127.0.10.1')).id;
      const b = store.devices.insert(device('b', '127.0.10.2')).id;
      store.alarms.applyScan(b, [alarm(1, 'critical')], 300);
      store.alarms.applyScan(a, [alarm(2, 'info')], 100);
      store.alarms.applyScan(a, [alarm(2, 'info'), alarm(3, 'critical')], 200);
      const keys = (list: { deviceId: number; key: string }[]) => list.map((x) => `${x.deviceId}:${x.key}`);
      expect(keys(store.alarms.active())).toEqual([`${a}:ups.alarms.2`, `${a}:ups.alarms.3`, `${b}:ups.alarms.1`]);
      expect(keys(store.alarms.active({ deviceId: a }))).toEqual([`${a}:ups.alarms.2`, `${a}:ups.alarms.3`]);
      expect(keys(store.alarms.active({ severity: 'critical' }))).toEqual([`${a}:ups.alarms.3`, `${b}:ups.alarms.1`]);
      expect(keys(store.alarms.active({ since: 200, deviceId: b }))).toEqual([`${b}:ups.alarms.1`]);
      expect(store.alarms.active({ deviceId: 99 })).toEqual([]);
    });
  });

  describe('event log', () => {
    it('ids increase across devices and across a close and re-open, even after the device is gone', () => {
      let store = open();
      const a = store.devices.insert(device('a', '127.0.10.1')).id;
      const b = store.devices.insert(device('b', '127.0.10.2')).id;
      const ids = [
        ...store.alarms.applyScan(a, [alarm(1)], 1).raised,
        ...store.alarms.applyScan(b, [alarm(1)], 2).raised,
        ...store.alarms.applyScan(a, [], 3).cleared,
      ].map((e) => e.id);
      store.devices.delete(b);
      // Deleting the newest events must not let their ids come back.
      backend.sql('DELETE FROM events WHERE id = ?', [ids.at(-1)]);
      store.close();

      store = open();
      expect(store.alarms.lastEventId()).toBe(3);
      ids.push(store.alarms.raise(a, COMMUNICATION_LOST, 4)!.id);
      expect(ids).toEqual([1, 2, 3, 4]);
      expect(store.alarms.events(0, 10).map((e) => [e.id, e.deviceName])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [4, 'a'],
      ]);
    });

    it('pages with after and limit, capped at 1000', () => {
      const store = open();
      const { id } = store.devices.insert(device('a', '127.0.10.1'));
      const many = Array.from({ length: 1200 }, (_, i) => alarm(i));
      store.alarms.applyScan(id, many, 1);
      expect(store.alarms.events(0, 3).map((e) => e.id)).toEqual([1, 2, 3]);
      expect(store.alarms.events(3, 2).map((e) => e.id)).toEqual([4, 5]);
      expect(store.alarms.events(1198, 10).map((e) => e.id)).toEqual([1199, 1200]);
      expect(store.alarms.events(1200, 10)).toEqual([]);
      expect(store.alarms.events(0, 5000)).toHaveLength(1000);
      expect(() => store.alarms.events(0, 0)).toThrow(/limit must be a positive integer/);
      expect(() => store.alarms.events(-1, 1)).toThrow(/afterId must be a non-negative integer/);
      expect(() => store.alarms.events(Number.NaN, 1)).toThrow(/afterId/);
    });
  });

  describe('durability', () => {
    it('a second connection sees a committed scan', () => {
      const writer = open();
      const { id } = writer.devices.insert(device('a', '127.0.10.1'));
      writer.alarms.applyScan(id, [alarm(1), alarm(2)], 5);
      writer.devices.recordScan(id, { at: 5, durationMs: 12, ok: true, error: null });

      const reader = open();
      expect(reader.alarms.activeForDevice(id).map((a) => a.key)).toEqual(['ups.alarms.1', 'ups.alarms.2']);
      expect(reader.alarms.lastEventId()).toBe(2);
      expect(reader.devices.get(id)?.state.reachable).toBe(true);

      // And the second connection can write in turn (the first holds no lock between calls).
      expect(reader.alarms.applyScan(id, [alarm(1)], 6).cleared).toHaveLength(1);
      expect(writer.alarms.activeForDevice(id)).toHaveLength(1);
      expect(writer.alarms.applyScan(id, [alarm(1)], 7)).toEqual({ raised: [], cleared: [] });
    });
  });
});
