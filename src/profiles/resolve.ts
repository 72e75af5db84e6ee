import { SNMPV2 } from './oids.js';
import { getProfile, profileFor } from './index.js';
import type { Profile } from './types.js';
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

/**
 * The device's profile: the one it was given, or for `auto` the one its
 * sysObjectID selects at first contact (remembered afterwards).
 */
export async function resolveProfile(device: DeviceRecord, client: SnmpClient, devices: DevicesRepository): Promise<Profile> {
  if (device.profile !== 'auto') return getProfile(device.profile);
  if (device.resolvedProfile) return getProfile(device.resolvedProfile);
  const { sysObjectId, sysDescr } = await identify(client);
  const profile = sysObjectId ? profileFor(sysObjectId) : undefined;
  if (!profile) {
    throw new ProfileUnknownError(
      `no profile matches sysObjectID ${sysObjectId ?? '(none)'}; give the device an explicit profile`,
    );
  }
  devices.setResolvedProfile(device.id, profile.name, sysObjectId, sysDescr);
  return profile;
}
