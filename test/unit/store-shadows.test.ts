import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { StoreConflictError, type NewDevice } from '../../src/store/devices.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

// Lead and shadow devices in the store: shadows share their lead's address (the one place where
// the "one device per address" rule is relaxed), follow its endpoint and credentials, and a lead
// is one level deep and cannot be deleted under its shadows. On both backends; the migration of a
// database from before shadows is SQLite's here, PostgreSQL's in test/integration/store-postgres.test.ts.

const LEAD_SNMP = { version: '2c', readCommunity: 'lead-read', writeCommunity: 'lead-write', notifyCommunity: null } as const;
const pdu = (overrides: Partial<NewDevice> = {}) => newDevice({ name: 'pdu-1', address: '10.0.0.5', profile: 'apc-rpdu', snmp: LEAD_SNMP, chainPosition: 1, ...overrides });
const shadow = (leadId: number, position: number, overrides: Partial<NewDevice> = {}) =>
  newDevice({ name: `pdu-${position}`, address: '10.0.0.5', profile: 'apc-rpdu', priorityScanning: false, leadId, chainPosition: position, ...overrides });

eachStore('test/unit/store-shadows.test.ts', (backend) => {
  describe('shadow devices in the store', () => {
    let store: Store;
    beforeEach(() => {
      store = backend.open({ clock: new FakeClock(1_700_000_000_000) });
    });

    it('keeps shadows at their lead\'s address with its credentials, and lists them by lead', () => {
      const lead = store.devices.insert(pdu());
      const second = store.devices.insert(shadow(lead.id, 2, { snmp: { version: '2c', readCommunity: 'other', writeCommunity: 'other', notifyCommunity: null } }));
      const third = store.devices.insert(shadow(lead.id, 3));
      expect(second).toMatchObject({ leadId: lead.id, chainPosition: 2, address: '10.0.0.5', snmp: LEAD_SNMP });
      expect(store.devices.shadowsOf(lead.id).map((d) => d.name)).toEqual(['pdu-2', 'pdu-3']);
      expect(store.devices.shadowsOf(third.id)).toEqual([]);
      // The address belongs to the lead: notifications from it are the lead's.
      expect(store.devices.getByAddress('10.0.0.5')?.id).toBe(lead.id);
      expect(store.devices.count()).toBe(3);
    });

    it('still refuses a second device of its own at an address, and a place in the chain taken twice', () => {
      const lead = store.devices.insert(pdu());
      expect(() => store.devices.insert(pdu({ name: 'other' }))).toThrow(StoreConflictError);
      expect(() => store.devices.insert(pdu({ name: 'other', chainPosition: null }))).toThrow(/a device with address "10.0.0.5" already exists/);
      store.devices.insert(shadow(lead.id, 2));
      expect(() => store.devices.insert(shadow(lead.id, 2, { name: 'pdu-2b' }))).toThrow(/a device with chainPosition 2 at 10.0.0.5 already exists/);
      expect(() => store.devices.insert(shadow(lead.id, 1, { name: 'pdu-1b' }))).toThrow(/chainPosition 1 at 10.0.0.5/);
    });

    it('refuses relations it cannot hold, naming the devices, and changes nothing', () => {
      const lead = store.devices.insert(pdu());
      const second = store.devices.insert(shadow(lead.id, 2));
      const elsewhere = store.devices.insert(pdu({ name: 'pdu-9', address: '10.0.0.9' }));
      const before = JSON.stringify(store.devices.list());
      const refused: Array<[() => unknown, RegExp]> = [
        [() => store.devices.insert(shadow(second.id, 3)), /pdu-2 is itself a shadow \(of device \d+\): a lead has no lead/],
        [() => store.devices.insert(shadow(lead.id, 3, { address: '10.0.0.6' })), /pdu-1 is at 10.0.0.5 port 161, not 10.0.0.6 port 161/],
        [() => store.devices.insert(shadow(lead.id, 3, { port: 1161 })), /not 10.0.0.5 port 1161/],
        [() => store.devices.insert(shadow(lead.id, 3, { priorityScanning: true })), /priscan registers on the lead only/],
        [() => store.devices.insert(shadow(lead.id, 3, { chainPosition: null })), /it needs its chainPosition/],
        [() => store.devices.insert(shadow(999, 3)), /no device with id 999 to be the lead/],
        [() => store.devices.update(lead.id, { leadId: elsewhere.id, address: '10.0.0.9', priorityScanning: false }), /pdu-1 is the lead of a shadow: a lead cannot become a shadow/],
        [() => store.devices.update(elsewhere.id, { leadId: elsewhere.id, priorityScanning: false }), /pdu-9 cannot be its own lead/],
        [() => store.devices.update(elsewhere.id, { leadId: second.id, address: '10.0.0.5', priorityScanning: false }), /pdu-2 is itself a shadow/],
        [() => store.devices.update(second.id, { address: '10.0.0.6' }), /a shadow is reached at its lead's address/],
      ];
      for (const [attempt, message] of refused) expect(attempt).toThrow(expect.objectContaining({ name: 'ShadowRelationError', message: expect.stringMatching(message) }));
      expect(JSON.stringify(store.devices.list())).toBe(before);
    });

    it('moves shadows with their lead, credentials included, and forgets what was about the old address', () => {
      const lead = store.devices.insert(pdu());
      const second = store.devices.insert(shadow(lead.id, 2));
      store.devices.recordScan(second.id, { at: 1, durationMs: 5, ok: false, error: 'no answer from 10.0.0.5:161', reachable: false });
      const newSnmp = { version: '2c', readCommunity: 'new-read', writeCommunity: 'new-write', notifyCommunity: null } as const;
      store.devices.update(lead.id, { address: '10.0.0.7', port: 1161, snmp: newSnmp });
      expect(store.devices.get(second.id)).toMatchObject({ address: '10.0.0.7', port: 1161, snmp: newSnmp, state: { reachable: null, lastError: null } });
      // Credentials alone follow too, and a shadow's own change of them does not stick.
      store.devices.update(lead.id, { snmp: LEAD_SNMP });
      expect(store.devices.get(second.id)?.snmp).toEqual(LEAD_SNMP);
      store.devices.update(second.id, { snmp: newSnmp, intervalSeconds: 600 });
      expect(store.devices.get(second.id)).toMatchObject({ snmp: LEAD_SNMP, intervalSeconds: 600 });
    });

    it('re-parents a shadow to a lead at its address, and makes a shadow a device of its own elsewhere', () => {
      const lead = store.devices.insert(pdu());
      const second = store.devices.insert(shadow(lead.id, 2));
      const other = store.devices.insert(pdu({ name: 'pdu-9', address: '10.0.0.9', chainPosition: null }));
      expect(store.devices.update(second.id, { leadId: other.id, address: '10.0.0.9' })).toMatchObject({ leadId: other.id, address: '10.0.0.9' });
      // Its own again, at the address its lead owns: one device per address refuses it.
      expect(() => store.devices.update(second.id, { leadId: null })).toThrow(/a device with address "10.0.0.9" already exists/);
      expect(store.devices.update(second.id, { leadId: null, address: '10.0.0.10', priorityScanning: true })).toMatchObject({ leadId: null, address: '10.0.0.10' });
      expect(store.devices.shadowsOf(other.id)).toEqual([]);
    });

    it('does not delete a lead under its shadows', () => {
      const lead = store.devices.insert(pdu());
      const second = store.devices.insert(shadow(lead.id, 2));
      expect(() => store.removeDevice(lead.id, { reason: 'device removed', at: 2 })).toThrow(/FOREIGN KEY/);
      expect(store.devices.get(lead.id)).toBeDefined();
      store.removeDevice(second.id, { reason: 'device removed', at: 2 });
      expect(store.removeDevice(lead.id, { reason: 'device removed', at: 3 })).toEqual([]);
    });
  });
});

describe('the SQLite store from before shadows', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-shadows-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a database from before shadows, keeping every device and its one address each', () => {
    const path = join(dir, 'old.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, -1) });
    old
      .prepare(
        `INSERT INTO devices (name, address, port, snmp_version, read_community, write_community, profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, site)
         VALUES ('ups-1', '10.0.0.1', 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, 'api', 1, 'dc1')`,
      )
      .run();
    old.close();
    const store = SqliteStore.open(path, new FakeClock(1));
    try {
      expect(store.devices.list()).toEqual([expect.objectContaining({ name: 'ups-1', site: 'dc1', leadId: null, chainPosition: null })]);
      expect(() => store.devices.insert(newDevice({ name: 'ups-2', address: '10.0.0.1' }))).toThrow(StoreConflictError);
    } finally {
      store.close();
    }
  });
});
