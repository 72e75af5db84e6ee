// Acknowledgements in the store: on the active alarm and in the event log as their own kind, gone
// with the clear (a new raise starts unacknowledged), and the migration that lets the log hold them
// keeps every event id and the id counter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../src/alarms/model.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { storeLogMismatches } from '../helpers/event-replay.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

const onBattery: Alarm = { key: 'ups:2:ups.onBattery', severity: 'critical', code: 'ups.onBattery', description: 'UPS on battery' };
const overload: Alarm = { key: 'ups:8:ups.overload', severity: 'warning', code: 'ups.overload', description: 'Output overloaded' };

eachStore('test/unit/store-acks.test.ts', (backend) => {
  let store: Store;
  let deviceId: number;

  beforeEach(() => {
    store = backend.open({ clock: new FakeClock() });
    deviceId = store.devices.insert(newDevice()).id;
  });

  const ack = (at: number, comment = 'battery test until 14:00', by = 'ops') => store.alarms.acknowledge({ deviceId, key: onBattery.key, by, at, comment });
  const unack = (at: number, comment: string | null = null) => store.alarms.unacknowledge({ deviceId, key: onBattery.key, by: 'lead', at, comment });

  describe('acknowledging an active alarm', () => {
    it('records who, when and why on the alarm, logs an ack event, and leaves the alarm active', () => {
      store.alarms.applyScan(deviceId, [onBattery, overload], 1000);
      const outcome = ack(2000);
      expect(outcome).toMatchObject({ ok: true, alarm: { key: onBattery.key, acknowledgement: { by: 'ops', at: 2000, comment: 'battery test until 14:00' } } });
      // Both raised at once: listed by key.
      expect(store.alarms.active().map((a) => [a.key, a.acknowledgement ?? null])).toEqual([
        [onBattery.key, { by: 'ops', at: 2000, comment: 'battery test until 14:00' }],
        [overload.key, null],
      ]);
      const logged = store.alarms.events(0, 10).at(-1)!;
      expect(logged).toMatchObject({ kind: 'ack', deviceId, deviceName: 'ups-1', key: onBattery.key, code: 'ups.onBattery', severity: 'critical', at: 2000, by: 'ops', comment: 'battery test until 14:00', reason: null });
      expect(outcome.ok && outcome.event).toEqual(logged);
      // Raises and clears read as before: no acknowledgement fields.
      expect(store.alarms.events(0, 10)[0]).not.toHaveProperty('by');
      expect(storeLogMismatches(store)).toEqual([]);
    });

    it('refuses a second acknowledgement, and an alarm that is not active, changing nothing', () => {
      store.alarms.applyScan(deviceId, [onBattery], 1000);
      ack(2000);
      const before = store.alarms.lastEventId();
      expect(ack(3000, 'again', 'someone-else')).toMatchObject({ ok: false, why: 'already-acknowledged', alarm: { acknowledgement: { by: 'ops' } } });
      expect(store.alarms.acknowledge({ deviceId, key: 'no-such-key', by: 'ops', at: 3000, comment: 'x' })).toEqual({ ok: false, why: 'not-active' });
      expect(() => store.alarms.acknowledge({ deviceId: 999, key: onBattery.key, by: 'ops', at: 3000, comment: 'x' })).toThrow(/999/);
      expect(store.alarms.lastEventId()).toBe(before);
    });

    it('withdraws an acknowledgement with an unack event; refuses one where there is none', () => {
      store.alarms.applyScan(deviceId, [onBattery], 1000);
      expect(unack(1500)).toMatchObject({ ok: false, why: 'not-acknowledged' });
      ack(2000);
      const outcome = unack(2500, 'the test overran');
      expect(outcome).toMatchObject({ ok: true, event: { kind: 'unack', by: 'lead', comment: 'the test overran', at: 2500 } });
      expect(store.alarms.activeAlarm(deviceId, onBattery.key)).not.toHaveProperty('acknowledgement');
      // Acknowledged again after the withdrawal.
      expect(ack(3000, 'second look')).toMatchObject({ ok: true });
      expect(store.alarms.events(0, 10).map((e) => e.kind)).toEqual(['raise', 'ack', 'unack', 'ack']);
      expect(storeLogMismatches(store)).toEqual([]);
    });

    it('goes with the clear: the same key raised again starts unacknowledged', () => {
      store.alarms.applyScan(deviceId, [onBattery], 1000);
      ack(2000);
      store.alarms.applyScan(deviceId, [], 3000);
      store.alarms.applyScan(deviceId, [onBattery], 4000);
      expect(store.alarms.activeAlarm(deviceId, onBattery.key)).toEqual({ deviceId, ...onBattery, raisedAt: 4000 });
      expect(ack(5000, 'new occurrence')).toMatchObject({ ok: true });
      expect(store.alarms.events(0, 10).map((e) => e.kind)).toEqual(['raise', 'ack', 'clear', 'raise', 'ack']);
      expect(storeLogMismatches(store)).toEqual([]);
    });

    it('finds the raise event of an active alarm (to send it late, when maintenance held it back)', () => {
      store.alarms.applyScan(deviceId, [onBattery], 1000);
      store.alarms.applyScan(deviceId, [], 2000);
      const second = store.alarms.applyScan(deviceId, [onBattery], 3000).raised[0]!;
      ack(3500);
      expect(store.alarms.lastRaise(deviceId, onBattery.key)).toEqual(second);
      expect(store.alarms.lastRaise(deviceId, overload.key)).toBeUndefined();
    });
  });
});

