import { z } from 'zod';
import type { Alarm } from '../alarms/model.js';
import { checkThresholdSettings, thresholdSettingsShape, type ThresholdOverrideInput } from '../config/schema.js';
import { profileNameOf } from '../profiles/resolve.js';
import type { Profile } from '../profiles/schema.js';
import type { ScannedReadings } from '../scanning/scanner.js';
import type { DeviceRecord } from '../store/devices.js';
import type { Store } from '../store/store.js';
import { ThresholdOverrideExistsError, type NewThresholdOverride } from '../store/thresholds.js';
import { ThresholdEvaluator, type EffectiveThreshold } from '../thresholds/evaluate.js';
import {
  appliesTo,
  cadenceSeconds,
  overrideKey,
  overrideProblem,
  resolveThresholds,
  type OverrideSettings,
  type ProfileLookup,
  type ThresholdOverride,
} from '../thresholds/overrides.js';

export interface ThresholdServiceDeps {
  store: Store;
  profiles: ProfileLookup;
  /** The config file's thresholds: they apply like the API's, and the API cannot change them. */
  configured: readonly ThresholdOverrideInput[];
  /** Devices whose thresholds changed: apply their cadence, and scan them now so the change shows. */
  onDevicesChanged?: (deviceIds: number[]) => void;
  /** A scan found the device's profile (auto at first contact, or chosen again): its cadence may change. */
  onProfileResolved?: (deviceId: number) => void;
}

/** An override the API refuses as given: `field` is the body key to blame (none: the whole). */
export class ThresholdInputError extends Error {
  override readonly name = 'ThresholdInputError';
  constructor(
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }
}

export class ThresholdNotFoundError extends Error {
  override readonly name = 'ThresholdNotFoundError';
}

/** Config thresholds are the file's: the API reads them and changes nothing of them. */
export class ThresholdFromConfigError extends Error {
  override readonly name = 'ThresholdFromConfigError';
}

export class ThresholdExistsError extends Error {
  override readonly name = 'ThresholdExistsError';
}

/** A PATCH: any setting; null takes one back (instance: every row; hysteresis, forSeconds: inherited; intervalSeconds: none). */
export type OverridePatch = { [K in keyof OverrideSettings]?: OverrideSettings[K] | null };

const LIMITS = ['above', 'below', 'outside', 'disabled'] as const;
const settingsSchema = z.object(thresholdSettingsShape).strict().superRefine(checkThresholdSettings);

/** The config file's entry i as an override (id config-i). */
function fromConfig(entry: ThresholdOverrideInput, i: number): ThresholdOverride {
  const { profile, site, device, ...settings } = entry;
  const scope = profile !== undefined ? 'profile' : site !== undefined ? 'site' : 'device';
  return { ...settings, id: `config-${i}`, origin: 'config', scope, target: (profile ?? site ?? device)! };
}

/**
 * Threshold violations among a scan's readings, and the operator overrides they come from: the
 * profile's defaults, then overrides per profile, per site and per device (the most specific wins),
 * from the config file and from the API. A change applies on the next scan of the devices it
 * concerns, and that scan is requested at once.
 */
export class ThresholdService {
  private readonly evaluator = new ThresholdEvaluator();
  /** The profile each device's violations were last evaluated with: another one starts its waits afresh. */
  private readonly evaluatedWith = new Map<number, string>();
  private configuredOverrides: ThresholdOverride[] | undefined;
  /** The API's overrides, read once and again after each change (every scan asks). */
  private storedOverrides: ThresholdOverride[] | undefined;

  constructor(private readonly deps: ThresholdServiceDeps) {}

  /** Every override: the config file's, then the API's. */
  overrides(): ThresholdOverride[] {
    this.configuredOverrides ??= this.deps.configured.map(fromConfig);
    this.storedOverrides ??= this.deps.store.thresholds.list();
    return [...this.configuredOverrides, ...this.storedOverrides];
  }

  get(id: string): ThresholdOverride | undefined {
    return this.overrides().find((o) => o.id === id);
  }

  /** The device's profile (undefined while an auto device has none yet) and the thresholds that apply to it. */
  effective(device: DeviceRecord): { profile: Profile | undefined; thresholds: EffectiveThreshold[] } {
    const name = profileNameOf(device);
    const profile = name === null ? undefined : this.deps.profiles.get(name);
    return { profile, thresholds: profile ? resolveThresholds(profile, device, this.overrides()) : [] };
  }

  /** How often the device must be scanned at least for its readings, in seconds; undefined: its own interval. */
  intervalSecondsFor(device: DeviceRecord): number | undefined {
    const { profile, thresholds } = this.effective(device);
    return profile && cadenceSeconds(profile, thresholds);
  }

  /** Config device overrides that name no device: they apply to nothing (yet). */
  unmatchedConfigured(): string[] {
    return this.overrides()
      .filter((o) => o.origin === 'config' && o.scope === 'device' && !this.deps.store.devices.getByName(o.target))
      .map((o) => `thresholds.${o.id.slice('config-'.length)}.device: no device named ${o.target}; the threshold applies to nothing`);
  }

