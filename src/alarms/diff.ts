import type { Alarm } from './model.js';

export interface AlarmDiff<T extends Alarm = Alarm> {
  raised: Alarm[];
  cleared: T[];
}

/**
 * Compares what a scan found with what is stored as active, by key. New keys
 * are raised and missing keys are cleared. A key present in both is unchanged,
 * even if its text changed, so re-scanning the same state writes nothing.
 */
export function diffAlarms<T extends Alarm>(active: readonly T[], scanned: readonly Alarm[]): AlarmDiff<T> {
  const activeKeys = new Set(active.map((a) => a.key));
  const scannedByKey = new Map<string, Alarm>();
  for (const alarm of scanned) if (!scannedByKey.has(alarm.key)) scannedByKey.set(alarm.key, alarm);
  return {
    raised: [...scannedByKey.values()].filter((a) => !activeKeys.has(a.key)),
    cleared: active.filter((a) => !scannedByKey.has(a.key)),
  };
}