describe('the migration to a log that holds acknowledgements', () => {
  const ACKS = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('CREATE TABLE events_next'));

  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every event, its id, and the id counter past deleted rows', () => {
    expect(ACKS).toBeGreaterThan(0);
    dir = mkdtempSync(join(tmpdir(), 'priscan-acks-'));
    const path = join(dir, 'priscan.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, ACKS) });
    old.prepare(`INSERT INTO devices (id, name, address, port, snmp_version, read_community, write_community, profile,
      priority_scanning, interval_s, timeout_ms, retries, origin, created_at) VALUES (1, 'ups-1', '127.0.235.9', 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, 'api', 1)`).run();
    old.prepare(`INSERT INTO alarms_active (device_id, key, severity, code, description, raised_at) VALUES (1, ?, 'critical', 'ups.onBattery', 'UPS on battery', 30)`).run(onBattery.key);
    const event = old.prepare(`INSERT INTO events (device_id, device_name, kind, key, severity, code, description, at, reason) VALUES (1, 'ups-1', ?, ?, 'critical', 'ups.onBattery', 'UPS on battery', ?, ?)`);
    event.run('raise', onBattery.key, 10, null);
    event.run('clear', onBattery.key, 20, 'device removed');
    event.run('raise', onBattery.key, 30, null);
    event.run('raise', 'gone', 40, null);
    old.prepare("DELETE FROM events WHERE key = 'gone'").run();
    old.close();

    const store = SqliteStore.open(path, new FakeClock());
    expect(store.alarms.events(0, 10).map((e) => [e.id, e.kind, e.at, e.reason])).toEqual([
      [1, 'raise', 10, null],
      [2, 'clear', 20, 'device removed'],
      [3, 'raise', 30, null],
    ]);
    expect(store.alarms.lastEventId()).toBe(4);
    const outcome = store.alarms.acknowledge({ deviceId: 1, key: onBattery.key, by: 'ops', at: 50, comment: 'after the upgrade' });
    // Id 4 belonged to a deleted row: never given out again.
    expect(outcome).toMatchObject({ ok: true, event: { id: 5, kind: 'ack' } });
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(storeLogMismatches(store)).toEqual([]);
    store.close();
  });
});
