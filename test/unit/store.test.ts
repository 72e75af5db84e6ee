import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, userVersion } from '../../src/store/database.js';
import { StoreConflictError, type NewDevice } from '../../src/store/devices.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

const SECRET = 'very-secret-community';

function device(overrides: Partial<NewDevice> = {}): NewDevice {
  return newDevice({ snmp: { version: '2c', readCommunity: SECRET, writeCommunity: `${SECRET}-w`, notifyCommunity: null }, ...overrides });
}

let dir: string;
let clock: FakeClock;
const opened: SqliteStore[] = [];

function open(file = 'priscan.db'): SqliteStore {
  const store = SqliteStore.open(join(dir, file), clock);
  opened.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-store-'));
  clock = new FakeClock(1_700_000_000_000);
});

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('migrates a fresh file and keeps data and version across a re-open', () => {
    const first = open();
    expect(userVersion(first.db)).toBe(MIGRATIONS.length);
    first.devices.insert(device());
    first.close();

    const second = open();
    expect(userVersion(second.db)).toBe(MIGRATIONS.length);
    expect(second.devices.list().map((d) => d.name)).toEqual(['ups-1']);
  });

  it('turns on WAL, NORMAL sync and foreign keys', () => {
    const { db } = open();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
  });

  it('works in memory', () => {
    const store = SqliteStore.open(':memory:', clock);
    opened.push(store);
    expect(store.devices.insert(device()).id).toBe(1);
  });

  it('creates the parent directory', () => {
    const store = open('a/b/c/priscan.db');
    expect(store.devices.count()).toBe(0);
  });

  it('makes the database file 0600 and the directories it creates 0700, whatever the umask allows', () => {
    const store = open('private/data/priscan.db');
    store.devices.insert(device());
    const mode = (rel: string) => statSync(join(dir, rel)).mode & 0o777;
    expect(mode('private')).toBe(0o700);
    expect(mode('private/data')).toBe(0o700);
    expect(readdirSync(join(dir, 'private/data')).sort()).toEqual(['priscan.db', 'priscan.db-shm', 'priscan.db-wal']);
    for (const file of ['priscan.db', 'priscan.db-shm', 'priscan.db-wal']) expect(mode(`private/data/${file}`), file).toBe(0o600);
  });

  it('takes away what others may do with an existing database, and leaves its group alone', () => {
    open().close();
    chmodSync(join(dir, 'priscan.db'), 0o664);
    open();
    expect(statSync(join(dir, 'priscan.db')).mode & 0o777).toBe(0o660);
  });

  it('opens read-only without creating or migrating anything', () => {
    const path = join(dir, 'ro.db');
    expect(() => SqliteStore.open(path, clock, { readOnly: true })).toThrow(/cannot open database .*ro\.db/);
    expect(existsSync(path)).toBe(false);
    openDatabase(path, { migrations: MIGRATIONS.slice(0, 1) }).close();
    expect(() => SqliteStore.open(path, clock, { readOnly: true })).toThrow(new RegExp(`schema version 1, this priscan reads version ${MIGRATIONS.length}: start priscan serve once`));
    open('ro.db').close();
    const store = SqliteStore.open(path, clock, { readOnly: true });
    opened.push(store);
    expect(store.devices.list()).toEqual([]);
    expect(() => store.devices.insert(device())).toThrow(/readonly/);
  });

  it('names the path when the directory cannot be created', () => {
    writeFileSync(join(dir, 'plain-file'), '');
    const path = join(dir, 'plain-file', 'sub', 'priscan.db');
    expect(() => SqliteStore.open(path, clock)).toThrow(/cannot create the database directory .*plain-file.*(ENOTDIR|EEXIST)/);
  });

  it('names the path when the file cannot be opened', () => {
    const path = join(dir, 'is-a-dir');
    openDatabase(join(path, 'x.db')).close();
    expect(() => SqliteStore.open(path, clock)).toThrow(new RegExp(`cannot open database ${path}`));
  });

  it('refuses a database from a newer priscan and leaves it untouched', () => {
    const path = join(dir, 'newer.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => SqliteStore.open(path, clock)).toThrow(
      new RegExp(`schema version ${MIGRATIONS.length + 1}.*up to ${MIGRATIONS.length}.*newer priscan`),
    );
    const check = new Database(path);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(userVersion(check)).toBe(MIGRATIONS.length + 1);
    check.close();
  });

  it('applies only the migrations a database has not seen, each atomically', () => {
    const path = join(dir, 'steps.db');
    openDatabase(path, { migrations: ['CREATE TABLE a (x INTEGER)'] }).close();
    const db = openDatabase(path, { migrations: ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)'] });
    expect(userVersion(db)).toBe(2);
    db.close();
    expect(() => openDatabase(path, { migrations: ['', '', 'CREATE TABLE c (z); CREATE TABLE a (x)'] })).toThrow(
      /migration to schema version 3 failed: .*table a already exists/,
    );
    const after = new Database(path);
    expect(userVersion(after)).toBe(2);
    expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'c'").get()).toEqual({ n: 0 });
    after.close();
  });
});

