import { deviceInputSchema, type DiscoveryConfig } from '../config/schema.js';
import type { Admission, Candidate, DiscoveryAdmission } from '../discovery/service.js';
import type { ProbeCredential } from '../discovery/prober.js';
import { credentialsFor } from '../snmp/device-clients.js';
import { StoreConflictError } from '../store/devices.js';
import type { Store } from '../store/store.js';
import { LicenseLimitError, toDeviceSnmp, toNewDevice } from './device-input.js';
import type { DeviceService } from './device-service.js';

/** The configured discovery credentials as probes read with them: the read community, or the v3 user. */
export function discoveryCredentials(config: DiscoveryConfig): ProbeCredential[] {
  return config.credentials.map((c) => ({ name: c.name, credentials: credentialsFor(toDeviceSnmp(c.snmp), 'read') }));
}

export interface DiscoveryAdmissionDeps {
  config: DiscoveryConfig;
  devices: DeviceService;
  store: Pick<Store, 'devices'>;
}

/**
 * Discovered devices join as an API-added device does: checked by the same schema, admitted
 * against the license, registered and scanned by DeviceService, with the credential that
 * answered (so it needs the write access registration takes). `auto` picks the profile at first
 * contact, as it matched during the discovery.
 */
export function discoveryAdmission(deps: DiscoveryAdmissionDeps): DiscoveryAdmission {
  return {
    existingAt: (address) => deps.store.devices.getByAddress(address)?.name,
    nameTaken: (name) => deps.store.devices.getByName(name) !== undefined,
    add(candidate: Candidate): Admission {
      const credential = deps.config.credentials.find((c) => c.name === candidate.credential);
      if (!credential) return { outcome: 'refused', reason: 'invalid', message: `credential ${candidate.credential} is no longer configured` };
      const input = deviceInputSchema.safeParse({ name: candidate.name, address: candidate.address, port: candidate.port, profile: 'auto', snmp: credential.snmp });
      if (!input.success) return { outcome: 'refused', reason: 'invalid', message: `not a valid device: ${input.error.issues[0]?.message ?? 'invalid'}` };
      try {
        const device = deps.devices.add(toNewDevice(input.data, 'api'));
        return { outcome: 'added', deviceId: device.id, name: device.name };
      } catch (error) {
        if (error instanceof LicenseLimitError) return { outcome: 'refused', reason: 'license', message: error.message };
        if (error instanceof StoreConflictError) return { outcome: 'exists', name: null, message: error.message };
        throw error;
      }
    },
  };
}
