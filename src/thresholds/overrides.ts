import type { Profile } from '../profiles/schema.js';
import type { EffectiveThreshold, ThresholdLevel } from './evaluate.js';

// Operator thresholds on top of a profile's defaults. Pure: overrides, a device and its profile in,
// the thresholds that apply out. The config file and the API both feed it (app/threshold-service.ts).

/** What an override is set on, least specific first: the order layers are applied in. */
export const OVERRIDE_SCOPES = ['profile', 'site', 'device'] as const;
export type OverrideScope = (typeof OVERRIDE_SCOPES)[number];

/** Where an override was written: the config file (read-only through the API) or the API. */
export type OverrideOrigin = 'config' | 'api';

/** One limit, or the removal of the one inherited: exactly one of these. */
export interface OverrideLimit {
  above?: number;
  below?: number;
  outside?: readonly [number, number];
  disabled?: true;
}

/** An override as an operator writes it (config entry or API body), without its target. */
export interface OverrideSettings extends OverrideLimit {
  reading: string;
  level: ThresholdLevel;
  /** One row only, by its label or index; absent: every row of the reading. */
  instance?: string;
  /** Absent: kept from the threshold it replaces (0 if none). */
  hysteresis?: number;
  forSeconds?: number;
  /** Scan the devices it applies to at least this often (a faster cadence than the safety net). */
  intervalSeconds?: number;
}

export interface ThresholdOverride extends OverrideSettings {
  /** API overrides: their number, as text; config ones: `config-N`, N the entry's index in `thresholds`. */
  id: string;
  origin: OverrideOrigin;
  scope: OverrideScope;
  /** The profile name, the site, or the device's name. */
  target: string;
  /** Device overrides set through the API follow the device by id (a rename keeps them). */
  deviceId?: number;
}

/** What an override is matched against. */
export interface DeviceFacts {
  id: number;
  name: string;
  site: string | null;
}

/** The key an override replaces inherited thresholds by. */
export function overrideKey(o: Pick<ThresholdOverride, 'scope' | 'target' | 'deviceId' | 'reading' | 'level' | 'instance'>): string {
  const target = o.deviceId !== undefined ? `#${o.deviceId}` : o.target;
  return JSON.stringify([o.scope, target, o.reading, o.level, o.instance ?? null]);
}

export function appliesTo(o: ThresholdOverride, profileName: string, device: DeviceFacts): boolean {
  switch (o.scope) {
    case 'profile':
      return o.target === profileName;
    case 'site':
      return device.site !== null && o.target === device.site;
    case 'device':
      return o.deviceId !== undefined ? o.deviceId === device.id : o.target === device.name;
  }
}

/** Within a scope: overrides for every row before those for one row (which then refine them), API before config (config wins a tie). */
function layerOrder(a: ThresholdOverride, b: ThresholdOverride): number {
  return Number(a.instance !== undefined) - Number(b.instance !== undefined) || Number(a.origin === 'config') - Number(b.origin === 'config');
}

/**
 * The thresholds that apply to a device: the profile's defaults, then the profile, site and device
 * overrides in that order, each replacing what it matches. The matching key is (reading, level,
 * instance): an override for every row replaces every inherited threshold of that reading and level
 * (the per-row ones too); an override for one row replaces only that row's, and for that row beats a
 * threshold for every row of the same level (the evaluator sees to that). `disabled` removes instead;
 * for one row it stays in the list as a marker, so that row is exempt from the general threshold.
 * Overrides on readings the profile does not have, or whose values are states, do not apply.
 */
export function resolveThresholds(profile: Profile, device: DeviceFacts, overrides: readonly ThresholdOverride[]): EffectiveThreshold[] {
  const numeric = new Set(profile.readings.filter((r) => r.unit !== 'state').map((r) => r.id));
  let current: EffectiveThreshold[] = profile.thresholds.map((t) => ({ ...t, scope: 'profile-default' }));
  for (const scope of OVERRIDE_SCOPES) {
    const layer = overrides.filter((o) => o.scope === scope && numeric.has(o.reading) && appliesTo(o, profile.name, device)).sort(layerOrder);
    for (const override of layer) current = applyOverride(current, override);
  }
  return current;
}

