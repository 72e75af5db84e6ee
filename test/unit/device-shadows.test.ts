// Shadows as operators declare them (config file and device service): the config checks what it
// can alone, the device service keeps notification sources with the lead (a shadow shares its
// address), puts leads before shadows at start-up, and never removes a lead under its shadows.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeadHasShadowsError } from '../../src/app/device-input.js';
import { DeviceService } from '../../src/app/device-service.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { deviceInputSchema, type DeviceInput } from '../../src/config/schema.js';
import type { Registrar } from '../../src/registration/registrar.js';
import type { DeviceScheduling, ScanScheduler } from '../../src/scanning/scheduler.js';
import type { DeviceClients } from '../../src/snmp/device-clients.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { NotificationSources } from '../../src/traps/sources.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { builtinProfiles } from '../helpers/profiles.js';

const snmp = { readCommunity: 'public', writeCommunity: 'private' };
const lead = { name: 'pdu-1', address: '10.0.0.5', profile: 'apc-rpdu', chainPosition: 1, snmp };
const shadow = (name: string, position: number, more: Record<string, unknown> = {}) => ({ name, lead: 'pdu-1', chainPosition: position, profile: 'apc-rpdu', ...more });

describe('shadows in the config file', () => {
  const parse = (devices: unknown[]) => parseConfig({ devices }, 'priscan.yaml');

  it('takes a shadow at its lead\'s address without credentials, and a device of its own needs both', () => {
    const config = parse([shadow('pdu-2', 2), lead, shadow('pdu-3', 3, { address: '10.0.0.5' })]);
    expect(config.devices.map((d) => [d.name, d.lead ?? null])).toEqual([['pdu-2', 'pdu-1'], ['pdu-1', null], ['pdu-3', 'pdu-1']]);
    expect(() => parse([{ name: 'ups-1', snmp }])).toThrow('priscan.yaml: devices.0.address: is needed (unless lead names the device this one is a shadow of)');
    expect(() => parse([{ name: 'ups-1', address: '10.0.0.6' }])).toThrow(/devices\.0\.snmp: is needed/);
  });

  it.each([
    ['a shadow of a shadow', [lead, shadow('pdu-2', 2), shadow('pdu-3', 3, { lead: 'pdu-2' })], /devices\.2\.lead: pdu-2 is itself a shadow \(devices\.1\.lead\): a lead has no lead/],
    ['a cycle', [{ ...lead, lead: 'pdu-2' }, shadow('pdu-2', 2)], /devices\.0\.snmp: a shadow is reached with its lead's credentials/],
    ['a cycle without credentials', [{ name: 'a', lead: 'b', chainPosition: 1 }, { name: 'b', lead: 'a', chainPosition: 2 }], /devices\.0\.lead: b is itself a shadow/],
    ['its own lead', [{ name: 'a', lead: 'a', chainPosition: 1 }], /devices\.0\.lead: a cannot be its own lead/],
    ['a lead by id', [lead, { name: 'b', lead: 1, chainPosition: 2 }], /devices\.1\.lead: name the lead device \(ids are for the API\)/],
    ['a shadow that registers', [lead, shadow('pdu-2', 2, { priorityScanning: true })], /devices\.1\.priorityScanning: a shadow does not register itself/],
    ['a shadow without a place', [lead, { name: 'pdu-2', lead: 'pdu-1' }], /devices\.1\.chainPosition: a shadow needs its chainPosition/],
    ['a second device of its own at an address', [lead, { ...lead, name: 'pdu-9' }], /devices\.1\.address: duplicates devices\.0\.address/],
  ])('refuses %s, naming the key', (_what, devices, message) => {
    expect(() => parse(devices)).toThrow(message);
  });
});

describe('the device service with shadows', () => {
  let store: Store;
  let sources: NotificationSources;
  let scheduled: Map<number, DeviceScheduling>;
  let deregistered: string[];
  let service: DeviceService;

  beforeEach(() => {
    store = SqliteStore.open(':memory:', new FakeClock(1_700_000_000_000));
    sources = new NotificationSources();
    scheduled = new Map();
    deregistered = [];
    const scheduler = {
      has: (id: number) => scheduled.has(id),
      addDevice: (id: number, s: DeviceScheduling) => void scheduled.set(id, s),
      updateDevice: (id: number, s: DeviceScheduling) => void scheduled.set(id, s),
      removeDevice: (id: number) => void scheduled.delete(id),
      requestRegistration: () => undefined,
      requestScan: () => 'queued',
    } as unknown as ScanScheduler;
    service = new DeviceService({
      store,
      licensedNodes: () => 100,
      scheduler,
      registrar: {
        deregister: async (d: { name: string; priorityScanning: boolean }) => {
          if (d.priorityScanning) deregistered.push(d.name);
          return null;
        },
      } as unknown as Registrar,
      clients: { forget: () => undefined } as unknown as DeviceClients,
      sources,
      installationCommunity: 'n0tify',
      bus: { publish: () => undefined },
      clock: { now: () => 1_700_000_000_000 },
      profiles: builtinProfiles(),
      log: pino({ level: 'silent' }),
    });
  });

  afterEach(() => store.close());

  const declared = (devices: unknown[]) => devices.map((d) => deviceInputSchema.parse(d)) as DeviceInput[];

  it('adds leads before their shadows, keeps the lead\'s address the lead\'s, and schedules shadows under it', async () => {
    await service.syncDeclared(declared([shadow('pdu-2', 2), lead, shadow('pdu-3', 3, { site: 'dc2' })]));
    const [first, second, third] = ['pdu-1', 'pdu-2', 'pdu-3'].map((n) => store.devices.getByName(n)!);
    expect(second).toMatchObject({ leadId: first!.id, address: '10.0.0.5', port: 161, priorityScanning: false, snmp: first!.snmp, site: null });
    expect(third!.site).toBe('dc2');
    expect(sources.lookup('10.0.0.5')?.deviceId).toBe(first!.id);
    expect(sources.size).toBe(1);
    expect(scheduled.get(second!.id)).toMatchObject({ lead: first!.id, registered: false });
    expect(scheduled.get(first!.id)?.lead).toBeUndefined();
    // Removing or changing a shadow leaves the lead's notifications with the lead.
    await service.update(second!.id, { intervalSeconds: 600 });
    await service.remove(third!.id);
    expect(sources.lookup('10.0.0.5')?.deviceId).toBe(first!.id);
    expect(deregistered).toEqual([]);
  });

  it('refuses to remove a lead under its shadows, and removes config shadows before their lead', async () => {
    await service.syncDeclared(declared([lead, shadow('pdu-2', 2)]));
    const first = store.devices.getByName('pdu-1')!;
    await expect(service.remove(first.id)).rejects.toThrow(LeadHasShadowsError);
    expect(store.devices.count()).toBe(2);
    expect(scheduled.size).toBe(2);
    // Both gone from the config: the shadow goes first, so the lead can.
    await service.syncDeclared([]);
    expect(store.devices.count()).toBe(0);
    expect(deregistered).toEqual(['pdu-1']);
  });

  it('stops at start-up, naming the key, when the config drops a lead that API devices are shadows of', async () => {
    await service.syncDeclared(declared([lead]));
    const first = store.devices.getByName('pdu-1')!;
    service.add({ ...store.devices.getByName('pdu-1')!, name: 'api-2', leadId: first.id, chainPosition: 2, priorityScanning: false, origin: 'api' });
    const error = await service.syncDeclared([]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^devices: pdu-1 is no longer declared, but device pdu-1 is the lead of api-2 \(id \d+\): remove them first/);
    expect(store.devices.count()).toBe(2);
  });

  it('moves a device behind a lead and back out, keeping notification sources with whoever owns each address', async () => {
    await service.syncDeclared(declared([lead]));
    const first = store.devices.getByName('pdu-1')!;
    const other = service.add({ name: 'pdu-9', address: '10.0.0.9', port: 161, snmp: first.snmp, profile: 'apc-rpdu', priorityScanning: true, intervalSeconds: 300, timeoutMs: 3000, retries: 1, site: null, origin: 'api' });
    expect(sources.lookup('10.0.0.9')?.deviceId).toBe(other.id);
    // Recabled into pdu-1's chain: its old address is forgotten (and de-registered), pdu-1's stays pdu-1's.
    await service.update(other.id, { leadId: first.id, address: '10.0.0.5', priorityScanning: false, chainPosition: 2 });
    expect(deregistered).toEqual(['pdu-9']);
    expect(sources.lookup('10.0.0.9')).toBeUndefined();
    expect(sources.lookup('10.0.0.5')?.deviceId).toBe(first.id);
    // And out again, at an address of its own.
    await service.update(other.id, { leadId: null, address: '10.0.0.10', priorityScanning: true, chainPosition: null });
    expect(sources.lookup('10.0.0.10')?.deviceId).toBe(other.id);
    expect(sources.lookup('10.0.0.5')?.deviceId).toBe(first.id);
    expect(scheduled.get(other.id)?.lead).toBeUndefined();
  });
});
