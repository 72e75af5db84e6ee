import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DeviceClients } from '../snmp/device-clients.js';
import { profileNameOf, resolveProfile } from '../profiles/resolve.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import type { DeviceRecord } from '../store/devices.js';
import type { Store } from '../store/store.js';
import { localAddressFor } from './local-address.js';
import type { ManagerRegistration, RegistrationOutcome } from './method.js';
import { registrationMethod } from './methods.js';

export interface RegistrarDeps {
  clock: Clock;
  store: Store;
  clients: DeviceClients;
  log: Logger;
  profiles: ProfileRegistry;
  /** Configured address devices must send to; undefined means the local address that reaches each device. */
  managerAddress: string | undefined;
  /** Port devices must send to (the notification listener's port, unless configured). */
  managerPort: () => number;
  /** The community only priscan and its devices know, unless a device overrides it. */
  installationCommunity: string;
  observer?: RegistrationObserver;
}

export interface RegistrationObserver {
  registration(method: string, result: RegistrationOutcome | 'failed'): void;
}

/** Writes, verifies and repairs priscan's registration on devices, and removes it. */
export class Registrar {
  constructor(private readonly deps: RegistrarDeps) {}

  /** The registration a device should hold. */
  async managerFor(device: DeviceRecord): Promise<ManagerRegistration> {
    const snmp = device.snmp;
    return {
      address: this.deps.managerAddress ?? (await localAddressFor(device.address)),
      port: this.deps.managerPort(),
      community: (snmp.version === '3' ? null : snmp.notifyCommunity) ?? this.deps.installationCommunity,
      ...(snmp.version === '3' ? { usm: { user: snmp.usm.name, level: snmp.usm.level } } : {}),
    };
  }

  /** Ensures the registration; the outcome and any error are stored on the device. Never throws. */
  async register(deviceId: number): Promise<void> {
    const { store, clients, clock, log } = this.deps;
    const device = store.devices.get(deviceId);
    if (!device || !device.priorityScanning) return;
    let method = 'unknown';
    try {
      const profile = await resolveProfile(device, clients.clientFor(device, 'read'), { registry: this.deps.profiles, devices: store.devices });
      method = profile.registration;
      if (profile.registration === 'none') {
        // Nothing priscan can write or verify: the card's trap receiver is set by hand.
        if (store.devices.get(deviceId)) store.devices.recordRegistration(deviceId, { at: clock.now(), state: 'manual', error: null });
        return;
      }
      const outcome = await registrationMethod(profile.registration).ensure(clients.clientFor(device, 'write'), await this.managerFor(device));
      if (store.devices.get(deviceId)) store.devices.recordRegistration(deviceId, { at: clock.now(), state: 'registered', error: null });
      if (outcome === 'repaired') log.info({ device: device.name, method }, 'registration repaired');
      this.deps.observer?.registration(method, outcome);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (store.devices.get(deviceId)) store.devices.recordRegistration(deviceId, { at: clock.now(), state: 'failed', error: message });
      log.warn({ device: device.name, method, err: message }, 'registration failed');
      this.deps.observer?.registration(method, 'failed');
    }
  }

  /**
   * Removes the registration before a device is deleted (or with the method it had before its
   * profile changed); a device that cannot be reached is removed anyway.
   */
  async deregister(device: DeviceRecord, registration = this.deps.profiles.get(profileNameOf(device) ?? '')?.registration): Promise<string | null> {
    if (!registration || registration === 'none' || !device.priorityScanning) return null;
    try {
      const method = registrationMethod(registration);
      await method.remove(this.deps.clients.clientFor(device, 'write'), await this.managerFor(device));
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}
