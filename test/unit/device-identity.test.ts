// Device identity (issue 12): one device per address in the store and its migration, config
// devices that meet API devices at start-up, and state that does not outlive its address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceService } from '../../src/app/device-service.js';
import { ConfigError } from '../../src/config/load.js';
import { deviceInputSchema } from '../../src/config/schema.js';
import type { Registrar } from '../../src/registration/registrar.js';
import type { ScanScheduler } from '../../src/scanning/scheduler.js';
import type { DeviceClients } from '../../src/snmp/device-clients.js';
import { canonicaliseDeviceAddresses } from '../../src/store/address-migration.js';
import { openDatabase } from '../../src/store/database.js';
import { StoreConflictError } from '../../src/store/devices.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { builtinProfiles } from '../helpers/profiles.js';
import { SqliteStore } from '../../src/store/store.js';
import { NotificationSources } from '../../src/traps/sources.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

let dir: string;
let clock: FakeClock;
const opened: SqliteStore[] = [];

function open(options: Parameters<typeof SqliteStore.open>[2] = {}): SqliteStore {
  const store = SqliteStore.open(join(dir, 'priscan.db'), clock, options);
  opened.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-identity-'));
  clock = new FakeClock(1_700_000_000_000);
});

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

const conflict = (write: () => unknown): StoreConflictError => {
  try {
    write();
  } catch (error) {
    if (error instanceof StoreConflictError) return error;
    throw error;
  }
  throw new Error('the write was accepted');
};

/** The migration that canonicalises addresses, and the schema version just before it. */
const ADDRESS_MIGRATION = MIGRATIONS.findIndex((m) => typeof m === 'object' && 'apply' in m && m.apply === canonicaliseDeviceAddresses);