  add(input: ThresholdOverrideInput): ThresholdOverride {
    const { profile, site, device: deviceName, ...settings } = input;
    const device = deviceName === undefined ? undefined : this.deps.store.devices.getByName(deviceName);
    if (deviceName !== undefined && !device) throw new ThresholdInputError('device', `no device named ${deviceName}`);
    const target = (deviceName ?? profile ?? site)!;
    const stored: NewThresholdOverride = device
      ? { ...settings, scope: 'device', deviceId: device.id }
      : { ...settings, scope: profile !== undefined ? 'profile' : 'site', target };
    this.check({ ...settings, id: '', origin: 'api', scope: stored.scope, target, ...(device ? { deviceId: device.id } : {}) }, device ? profileNameOf(device) : null);
    const created = this.write(() => this.deps.store.thresholds.insert(stored));
    this.changed(created);
    return created;
  }

  /** Changes what an API override sets (not what it is set on); checked as a whole, like a new one. */
  update(id: string, patch: OverridePatch): ThresholdOverride {
    const current = this.changeable(id);
    const { id: _id, origin, scope, target, deviceId, ...settings } = current;
    const merged: Record<string, unknown> = { ...settings };
    // A new limit replaces the old one, whichever direction it was.
    if (LIMITS.some((key) => patch[key] !== undefined)) for (const key of LIMITS) delete merged[key];
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else if (value !== undefined) merged[key] = value;
    }
    const parsed = settingsSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      throw new ThresholdInputError(issue.path.length > 0 ? issue.path.join('.') : undefined, `as changed, ${issue.message}`);
    }
    const device = deviceId === undefined ? undefined : this.deps.store.devices.get(deviceId);
    this.check({ ...parsed.data, id, origin, scope, target, ...(deviceId !== undefined ? { deviceId } : {}) }, device ? profileNameOf(device) : null);
    const updated = this.write(() => this.deps.store.thresholds.update(Number(id), parsed.data));
    if (!updated) throw new ThresholdNotFoundError(`no threshold ${id}`);
    this.changed(current, updated);
    return updated;
  }

  remove(id: string): ThresholdOverride {
    const current = this.changeable(id);
    this.deps.store.thresholds.delete(Number(id));
    this.storedOverrides = undefined;
    this.changed(current);
    return current;
  }

  violations({ device, profile, readings, at }: ScannedReadings): Alarm[] {
    if (this.evaluatedWith.get(device.id) !== profile.name) {
      this.evaluator.forget(device.id);
      this.evaluatedWith.set(device.id, profile.name);
    }
    // The record was read before the scan: a different profile means the scan just found it.
    if (profileNameOf(device) !== profile.name) this.deps.onProfileResolved?.(device.id);
    const thresholds = readings.length === 0 ? [] : resolveThresholds(profile, device, this.overrides());
    if (thresholds.length === 0) {
      this.evaluator.forget(device.id);
      return [];
    }
    const activeKeys = new Set(this.deps.store.alarms.activeForDevice(device.id).map((a) => a.key));
    return this.evaluator.evaluate({ deviceId: device.id, readings, definitions: profile.readings, thresholds, activeKeys, now: at });
  }

  /** Forgets a device's pending violations and cached overrides (it was removed). */
  forget(deviceId: number): void {
    this.evaluator.forget(deviceId);
    this.evaluatedWith.delete(deviceId);
    // Its overrides went with it in the database.
    if (this.storedOverrides?.some((o) => o.deviceId === deviceId)) this.storedOverrides = undefined;
  }

  private changeable(id: string): ThresholdOverride {
    const current = this.get(id);
    if (!current) throw new ThresholdNotFoundError(`no threshold ${id}: list them with GET /api/v1/thresholds`);
    if (current.origin === 'config') {
      throw new ThresholdFromConfigError(`threshold ${id} is thresholds.${id.slice('config-'.length)} in the config file; change it there`);
    }
    return current;
  }

  /** Refuses what the loaded profiles do not have, and a second override for one target and key. */
  private check(candidate: ThresholdOverride, deviceProfile: string | null): void {
    const problem = overrideProblem(candidate, this.deps.profiles, deviceProfile);
    if (problem) throw new ThresholdInputError(problem.field, problem.message);
    const key = overrideKey(candidate);
    const twin = this.overrides().find((o) => o.id !== candidate.id && overrideKey(this.withDeviceId(o)) === key);
    if (twin) {
      throw new ThresholdExistsError(
        `threshold ${twin.id} already sets ${candidate.reading} ${candidate.level}${candidate.instance === undefined ? '' : ` for ${candidate.instance}`} on ${candidate.scope} ${candidate.target}: ` +
          (twin.origin === 'config' ? 'it is in the config file' : `change it (PATCH /api/v1/thresholds/${twin.id}) or remove it first`),
      );
    }
  }

  /** A config device override names its device; compared with an API one by the device's id. */
  private withDeviceId(o: ThresholdOverride): ThresholdOverride {
    if (o.scope !== 'device' || o.deviceId !== undefined) return o;
    const device = this.deps.store.devices.getByName(o.target);
    return device ? { ...o, deviceId: device.id } : o;
  }

  private write<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof ThresholdOverrideExistsError) throw new ThresholdExistsError(error.message);
      throw error;
    } finally {
      this.storedOverrides = undefined;
    }
  }

  /** The devices the override (before and after a change) concerns get their new cadence and a scan now. */
  private changed(...versions: ThresholdOverride[]): void {
    const concerned = this.deps.store.devices
      .list()
      .filter((d) => versions.some((o) => appliesTo(o, profileNameOf(d) ?? '', d)))
      .map((d) => d.id);
    if (concerned.length > 0) this.deps.onDevicesChanged?.(concerned);
  }
}
