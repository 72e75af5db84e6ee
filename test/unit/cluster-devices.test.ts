// DeviceService in cluster mode, with a fake scheduler: every licensed device is followed (its
// notifications recognised, to forward), only those whose shard this collector owns are
// scheduled; ownership changes move devices in and out of the scheduler at once; devices added,
// changed or removed by a peer (straight into the shared table) are picked up by syncShared; the
// licensing decision is the same on every collector, but only the owner acts on a device.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceService } from '../../src/app/device-service.js';
import { COMMUNICATION_LOST, DEVICE_REMOVED } from '../../src/alarms/model.js';
import type { Registrar } from '../../src/registration/registrar.js';
import type { ScanScheduler } from '../../src/scanning/scheduler.js';
import type { DeviceClients } from '../../src/snmp/device-clients.js';
import { SqliteStore } from '../../src/store/store.js';
import { NotificationSources } from '../../src/traps/sources.js';
import { newDevice } from '../helpers/devices.js';
import { builtinProfiles } from '../helpers/profiles.js';

let store: SqliteStore;
let sources: NotificationSources;
let scheduled: Map<number, { registered: boolean }>;
let registrations: number[];
let scans: number[];
const owned = new Set<number>();
let licensed = 100;

function service(): DeviceService {
  const scheduler = {
    has: (id: number) => scheduled.has(id),
    addDevice: (id: number, s: { registered: boolean }) => {
      scheduled.set(id, s);
      if (s.registered) registrations.push(id);
    },
    updateDevice: (id: number, s: { registered: boolean }) => void scheduled.set(id, s),
    removeDevice: (id: number) => void scheduled.delete(id),
    requestRegistration: (id: number) => void registrations.push(id),
    requestScan: (id: number) => void scans.push(id),
    setInterval: () => undefined,
  } as unknown as ScanScheduler;
  return new DeviceService({
    store,
    licensedNodes: () => licensed,
    scheduler,
    registrar: { deregister: async () => null } as unknown as Registrar,
    clients: { forget: () => undefined } as unknown as DeviceClients,
    sources,
    installationCommunity: 'n0tify',
    bus: { publish: () => undefined },
    clock: { now: () => 1_700_000_000_000 },
    profiles: builtinProfiles(),
    log: pino({ level: 'silent' }),
    owns: (id) => owned.has(id),
  });
}

beforeEach(() => {
  store = SqliteStore.open(':memory:', { now: () => 1_700_000_000_000 });
  sources = new NotificationSources();
  scheduled = new Map();
  registrations = [];
  scans = [];
  owned.clear();
  licensed = 100;
});

afterEach(() => store.close());

describe('devices in cluster mode', () => {
  it('follows every device, schedules only owned ones, and moves them as shards are acquired and lost', () => {
    const a = store.devices.insert(newDevice({ name: 'a', address: '127.0.151.51' }));
    const b = store.devices.insert(newDevice({ name: 'b', address: '127.0.151.52', priorityScanning: false }));
    owned.add(a.id);
    const devices = service();
    devices.loadStored();
    expect(sources.lookup('127.0.151.51')?.deviceId).toBe(a.id);
    expect(sources.lookup('127.0.151.52')?.deviceId).toBe(b.id);
    expect([...scheduled.keys()]).toEqual([a.id]);
    expect(registrations).toEqual([a.id]);

    // Acquired b's shard, lost a's: b scheduled (scanned at once: it has no registration to write), a dropped.
    owned.clear();
    owned.add(b.id);
    expect(devices.ownershipChanged()).toEqual({ tracked: 1, untracked: 1 });
    expect([...scheduled.keys()]).toEqual([b.id]);
    expect(scans).toEqual([b.id]);
    // Still followed: its notifications are recognised, to be forwarded.
    expect(sources.lookup('127.0.151.51')?.deviceId).toBe(a.id);

    // Acquired a's again: registered here again (the registration path writes our address).
    owned.add(a.id);
    devices.ownershipChanged();
    expect(registrations).toEqual([a.id, a.id]);
  });

  it("picks up devices a peer added, changed and removed in the shared table", () => {
    const devices = service();
    devices.loadStored();
    const added = store.devices.insert(newDevice({ name: 'peer-added', address: '127.0.151.53' }));
    owned.add(added.id);
    devices.syncShared();
    expect(sources.lookup('127.0.151.53')?.deviceId).toBe(added.id);
    expect(scheduled.has(added.id)).toBe(true);

    store.devices.update(added.id, { address: '127.0.151.54' });
    devices.syncShared();
    expect(sources.lookup('127.0.151.53')).toBeUndefined();
    expect(sources.lookup('127.0.151.54')?.deviceId).toBe(added.id);
    expect(registrations.filter((id) => id === added.id)).toHaveLength(2);

    store.removeDevice(added.id, { reason: DEVICE_REMOVED, at: 1_700_000_000_000 });
    devices.syncShared();
    expect(sources.lookup('127.0.151.54')).toBeUndefined();
    expect(scheduled.has(added.id)).toBe(false);
  });

  it('decides licensing like every collector, but only the owner ends an unlicensed device\'s alarms', () => {
    licensed = 1;
    const first = store.devices.insert(newDevice({ name: 'first', address: '127.0.151.55' }));
    const newest = store.devices.insert(newDevice({ name: 'newest', address: '127.0.151.56' }));
    store.alarms.raise(newest.id, COMMUNICATION_LOST, 1_700_000_000_000);
    // Not the owner of the newest: it is unlicensed here too, but its alarm is left to its owner.
    service().loadStored();
    expect(sources.lookup('127.0.151.56')).toBeUndefined();
    expect(sources.lookup('127.0.151.55')?.deviceId).toBe(first.id);
    expect(store.alarms.activeForDevice(newest.id)).toHaveLength(1);
    owned.add(newest.id);
    service().loadStored();
    expect(store.alarms.activeForDevice(newest.id)).toEqual([]);
  });
});