describe('the address migration', () => {
  /** A database at the schema version before the address migration, holding two-spelling duplicates. */
  function buildOldDatabase(): void {
    expect(ADDRESS_MIGRATION).toBeGreaterThan(0);
    const old = openDatabase(join(dir, 'priscan.db'), { migrations: MIGRATIONS.slice(0, ADDRESS_MIGRATION) });
    const device = old.prepare(`INSERT INTO devices (id, name, address, port, snmp_version, read_community, write_community, profile,
      priority_scanning, interval_s, timeout_ms, retries, origin, created_at) VALUES (?, ?, ?, 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, ?, ?)`);
    const alarm = old.prepare(`INSERT INTO alarms_active (device_id, key, severity, code, description, raised_at) VALUES (?, ?, 'warning', ?, ?, ?)`);
    const event = old.prepare(`INSERT INTO events (device_id, device_name, kind, key, severity, code, description, at) VALUES (?, ?, ?, ?, 'warning', ?, ?, ?)`);
    // ups-a and ups-a-again are one UPS (admitted twice); pdu-b spelled mapped is older than pdu-b-plain; nb-c only needs respelling.
    device.run(1, 'ups-a', '127.0.175.5', 'api', 1000);
    device.run(2, 'ups-a-again', '::ffff:127.0.175.5', 'api', 2000);
    device.run(3, 'pdu-b', '::FFFF:127.0.175.6', 'config', 500);
    device.run(4, 'pdu-b-plain', '127.0.175.6', 'api', 600);
    device.run(5, 'nb-c', '2001:DB8:0::9', 'api', 700);
    alarm.run(1, 'ups.k1', 'ups.k1', 'k1', 1100);
    alarm.run(1, 'ups.k2', 'ups.k2', 'k2 on ups-a', 1200);
    alarm.run(2, 'ups.k2', 'ups.k2', 'k2 on ups-a-again', 1050);
    alarm.run(2, 'ups.k3', 'ups.k3', 'k3', 2100);
    alarm.run(4, 'pdu.k4', 'pdu.k4', 'k4', 650);
    event.run(1, 'ups-a', 'raise', 'ups.k1', 'ups.k1', 'k1', 1100);
    event.run(2, 'ups-a-again', 'raise', 'ups.k2', 'ups.k2', 'k2', 1050);
    event.run(1, 'ups-a', 'raise', 'ups.k2', 'ups.k2', 'k2', 1200);
    event.run(2, 'ups-a-again', 'raise', 'ups.k3', 'ups.k3', 'k3', 2100);
    event.run(2, 'ups-a-again', 'raise', 'ups.k9', 'ups.k9', 'k9', 2200);
    event.run(2, 'ups-a-again', 'clear', 'ups.k9', 'ups.k9', 'k9', 2300);
    event.run(4, 'pdu-b-plain', 'raise', 'pdu.k4', 'pdu.k4', 'k4', 650);
    old.close();
  }

  it('keeps the older device of each address, moves the newer one\'s alarms and events to it, and says so once per merge', () => {
    buildOldDatabase();
    const notes: string[] = [];
    const store = open({ onMigrationNote: (note) => notes.push(note) });

    expect(store.devices.list().map((d) => [d.id, d.name, d.address])).toEqual([
      [1, 'ups-a', '127.0.175.5'],
      [3, 'pdu-b', '127.0.175.6'],
      [5, 'nb-c', '2001:db8::9'],
    ]);
    // Merged by key: a key both held keeps the kept device's row, raised at the earlier time.
    expect(store.alarms.activeForDevice(1).map((a) => [a.key, a.description, a.raisedAt])).toEqual([
      ['ups.k2', 'k2 on ups-a', 1050],
      ['ups.k1', 'k1', 1100],
      ['ups.k3', 'k3', 2100],
    ]);
    expect(store.alarms.activeForDevice(3).map((a) => a.key)).toEqual(['pdu.k4']);
    // Every event kept, in its row and order, now under the device it belonged to.
    const events = store.alarms.events(0, 100);
    expect(events.map((e) => [e.id, e.deviceId, e.deviceName, e.kind, e.key])).toEqual([
      [1, 1, 'ups-a', 'raise', 'ups.k1'],
      [2, 1, 'ups-a-again', 'raise', 'ups.k2'],
      [3, 1, 'ups-a', 'raise', 'ups.k2'],
      [4, 1, 'ups-a-again', 'raise', 'ups.k3'],
      [5, 1, 'ups-a-again', 'raise', 'ups.k9'],
      [6, 1, 'ups-a-again', 'clear', 'ups.k9'],
      [7, 3, 'pdu-b-plain', 'raise', 'pdu.k4'],
    ]);
    expect(notes).toEqual([
      'merged device "pdu-b-plain" (id 4, address 127.0.175.6) into the older device "pdu-b" (id 3, address ::FFFF:127.0.175.6): ' +
        'one device per address, and both are 127.0.175.6; events moved: 1; active alarms moved: 1, already active there: 0',
      'merged device "ups-a-again" (id 2, address ::ffff:127.0.175.5) into the older device "ups-a" (id 1, address 127.0.175.5): ' +
        'one device per address, and both are 127.0.175.5; events moved: 4; active alarms moved: 1, already active there: 1',
    ]);
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    // Now the database itself refuses the other spelling.
    expect(conflict(() => store.devices.insert(newDevice({ name: 'ups-a-third', address: '::ffff:127.0.175.5' }))).field).toBe('address');
    store.close();

    const again: string[] = [];
    open({ onMigrationNote: (note) => again.push(note) });
    expect(again).toEqual([]);
  });
});

eachStore('test/unit/device-identity.test.ts', (backend) => {
  describe('one device per address in the store', () => {
    it('refuses a second device at another spelling of an address, on insert and on update', () => {
      const store = backend.open({ clock });
      const first = store.devices.insert(newDevice({ name: 'ups-a', address: '127.0.175.5' }));
      const refused = conflict(() => store.devices.insert(newDevice({ name: 'ups-b', address: '::ffff:127.0.175.5' })));
      expect(refused.field).toBe('address');
      expect(refused.message).toBe('a device with address "127.0.175.5" already exists (one device per address: notifications are matched by their source address)');

      const other = store.devices.insert(newDevice({ name: 'pdu-c', address: '2001:DB8::7' }));
      expect(other.address).toBe('2001:db8::7');
      expect(conflict(() => store.devices.update(other.id, { address: '::FFFF:7f00:af05' })).field).toBe('address');
      expect(store.devices.list().map((d) => [d.name, d.address])).toEqual([
        ['ups-a', '127.0.175.5'],
        ['pdu-c', '2001:db8::7'],
      ]);
      expect(store.devices.getByAddress('0:0:0:0:0:ffff:7f00:af05')?.id).toBe(first.id);
    });

    it('refuses to store what is not an address', () => {
      const store = backend.open({ clock });
      expect(() => store.devices.insert(newDevice({ address: 'ups-a.example' }))).toThrow(/device address "ups-a\.example" must be an IPv4 or IPv6 address/);
      expect(store.devices.count()).toBe(0);
    });
  });

  describe('the address a device had', () => {
    it('takes its errors and its reachable and registration state with it when the address or port changes', () => {
      const store = backend.open({ clock });
      const { id } = store.devices.insert(newDevice({ address: '127.0.175.40' }));
      const fail = () => {
        store.devices.recordScan(id, { at: clock.now(), durationMs: 300, ok: false, error: 'no answer from 127.0.175.40:161 within 300 ms' });
        store.devices.recordRegistration(id, { at: clock.now(), state: 'failed', error: 'device 127.0.175.40 did not answer while registering' });
      };
      fail();
      // Other changes keep what was found.
      expect(store.devices.update(id, { intervalSeconds: 600 }).state).toMatchObject({ reachable: false, registration: 'failed' });

      const moved = store.devices.update(id, { address: '127.0.175.41' }).state;
      expect(moved).toMatchObject({ reachable: null, lastError: null, registration: 'pending', registrationError: null, registeredAt: null });
      expect(moved.lastScanAt).toBe(clock.now());

      fail();
      expect(store.devices.update(id, { port: 1161 }).state).toMatchObject({ reachable: null, lastError: null, registration: 'pending', registrationError: null });
      // A respelling is no move.
      fail();
      expect(store.devices.update(id, { address: '::ffff:127.0.175.41' }).state).toMatchObject({ reachable: false, registration: 'failed' });
    });
  });
});

