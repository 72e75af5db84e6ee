import type { Logger } from 'pino';
import type { DeviceInput } from '../config/schema.js';
import type { Registrar } from '../registration/registrar.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import type { DeviceClients } from '../snmp/device-clients.js';
import type { DeviceRecord, NewDevice } from '../store/devices.js';
import type { Store } from '../store/store.js';
import type { NotificationSources } from '../traps/sources.js';

export interface DeviceServiceDeps {
  store: Store;
  scheduler: ScanScheduler;
  registrar: Registrar;
  clients: DeviceClients;
  sources: NotificationSources;
  installationCommunity: string;
  log: Logger;
}

export function toNewDevice(input: DeviceInput, origin: NewDevice['origin']): NewDevice {
  return {
    name: input.name,
    address: input.address,
    port: input.port,
    snmp: {
      version: input.snmp.version,
      readCommunity: input.snmp.readCommunity,
      writeCommunity: input.snmp.writeCommunity,
      notifyCommunity: input.snmp.notifyCommunity ?? null,
    },
    profile: input.profile,
    priorityScanning: input.priorityScanning,
    intervalSeconds: input.intervalSeconds,
    timeoutMs: input.timeoutMs,
    retries: input.retries,
    origin,
  };
}

/**
 * Adding, changing and removing devices: keeps the store, the notification
 * sources, the scheduler and the devices' registrations in step.
 */
export class DeviceService {
  constructor(private readonly deps: DeviceServiceDeps) {}

  /** Schedules every stored device (at start-up). */
  loadStored(): void {
    for (const device of this.deps.store.devices.list()) this.track(device);
  }

  /** Makes the config file's devices exist as declared; config devices no longer declared are removed. */
  async syncDeclared(declared: readonly DeviceInput[]): Promise<void> {
    const { store } = this.deps;
    const names = new Set(declared.map((d) => d.name));
    for (const input of declared) {
      const existing = store.devices.getByName(input.name);
      const wanted = toNewDevice(input, 'config');
      if (!existing) {
        this.add(wanted);
      } else if (existing.origin === 'config' && changed(existing, wanted)) {
        const { origin: _origin, ...changes } = wanted;
        this.update(existing.id, changes);
      }
    }
    for (const device of store.devices.list()) {
      if (device.origin === 'config' && !names.has(device.name)) await this.remove(device.id);
    }
  }

  add(device: NewDevice): DeviceRecord {
    const record = this.deps.store.devices.insert(device);
    this.deps.log.info({ device: record.name, address: record.address, profile: record.profile }, 'device added');
    this.track(record);
    return record;
  }

  update(id: number, changes: Parameters<Store['devices']['update']>[1]): DeviceRecord {
    const before = this.deps.store.devices.get(id);
    const record = this.deps.store.devices.update(id, changes);
    if (before) this.deps.sources.delete(before.address);
    this.deps.clients.forget(id);
    this.track(record, true);
    return record;
  }

  /** De-registers first (best effort: an unreachable device is removed anyway), then deletes. */
  async remove(id: number): Promise<{ deregistrationError: string | null } | undefined> {
    const device = this.deps.store.devices.get(id);
    if (!device) return undefined;
    this.deps.scheduler.removeDevice(id);
    this.deps.sources.delete(device.address);
    const deregistrationError = await this.deps.registrar.deregister(device);
    this.deps.clients.forget(id);
    this.deps.store.devices.delete(id);
    this.deps.log.info({ device: device.name, deregistrationError }, 'device removed');
    return { deregistrationError };
  }

  private track(device: DeviceRecord, changed = false): void {
    this.deps.sources.set(device.address, device.id, device.snmp.notifyCommunity ?? this.deps.installationCommunity);
    const scheduling = { intervalMs: device.intervalSeconds * 1000, registered: device.priorityScanning };
    if (changed) this.deps.scheduler.updateDevice(device.id, scheduling);
    else this.deps.scheduler.addDevice(device.id, scheduling);
    if (changed && device.priorityScanning) this.deps.scheduler.requestRegistration(device.id);
  }
}

function changed(existing: DeviceRecord, wanted: NewDevice): boolean {
  const current: NewDevice = {
    name: existing.name,
    address: existing.address,
    port: existing.port,
    snmp: existing.snmp,
    profile: existing.profile,
    priorityScanning: existing.priorityScanning,
    intervalSeconds: existing.intervalSeconds,
    timeoutMs: existing.timeoutMs,
    retries: existing.retries,
    origin: existing.origin,
  };
  return stableJson(current) !== stableJson(wanted);
}

/** JSON with object keys sorted, so equal records compare equal whatever order built them. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
