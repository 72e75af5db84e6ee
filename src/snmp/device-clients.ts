import type { SnmpClient, SnmpClientFactory, SnmpCredentials, SnmpTarget } from './client.js';
import type { DeviceSnmp, DeviceRecord } from '../store/devices.js';

export type ClientPurpose = 'read' | 'write';

/** The credentials a device's requests carry; a v3 device's one user both reads and writes. */
export function credentialsFor(snmp: DeviceSnmp, purpose: ClientPurpose): SnmpCredentials {
  if (snmp.version === '3') return { version: '3', usm: snmp.usm, ...(snmp.contextName ? { contextName: snmp.contextName } : {}) };
  return { version: snmp.version, community: purpose === 'write' ? snmp.writeCommunity : snmp.readCommunity };
}

/**
 * One SNMP session per device and purpose, reused across scans. Sessions are
 * dropped when a device's address or credentials change, or it is removed.
 */
export class DeviceClients {
  private readonly clients = new Map<string, SnmpClient>();

  constructor(private readonly factory: SnmpClientFactory) {}

  clientFor(device: DeviceRecord, purpose: ClientPurpose): SnmpClient {
    const key = `${device.id}:${purpose}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.factory.open({
        ...credentialsFor(device.snmp, purpose),
        address: device.address,
        port: device.port,
        timeoutMs: device.timeoutMs,
        retries: device.retries,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** A session outside the cache, for a one-off check such as the add-device dry run; the caller closes it. */
  openOneOff(target: SnmpTarget): SnmpClient {
    return this.factory.open(target);
  }

  forget(deviceId: number): void {
    for (const purpose of ['read', 'write'] as const) {
      const key = `${deviceId}:${purpose}`;
      this.clients.get(key)?.close();
      this.clients.delete(key);
    }
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
