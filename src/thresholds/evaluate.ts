import type { Alarm, Severity } from '../alarms/model.js';
import type { Reading, ReadingUnit } from '../profiles/schema.js';
import type { ReadingValue } from '../scanning/evaluate.js';

/** Where an effective threshold came from; the most specific one wins. */
export const THRESHOLD_SCOPES = ['profile-default', 'profile', 'site', 'device'] as const;
export type ThresholdScope = (typeof THRESHOLD_SCOPES)[number];

export type ThresholdLevel = 'warning' | 'critical';

/** A limit on one reading of one device, as it applies after overrides. */
export interface EffectiveThreshold {
  reading: string;
  level: ThresholdLevel;
  /** Only the row with this label or index; absent: every row of the reading. */
  instance?: string;
  above?: number;
  below?: number;
  outside?: readonly [number, number];
  /** This row is exempt from the level's threshold for every row (an override removed it for the row). */
  disabled?: true;
  hysteresis: number;
  forSeconds: number;
  /** Read the device at least this often, in seconds (a faster cadence asked by an override). */
  intervalSeconds?: number;
  scope: ThresholdScope;
  /** The operator override it comes from; absent for a profile's default. */
  override?: { id: string; origin: 'config' | 'api' };
}

type Direction = 'above' | 'below';

/** One threshold violation as a scan sees it: which limit, which way, and the value. */
interface Violation {
  threshold: EffectiveThreshold;
  direction: Direction;
  limit: number;
  value: ReadingValue;
}

/** What a threshold alarm is keyed by: reading, row, direction and level. */
export function thresholdCode(reading: string, direction: Direction): string {
  return `threshold.${reading}.${direction}`;
}

export function thresholdKey(value: Pick<ReadingValue, 'reading' | 'instance'>, direction: Direction, level: EffectiveThreshold['level']): string {
  return `threshold.${value.reading}:${value.instance || '0'}:${thresholdCode(value.reading, direction)}:${level}`;
}

const UNIT_TEXT: Record<ReadingUnit, string> = {
  percent: ' %',
  volts: ' V',
  amperes: ' A',
  watts: ' W',
  volt_amperes: ' VA',
  hertz: ' Hz',
  celsius: ' °C',
  seconds: ' s',
  state: '',
  count: '',
};

/**
 * Turns a scan's readings into threshold alarms. A limit is crossed when the value goes past it
 * (strictly); an alarm already active clears only once the value is back past the limit by the
 * hysteresis, so a value hovering at a limit does not flap. With forSeconds, a violation must hold
 * that long, scan after scan, before it is raised. Where a reading violates both levels in one
 * direction, only the more severe is raised.
 */
export class ThresholdEvaluator {
  /** When each pending violation (not yet raised: forSeconds) was first seen, by device and alarm key. */
  private readonly pending = new Map<number, Map<string, number>>();

  evaluate(input: {
    deviceId: number;
    readings: readonly ReadingValue[];
    definitions: readonly Reading[];
    thresholds: readonly EffectiveThreshold[];
    /** Keys of the device's alarms active now: hysteresis holds what is already raised. */
    activeKeys: ReadonlySet<string>;
    now: number;
  }): Alarm[] {
    const { deviceId, readings, definitions, thresholds, activeKeys, now } = input;
    const byId = new Map(definitions.map((d) => [d.id, d]));
    const strongest = new Map<string, Violation>();
    for (const value of readings) {
      if (value.state !== undefined) continue; // states have no order to compare
      for (const threshold of applicable(thresholds, value)) {
        const violation = violated(threshold, value, activeKeys);
        if (!violation) continue;
        const slot = `${value.reading}:${value.instance}:${violation.direction}`;
        const held = strongest.get(slot);
        if (!held || (held.threshold.level === 'warning' && threshold.level === 'critical')) strongest.set(slot, violation);
      }
    }
    const pending = this.pending.get(deviceId) ?? new Map<string, number>();
    const stillPending = new Map<string, number>();
    const alarms: Alarm[] = [];
    for (const violation of strongest.values()) {
      const key = thresholdKey(violation.value, violation.direction, violation.threshold.level);
      if (!activeKeys.has(key) && violation.threshold.forSeconds > 0) {
        const since = pending.get(key) ?? now;
        if (now - since < violation.threshold.forSeconds * 1000) {
          stillPending.set(key, since);
          continue;
        }
      }
      alarms.push(toAlarm(violation, key, byId.get(violation.value.reading)));
    }
    if (stillPending.size > 0) this.pending.set(deviceId, stillPending);
    else this.pending.delete(deviceId);
    return alarms;
  }

  /** Forgets a device (removed, or its profile changed). */
  forget(deviceId: number): void {
    this.pending.delete(deviceId);
  }
}

/**
 * The thresholds that judge one value: those of its reading for every row, except where a threshold
 * for this very row (by label or index) exists at the same level: that one takes their place.
 * A row's `disabled` marker takes their place too, and judges nothing.
 */
function applicable(thresholds: readonly EffectiveThreshold[], value: ReadingValue): EffectiveThreshold[] {
  const forReading = thresholds.filter(
    (t) => t.reading === value.reading && (t.instance === undefined || t.instance === value.label || t.instance === value.instance),
  );
  const rowLevels = new Set(forReading.filter((t) => t.instance !== undefined).map((t) => t.level));
  return forReading.filter((t) => !t.disabled && (t.instance !== undefined || !rowLevels.has(t.level)));
}

function violated(threshold: EffectiveThreshold, value: ReadingValue, activeKeys: ReadonlySet<string>): Violation | undefined {
  const high = threshold.above ?? threshold.outside?.[1];
  const low = threshold.below ?? threshold.outside?.[0];
  const held = (direction: Direction) => activeKeys.has(thresholdKey(value, direction, threshold.level));
  if (high !== undefined) {
    // Raised past the limit; once raised, held until back below it by the hysteresis.
    const limit = held('above') ? high - threshold.hysteresis : high;
    if (value.value > limit) return { threshold, direction: 'above', limit: high, value };
  }
  if (low !== undefined) {
    const limit = held('below') ? low + threshold.hysteresis : low;
    if (value.value < limit) return { threshold, direction: 'below', limit: low, value };
  }
  return undefined;
}

function toAlarm(violation: Violation, key: string, definition: Reading | undefined): Alarm {
  const { threshold, direction, limit, value } = violation;
  const unit = definition ? UNIT_TEXT[definition.unit] : '';
  const what = (definition?.description ?? value.reading) + (value.label ? ` ${value.label}` : '');
  const severity: Severity = threshold.level;
  return {
    key,
    severity,
    code: thresholdCode(value.reading, direction),
    description: `${what} is ${format(value.value)}${unit}, ${direction} the ${threshold.level} threshold of ${format(limit)}${unit}`,
  };
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}