describe('config devices at start-up', () => {
  function service(store: SqliteStore): DeviceService {
    const tracked = new Set<number>();
    const scheduler = {
      has: (id: number) => tracked.has(id),
      addDevice: (id: number) => void tracked.add(id),
      updateDevice: () => undefined,
      removeDevice: (id: number) => void tracked.delete(id),
      requestRegistration: () => undefined,
    } as unknown as ScanScheduler;
    return new DeviceService({
      store,
      licensedNodes: () => 100,
      scheduler,
      registrar: { deregister: async () => null } as unknown as Registrar,
      clients: { forget: () => undefined } as unknown as DeviceClients,
      sources: new NotificationSources(),
      installationCommunity: 'n0tify',
      bus: { publish: () => undefined },
      clock: { now: () => 1_700_000_000_000 },
      profiles: builtinProfiles(),
      log: pino({ level: 'silent' }),
    });
  }
  const declared = (name: string, address: string) =>
    deviceInputSchema.parse({ name, address, snmp: { readCommunity: 'public', writeCommunity: 'private' } });
  const refusal = async (sync: Promise<void>): Promise<string> => {
    const error = await sync.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  };

  it('refuses a config device whose name an API device holds, naming the key and that device, and changes nothing', async () => {
    const store = open();
    const api = store.devices.insert(newDevice({ name: 'ups-a1', address: '127.0.175.50', origin: 'api' }));
    const message = await refusal(service(store).syncDeclared([declared('pdu-1', '127.0.175.51'), declared('ups-a1', '127.0.175.52')]));
    expect(message).toBe(
      `devices.1.name: ups-a1 is already the name of device ${api.id} (ups-a1, address 127.0.175.50, added through the API); ` +
        `a config device never replaces it: change devices.1.name, or remove device ${api.id} first (priscan devices remove ${api.id})`,
    );
    expect(store.devices.list().map((d) => d.name)).toEqual(['ups-a1']);
  });

  it('refuses a config device at an API device\'s address, in any spelling', async () => {
    const store = open();
    const api = store.devices.insert(newDevice({ name: 'ups-a1', address: '127.0.175.50', origin: 'api' }));
    const message = await refusal(service(store).syncDeclared([declared('ups-b2', '::ffff:127.0.175.50')]));
    expect(message).toMatch(new RegExp(`^devices\\.0\\.address: 127\\.0\\.175\\.50 is already the address of device ${api.id} \\(ups-a1, .*added through the API\\)`));
    expect(store.devices.list().map((d) => d.name)).toEqual(['ups-a1']);
  });

  it('applies a config device renamed at the same address: the old name goes first', async () => {
    const store = open();
    const devices = service(store);
    await devices.syncDeclared([declared('ups-old', '127.0.175.53')]);
    await devices.syncDeclared([declared('ups-new', '127.0.175.53')]);
    expect(store.devices.list().map((d) => [d.name, d.address, d.origin])).toEqual([['ups-new', '127.0.175.53', 'config']]);
  });
});