function applyOverride(current: EffectiveThreshold[], o: ThresholdOverride): EffectiveThreshold[] {
  const same = (t: EffectiveThreshold) => t.reading === o.reading && t.level === o.level;
  const replaced = (t: EffectiveThreshold) => same(t) && (o.instance === undefined || t.instance === o.instance);
  // What the operator did not restate is kept from the threshold this one takes the place of.
  const inherited = current.find((t) => same(t) && t.instance === o.instance) ?? current.find((t) => same(t) && t.instance === undefined);
  const kept = current.filter((t) => !replaced(t));
  if (o.disabled && o.instance === undefined) return kept;
  const next: EffectiveThreshold = {
    reading: o.reading,
    level: o.level,
    ...(o.instance !== undefined ? { instance: o.instance } : {}),
    ...(o.disabled ? { disabled: true } : o.outside ? { outside: o.outside } : o.above !== undefined ? { above: o.above } : { below: o.below }),
    hysteresis: o.disabled ? 0 : (o.hysteresis ?? inherited?.hysteresis ?? 0),
    forSeconds: o.disabled ? 0 : (o.forSeconds ?? inherited?.forSeconds ?? 0),
    ...(o.intervalSeconds !== undefined && !o.disabled ? { intervalSeconds: o.intervalSeconds } : {}),
    scope: o.scope,
    override: { id: o.id, origin: o.origin },
  };
  return [...kept, next];
}

/** Never scan faster than this, whatever a profile or override asks. */
export const MIN_CADENCE_SECONDS = 10;

/**
 * How often a device's readings must be read at least, in seconds: the fastest `intervalSeconds` of
 * its profile's readings and of the thresholds that apply to it; undefined when none asks.
 */
export function cadenceSeconds(profile: Profile, thresholds: readonly EffectiveThreshold[]): number | undefined {
  const asked = [
    ...profile.readings.map((r) => r.intervalSeconds),
    ...thresholds.filter((t) => !t.disabled).map((t) => t.intervalSeconds),
  ].filter((s): s is number => s !== undefined);
  return asked.length === 0 ? undefined : Math.max(MIN_CADENCE_SECONDS, Math.min(...asked));
}

/** The profiles an override is checked against. */
export interface ProfileLookup {
  get(name: string): Profile | undefined;
  names(): string[];
  list(): Profile[];
}

/** What is wrong with an override given the loaded profiles: the field to blame and why. */
export interface OverrideProblem {
  field: 'profile' | 'reading' | 'instance';
  message: string;
}

/**
 * Checks an override against the loaded profiles. A profile override (or a device override whose
 * device's profile is known) must name a numeric reading of that profile; a site override, or one
 * for a device whose profile is not known yet (auto), a numeric reading some profile has.
 */
export function overrideProblem(
  o: Pick<ThresholdOverride, 'scope' | 'target' | 'reading' | 'instance'>,
  profiles: ProfileLookup,
  deviceProfile?: string | null,
): OverrideProblem | undefined {
  const profileName = o.scope === 'profile' ? o.target : o.scope === 'device' ? (deviceProfile ?? undefined) : undefined;
  if (profileName !== undefined) {
    const profile = profiles.get(profileName);
    if (!profile) {
      if (o.scope === 'profile') return { field: 'profile', message: `unknown profile "${profileName}"; known: ${profiles.names().join(', ')}` };
      return anyProfileProblem(o.reading, profiles);
    }
    const reading = profile.readings.find((r) => r.id === o.reading);
    const whose = o.scope === 'profile' ? `profile ${profile.name}` : `profile ${profile.name} (device ${o.target}'s)`;
    if (!reading) {
      const known = profile.readings.filter((r) => r.unit !== 'state').map((r) => r.id);
      return { field: 'reading', message: `${whose} has no reading "${o.reading}"; its readings: ${known.join(', ') || 'none'}` };
    }
    if (reading.unit === 'state') return stateProblem(o.reading, reading.states);
    if (reading.oid !== undefined && o.instance !== undefined) return { field: 'instance', message: `reading ${o.reading} of ${whose} is a single value: it has no rows to choose from` };
    return undefined;
  }
  return anyProfileProblem(o.reading, profiles);
}

function anyProfileProblem(id: string, profiles: ProfileLookup): OverrideProblem | undefined {
  const readings = profiles.list().flatMap((p) => p.readings.filter((r) => r.id === id));
  if (readings.length === 0) return { field: 'reading', message: `no loaded profile has a reading "${id}"` };
  if (readings.every((r) => r.unit === 'state')) return stateProblem(id, readings[0]!.states);
  return undefined;
}

function stateProblem(id: string, states: Readonly<Record<string, string>> | undefined): OverrideProblem {
  return { field: 'reading', message: `reading ${id} is a state (${Object.values(states ?? {}).join(', ')}): thresholds compare numbers` };
}
