import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DeviceClients } from '../snmp/device-clients.js';
import { profileNameOf, resolveProfile } from '../profiles/resolve.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import type { RegistrationMethodName } from '../profiles/schema.js';
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
  /**
   * Cluster mode: where the other collectors receive notifications (live or dead). A device this
   * collector registers on must send to it alone, so their registrations are removed from it
   * (a takeover leaves the old owner's behind).
   */
  peers?: () => readonly { address: string; port: number }[];
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
      const manager = await this.managerFor(device);
      const outcome = await registrationMethod(profile.registration).ensure(clients.clientFor(device, 'write'), manager);
      await this.removePeers(device, profile.registration, manager);
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
   * Removes other collectors' registrations from a device this collector owns. RFC 3413 needs
   * none: its rows are priscan's by name, and ensure() just rewrote their address to ours. A
   * peer on our own IP address is left alone: an APC receiver row is matched by address only.
   */
  private async removePeers(device: DeviceRecord, registration: RegistrationMethodName, manager: ManagerRegistration): Promise<void> {
    const peers = this.deps.peers?.().filter((p) => p.address !== manager.address) ?? [];
    if (peers.length === 0 || registration === 'rfc3413') return;
    const method = registrationMethod(registration);
    for (const peer of peers) {
      try {
        await method.remove(this.deps.clients.clientFor(device, 'write'), { ...manager, ...peer });
      } catch (error) {
        this.deps.log.warn({ device: device.name, peer: `${peer.address}:${peer.port}`, err: (error as Error).message }, "a peer collector's registration could not be removed");
      }
    }
  }

  /**
   * Removes the registration before a device is deleted (or with the method it had before its
   * profile changed), in a cluster every collector's; a device that cannot be reached is removed anyway.
   */
  async deregister(device: DeviceRecord, registration = this.deps.profiles.get(profileNameOf(device) ?? '')?.registration): Promise<string | null> {
    if (!registration || registration === 'none' || !device.priorityScanning) return null;
    try {
      const method = registrationMethod(registration);
      const manager = await this.managerFor(device);
      await method.remove(this.deps.clients.clientFor(device, 'write'), manager);
      // In a cluster the device may be registered to its owner, not to us: it loses every collector's.
      await this.removePeers(device, registration, manager);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}
