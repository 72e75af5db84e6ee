// SNMPv3 devices outside the wire: what the config accepts, how a PATCH merges credentials,
// how the store keeps them (and migrates a database from before v3), and the engine's identity.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeSnmp, toDeviceSnmp } from '../../src/app/device-input.js';
import { parseConfig, redactConfig } from '../../src/config/load.js';
import { deviceSnmpSchema } from '../../src/config/schema.js';
import { openDatabase } from '../../src/store/database.js';
import type { DeviceSnmp } from '../../src/store/devices.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/store.js';
import { installationEngine } from '../../src/traps/engine.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';

const V3 = { version: '3', user: 'ups-admin', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' } as const;

describe('device snmp settings', () => {
  it.each<[string, unknown, RegExp | undefined]>([
    ['v2c by default', { readCommunity: 'r', writeCommunity: 'w' }, undefined],
    ['v3 authPriv', V3, undefined],
    ['v3 authNoPriv', { version: '3', user: 'u', level: 'authNoPriv', authProtocol: 'md5', authPassword: 'auth-passw0rd' }, undefined],
    ['v3 noAuthNoPriv', { version: '3', user: 'u', level: 'noAuthNoPriv' }, undefined],
    ['v3 DES (the runner has the legacy provider)', { ...V3, privProtocol: 'des' }, undefined],
    ['v3 without a password', { ...V3, authPassword: undefined }, /needs authProtocol and authPassword/],
    ['v3 with a short password', { ...V3, privPassword: 'short' }, /at least 8 characters/],
    ['v3 authNoPriv with a privacy protocol', { ...V3, level: 'authNoPriv' }, /authNoPriv takes no privProtocol/],
    ['v3 noAuthNoPriv with keys', { ...V3, level: 'noAuthNoPriv' }, /noAuthNoPriv takes no/],
    ['v3 with an unknown auth protocol', { ...V3, authProtocol: 'sha3' }, /Invalid option/],
    ['v3 with communities', { ...V3, readCommunity: 'r' }, /Unrecognized key/],
    ['v2c with a v3 user', { version: '2c', readCommunity: 'r', writeCommunity: 'w', user: 'u' }, /Unrecognized key/],
    ['version 4', { version: '4', readCommunity: 'r', writeCommunity: 'w' }, /Invalid discriminator value/],
  ])('%s', (_name, input, problem) => {
    const parsed = deviceSnmpSchema.safeParse(input);
    if (!problem) expect(parsed.error?.issues).toBeUndefined();
    else expect(parsed.error?.issues.map((i) => i.message).join('; ')).toMatch(problem);
  });

  it('never shows a v3 password when the config is logged', () => {
    const config = parseConfig({ devices: [{ name: 'pdu', address: '10.0.0.9', snmp: V3 }] }, 'test');
    const logged = JSON.stringify(redactConfig(config));
    expect(logged).not.toContain(V3.authPassword);
    expect(logged).not.toContain(V3.privPassword);
    expect(logged).toContain('"user":"ups-admin"');
  });
});

describe('PATCH of credentials', () => {
  const stored = toDeviceSnmp(deviceSnmpSchema.parse(V3));
  const merged = (storedSnmp: DeviceSnmp, patch: Record<string, unknown>) => {
    const result = mergeSnmp(storedSnmp, patch);
    return result.success ? toDeviceSnmp(result.data) : result.error.issues.map((i) => i.message).join('; ');
  };

  it('replaces only the fields it sends', () => {
    expect(merged(stored, { privPassword: 'new-priv-passw0rd' })).toEqual({ version: '3', usm: { ...stored.version === '3' && stored.usm, privPassword: 'new-priv-passw0rd' }, contextName: null });
  });

  it('drops the privacy key when the level goes down to authNoPriv', () => {
    expect(merged(stored, { level: 'authNoPriv' })).toEqual({ version: '3', usm: { name: 'ups-admin', level: 'authNoPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd' }, contextName: null });
  });

  it('starts afresh when the version family changes, and says what is missing', () => {
    expect(merged(stored, { version: '2c', readCommunity: 'r', writeCommunity: 'w' })).toEqual({ version: '2c', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: null });
    expect(merged(stored, { version: '2c' })).toMatch(/Invalid input: expected string/);
    const v2c: DeviceSnmp = { version: '2c', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: 'n' };
    expect(merged(v2c, { version: '3', user: 'u', level: 'noAuthNoPriv' })).toEqual({ version: '3', usm: { name: 'u', level: 'noAuthNoPriv' }, contextName: null });
    expect(merged(v2c, { version: '1' })).toEqual({ version: '1', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: 'n' });
  });

  it('refuses a merge that leaves the user without the keys its level needs', () => {
    expect(merged(stored, { level: 'authPriv', privProtocol: 'aes256', privPassword: 'short' })).toMatch(/at least 8 characters/);
  });
});

describe('store and engine', () => {
  let dir: string;
  let clock: FakeClock;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-v3-'));
    clock = new FakeClock(1_700_000_000_000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const device = (snmp: DeviceSnmp) => newDevice({ name: 'pdu-1', address: '127.0.161.1', snmp });

  it('keeps a v3 device as it was given, and can change it back to v2c', () => {
    const store = SqliteStore.open(join(dir, 'priscan.db'), clock);
    const snmp = toDeviceSnmp({ ...V3, contextName: 'ups' });
    const id = store.devices.insert(device(snmp)).id;
    expect(store.devices.get(id)?.snmp).toEqual(snmp);
    const v2c: DeviceSnmp = { version: '2c', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: null };
    expect(store.devices.update(id, { snmp: v2c }).snmp).toEqual(v2c);
    store.close();
  });

  it('migrates a database from before v3 without losing devices or their active alarms', () => {
    const path = join(dir, 'old.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 2) });
    old.prepare(`INSERT INTO devices (id, name, address, port, snmp_version, read_community, write_community, profile, priority_scanning,
      interval_s, timeout_ms, retries, origin, created_at) VALUES (4, 'ups-1', '127.0.161.4', 161, '2c', 'r', 'w', 'auto', 1, 300, 3000, 1, 'api', 1)`).run();
    old.prepare(`INSERT INTO alarms_active (device_id, key, severity, code, description, raised_at) VALUES (4, 'k', 'critical', 'ups.onBattery', 'UPS on battery', 5)`).run();
    old.close();

    const store = SqliteStore.open(path, clock);
    expect(store.devices.get(4)).toMatchObject({ name: 'ups-1', snmp: { version: '2c', readCommunity: 'r', writeCommunity: 'w', notifyCommunity: null } });
    expect(store.alarms.active({ deviceId: 4 })).toMatchObject([{ key: 'k', code: 'ups.onBattery' }]);
    // The foreign key still holds after the rebuild: deleting the device deletes its alarms.
    store.devices.delete(4);
    expect(store.alarms.active()).toEqual([]);
    store.close();
  });

  it('generates the engine ID once and counts boots across restarts', () => {
    const path = join(dir, 'priscan.db');
    const first = SqliteStore.open(path, clock);
    const engine = installationEngine(first.settings, clock);
    expect(engine.engineId.toString('hex')).toMatch(/^80007ed905[0-9a-f]{24}$/);
    expect(engine.boots).toBe(1);
    clock.advance(42_500);
    expect(engine.time()).toBe(42);
    first.close();

    const second = SqliteStore.open(path, clock);
    const again = installationEngine(second.settings, clock);
    expect(again.engineId.equals(engine.engineId)).toBe(true);
    expect(again.boots).toBe(2);
    expect(again.time()).toBe(0);
    expect(installationEngine(second.settings, clock, '80007ed905010203040506').engineId.toString('hex')).toBe('80007ed905010203040506');
    second.close();
  });
});