describe('migration to event reasons and the removed registration state', () => {
  it('keeps devices, their active alarms and the log; old events have no reason; removed is accepted', () => {
    const path = join(dir, 'v3.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 3) });
    old.prepare(`INSERT INTO devices (id, name, address, port, snmp_version, read_community, write_community, profile, priority_scanning,
      interval_s, timeout_ms, retries, origin, created_at, registration_state, registered_at) VALUES (4, 'ups-1', '127.0.180.4', 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, 'api', 1, 'registered', 7)`).run();
    old.prepare(`INSERT INTO alarms_active (device_id, key, severity, code, description, raised_at) VALUES (4, 'k', 'critical', 'ups.onBattery', 'UPS on battery', 5)`).run();
    old.prepare(`INSERT INTO events (device_id, device_name, kind, key, severity, code, description, at) VALUES (4, 'ups-1', 'raise', 'k', 'critical', 'ups.onBattery', 'UPS on battery', 5)`).run();
    expect(() => old.prepare("UPDATE devices SET registration_state = 'removed' WHERE id = 4").run()).toThrow(/CHECK constraint failed/);
    old.close();

    const store = open('v3.db');
    expect(userVersion(store.db)).toBe(MIGRATIONS.length);
    expect(store.devices.get(4)).toMatchObject({ name: 'ups-1', state: { registration: 'registered', registeredAt: 7 } });
    expect(store.alarms.active({ deviceId: 4 })).toMatchObject([{ key: 'k' }]);
    expect(store.alarms.events(0, 10)).toMatchObject([{ id: 1, kind: 'raise', reason: null }]);
    store.devices.recordRegistration(4, { at: 9, state: 'removed', error: null });
    expect(store.devices.get(4)?.state).toMatchObject({ registration: 'removed', registeredAt: 7 });
    expect(() => store.db.prepare("UPDATE devices SET registration_state = 'gone' WHERE id = 4").run()).toThrow(/CHECK constraint failed/);
    // The foreign key still holds after the rebuild.
    expect(() => store.db.prepare(`INSERT INTO alarms_active (device_id, key, severity, code, description, raised_at) VALUES (99, 'k', 'info', 'c', 'd', 1)`).run()).toThrow(/FOREIGN KEY/);
    expect(store.removeDevice(4, { reason: 'device removed', at: 10 })).toMatchObject([{ kind: 'clear', key: 'k', reason: 'device removed' }]);
    expect(store.alarms.active()).toEqual([]);
  });
});

eachStore('test/unit/store.test.ts', (backend) => {
  describe('settings', () => {
    it('gets and sets', () => {
      const { settings } = backend.open({ clock });
      expect(settings.get('k')).toBeUndefined();
      settings.set('k', 'v1');
      settings.set('k', 'v2');
      expect(settings.get('k')).toBe('v2');
    });

    it('getOrCreate creates once and is stable across a re-open', () => {
      let calls = 0;
      const create = () => `value-${++calls}`;
      const first = backend.open({ clock });
      expect(first.settings.getOrCreate('community', create)).toBe('value-1');
      expect(first.settings.getOrCreate('community', create)).toBe('value-1');
      first.close();
      expect(backend.open({ clock }).settings.getOrCreate('community', create)).toBe('value-1');
      expect(calls).toBe(1);
    });

    it('getOrCreate stores nothing when create throws', () => {
      const { settings } = backend.open({ clock });
      expect(() =>
        settings.getOrCreate('k', () => {
          throw new Error('no entropy');
        }),
      ).toThrow('no entropy');
      expect(settings.get('k')).toBeUndefined();
    });
  });

  describe('devices', () => {
    it('inserts and reads back by id, name and address', () => {
      const { devices } = backend.open({ clock });
      const record = devices.insert(device());
      expect(record).toEqual({
        ...device(),
        id: 1,
        createdAt: clock.now(),
        resolvedProfile: null,
        state: {
          reachable: null,
          lastScanAt: null,
          lastScanMs: null,
          lastError: null,
          sysObjectId: null,
          sysDescr: null,
          registration: 'pending',
          registrationError: null,
          registeredAt: null,
        },
      });
      expect(devices.get(1)).toEqual(record);
      expect(devices.getByName('ups-1')).toEqual(record);
      expect(devices.getByAddress('127.0.10.1')).toEqual(record);
      expect(devices.get(2)).toBeUndefined();
      expect(devices.getByName('nope')).toBeUndefined();
      expect(devices.count()).toBe(1);
    });

    it('lists by id', () => {
      const { devices } = backend.open({ clock });
      devices.insert(device({ name: 'b', address: '127.0.10.2' }));
      devices.insert(device({ name: 'a', address: '127.0.10.3' }));
      expect(devices.list().map((d) => [d.id, d.name])).toEqual([
        [1, 'b'],
        [2, 'a'],
      ]);
    });

    it('lists the devices of one origin, by id', () => {
      const { devices } = backend.open({ clock });
      devices.insert(device({ name: 'c1', address: '127.0.10.2', origin: 'config' }));
      devices.insert(device({ name: 'a1', address: '127.0.10.3', origin: 'api' }));
      devices.insert(device({ name: 'c2', address: '127.0.10.4', origin: 'config' }));
      expect(devices.listByOrigin('config').map((d) => [d.id, d.name])).toEqual([
        [1, 'c1'],
        [3, 'c2'],
      ]);
      expect(devices.listByOrigin('api').map((d) => d.name)).toEqual(['a1']);
      expect(devices.listByOrigin('config')[0]).toEqual(devices.get(1));
    });

    it('reports a conflicting name or address without any community', () => {
      const { devices } = backend.open({ clock });
      devices.insert(device());
      const byName = catchError(() => devices.insert(device({ address: '127.0.10.9' })));
      expect(byName).toBeInstanceOf(StoreConflictError);
      expect(byName).toMatchObject({ field: 'name', message: expect.stringContaining('ups-1') });
      const byAddress = catchError(() => devices.insert(device({ name: 'other' })));
      expect(byAddress).toMatchObject({ field: 'address', message: expect.stringContaining('127.0.10.1') });
      for (const error of [byName, byAddress]) expect(String(error) + (error as Error).stack).not.toContain(SECRET);
      expect(devices.count()).toBe(1);
    });

    it('updates configuration, keeps state, and reports conflicts', () => {
      const { devices } = backend.open({ clock });
      const a = devices.insert(device());
      const b = devices.insert(device({ name: 'b', address: '127.0.10.2' }));
      devices.recordScan(a.id, { at: 5, durationMs: 7, ok: true, error: null });
      const updated = devices.update(a.id, {
        port: 1161,
        priorityScanning: false,
        snmp: { version: '1', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: 'n' },
        name: undefined,
      });
      expect(updated).toMatchObject({ name: 'ups-1', port: 1161, priorityScanning: false, origin: 'api' });
      expect(updated.snmp).toEqual({ version: '1', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: 'n' });
      // A new port is a new endpoint: whether it answers is unknown again (device-identity.test.ts).
      expect(updated.state).toMatchObject({ reachable: null, lastScanAt: 5, lastScanMs: 7 });
      expect(devices.get(a.id)).toEqual(updated);

      const conflict = catchError(() => devices.update(b.id, { address: '127.0.10.1' }));
      expect(conflict).toMatchObject({ field: 'address' });
      expect((conflict as Error).message).not.toContain(SECRET);
      expect(devices.get(b.id)?.address).toBe('127.0.10.2');
      expect(() => devices.update(99, { port: 1 })).toThrow('unknown device id 99');
    });

    it('forgets the resolved profile when the profile or address changes', () => {
      const { devices } = backend.open({ clock });
      const d = devices.insert(device());
      devices.setResolvedProfile(d.id, 'rfc1628-ups', '1.3.6.1.4.1.1', 'a UPS');
      expect(devices.get(d.id)).toMatchObject({ resolvedProfile: 'rfc1628-ups', state: { sysObjectId: '1.3.6.1.4.1.1', sysDescr: 'a UPS' } });
      expect(devices.update(d.id, { port: 162 }).resolvedProfile).toBe('rfc1628-ups');
      expect(devices.update(d.id, { address: '127.0.10.8' })).toMatchObject({ resolvedProfile: null, state: { sysObjectId: null } });
    });

    it('records scans and registrations', () => {
      const { devices } = backend.open({ clock });
      const { id } = devices.insert(device());
      devices.recordScan(id, { at: 10, durationMs: 3000, ok: false, error: 'timeout' });
      expect(devices.get(id)?.state).toMatchObject({ reachable: false, lastScanAt: 10, lastScanMs: 3000, lastError: 'timeout' });
      devices.recordRegistration(id, { at: 20, state: 'registered', error: null });
      devices.recordRegistration(id, { at: 30, state: 'failed', error: 'noAccess' });
      expect(devices.get(id)?.state).toMatchObject({ registration: 'failed', registrationError: 'noAccess', registeredAt: 20 });
      expect(() => devices.recordScan(42, { at: 1, durationMs: 1, ok: true, error: null })).toThrow('unknown device id 42');
      expect(() => devices.recordRegistration(42, { at: 1, state: 'pending', error: null })).toThrow('unknown device id 42');
      expect(() => devices.setResolvedProfile(42, 'netbotz', null, null)).toThrow('unknown device id 42');
    });

    it('deletes, cascading active alarms but keeping events', () => {
      const store = backend.open({ clock });
      const { id } = store.devices.insert(device());
      store.alarms.applyScan(id, [{ key: 'k', severity: 'critical', code: 'ups.onBattery', description: 'On battery' }], 1);
      expect(store.devices.delete(id)).toBe(true);
      expect(store.devices.delete(id)).toBe(false);
      expect(store.alarms.active()).toEqual([]);
      expect(store.alarms.events(0, 10)).toMatchObject([{ deviceId: id, deviceName: 'ups-1', kind: 'raise' }]);
    });

    it('rejects values the schema does not allow, with a clear error', () => {
      const { devices } = backend.open({ clock });
      expect(() => devices.insert(device({ snmp: { version: '4' as '1', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: null } }))).toThrow(/CHECK constraint failed/);
      // A programming error features cannot make (zod checks ports first): each database words it its own way.
      expect(() => devices.insert(device({ port: 'x' as unknown as number }))).toThrow(backend.name === 'sqlite' ? /devices\.port/ : /invalid input syntax for type integer/);
      expect(devices.count()).toBe(0);
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
