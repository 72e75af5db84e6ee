import { apcRpduProfile, apcUpsProfile } from './apc.js';
import { normalizeOid } from './cells.js';
import { netBotzProfile } from './netbotz.js';
import { netSnmpProfile } from './net-snmp.js';
import { priscanSimProfile } from './priscan-sim.js';
import { rfc1628UpsProfile } from './rfc1628-ups.js';
import type { Profile, ProfileName } from './types.js';

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  'priscan-sim': priscanSimProfile,
  'rfc1628-ups': rfc1628UpsProfile,
  'apc-ups': apcUpsProfile,
  'apc-rpdu': apcRpduProfile,
  netbotz: netBotzProfile,
  'net-snmp': netSnmpProfile,
});

export function getProfile(name: ProfileName): Profile {
  const profile = PROFILES[name] as Profile | undefined;
  if (!profile) throw new Error(`unknown profile "${String(name)}"; known: ${Object.keys(PROFILES).join(', ')}`);
  return profile;
}

/** Whether `oid` is `prefix` or lies below it, on whole arcs (…3.2 covers …3.2.1, not …3.21). */
export function oidUnder(oid: string, prefix: string): boolean {
  return oid === prefix || oid.startsWith(`${prefix}.`);
}

/** The profile whose longest sysObjectID prefix covers `sysObjectId`, among `profiles`. */
export function selectProfile(profiles: readonly Profile[], sysObjectId: string): Profile | undefined {
  const oid = normalizeOid(sysObjectId.trim());
  let best: { profile: Profile; length: number } | undefined;
  for (const profile of profiles) {
    for (const prefix of profile.sysObjectIdPrefixes) {
      const arcs = normalizeOid(prefix);
      if (oidUnder(oid, arcs) && (!best || arcs.length > best.length)) best = { profile, length: arcs.length };
    }
  }
  return best?.profile;
}

/** The profile an `auto` device gets from its sysObjectID, if any. */
export function profileFor(sysObjectId: string): Profile | undefined {
  return selectProfile(Object.values(PROFILES), sysObjectId);
}
