import { SNMPV2 } from './oids.js';
import type { ProfileRegistry } from './registry.js';
import type { Profile } from './schema.js';
import type { SnmpClient } from '../snmp/client.js';
import type { DeviceRecord, DevicesRepository } from '../store/devices.js';

export class ProfileUnknownError extends Error {
  override readonly name = 'ProfileUnknownError';
}

/** Reads sysObjectID and sysDescr, as `auto` and the add-device dry-run need. */
export async function identify(client: SnmpClient): Promise<{ sysObjectId: string | null; sysDescr: string | null }> {
  const [objectId, descr] = await client.get([SNMPV2.sysObjectID, SNMPV2.sysDescr]);
  return {
    sysObjectId: objectId?.type === 'OID' ? String(objectId.value) : null,
    sysDescr: descr?.type === 'OctetString' && Buffer.isBuffer(descr.value) ? descr.value.toString('utf8') : null,
  };
}

export interface ProfileResolution {
  registry: ProfileRegistry;
  devices: Pick<DevicesRepository, 'setResolvedProfile'>;
}

/** The profile name a device uses now: the one it was given, or what `auto` resolved to (null: not yet). */
export function profileNameOf(device: Pick<DeviceRecord, 'profile' | 'resolvedProfile'>): string | null {
  return device.profile === 'auto' ? device.resolvedProfile : device.profile;
}

/**
 * The device's profile: the one it was given, or for `auto` the one its
 * sysObjectID selects at first contact (remembered afterwards).
 */
export async function resolveProfile(device: DeviceRecord, client: SnmpClient, { registry, devices }: ProfileResolution): Promise<Profile> {
  const known = profileNameOf(device);
  if (known) {
    const profile = registry.get(known);
    if (profile) return profile;
    // A resolved profile whose file was removed: choose again. A named one is an operator's choice.
    if (device.profile !== 'auto') throw new ProfileUnknownError(`profile ${known} is not loaded (was its file removed?); give the device another profile`);
  }
  const { sysObjectId, sysDescr } = await identify(client);
  const profile = sysObjectId ? registry.select(sysObjectId) : undefined;
  if (!profile) {
    throw new ProfileUnknownError(`no profile matches sysObjectID ${sysObjectId ?? '(none)'}; give the device an explicit profile`);
  }
  devices.setResolvedProfile(device.id, profile.name, sysObjectId, sysDescr);
  return profile;
}
