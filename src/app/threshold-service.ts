import type { Alarm } from '../alarms/model.js';
import type { Profile } from '../profiles/schema.js';
import type { ScannedReadings } from '../scanning/scanner.js';
import type { Store } from '../store/store.js';
import { ThresholdEvaluator, type EffectiveThreshold } from '../thresholds/evaluate.js';

export interface ThresholdServiceDeps {
  store: Store;
}

/**
 * Threshold violations among a scan's readings. The thresholds that apply to a device are its
 * profile's defaults (operator overrides per profile, site and device come on top of these).
 */
export class ThresholdService {
  private readonly evaluator = new ThresholdEvaluator();

  constructor(private readonly deps: ThresholdServiceDeps) {}

  /** The thresholds that apply to a device of this profile, most specific last. */
  effective(profile: Profile): EffectiveThreshold[] {
    return profile.thresholds.map((t) => ({ ...t, scope: 'profile-default' }));
  }

  violations({ device, profile, readings, at }: ScannedReadings): Alarm[] {
    if (readings.length === 0) return [];
    const thresholds = this.effective(profile);
    if (thresholds.length === 0) return [];
    const activeKeys = new Set(this.deps.store.alarms.activeForDevice(device.id).map((a) => a.key));
    return this.evaluator.evaluate({ deviceId: device.id, readings, definitions: profile.readings, thresholds, activeKeys, now: at });
  }

  /** Forgets pending violations of a device (removed, or its profile changed). */
  forget(deviceId: number): void {
    this.evaluator.forget(deviceId);
  }
}
