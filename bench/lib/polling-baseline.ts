// When the polling baseline saw each alarm change: the first Prometheus sample that shows a
// raised alarm, and the first successful scrape after its last sample for a clear.
import { round, summarize, type Summary } from './detection-log.js';
import type { PlayedChange } from './plan.js';
import { ALARM_CODE_METRIC, type RunningPrometheus, type Sample } from './snmp-exporter.js';

export interface BaselineDetection {
  raise: Summary;
  clear: Summary;
  /** Alarms no sample ever showed (held for less than a scrape interval, or scrapes failed). */
  missed: number;
  /** Scrapes (one per target and interval) in the window, and how many of them failed (`up` 0). */
  scrapes: number;
  failedScrapes: number;
}

export interface BaselineQuery {
  prometheus: RunningPrometheus;
  /** The baseline fleet's changes (one alarm per device), on the simulator's monotonic clock. */
  played: readonly PlayedChange[];
  /** The Prometheus `instance` (the scrape target) of a change's device. */
  targetOf: (change: PlayedChange) => string;
  /** The value priscanAlarmCode shows for the alarm. */
  code: number;
  /** Date.now() minus the monotonic clock: Prometheus stamps samples in wall-clock milliseconds. */
  wallOffsetMs: number;
  /** Wall-clock start of the measured window; the query covers it up to now. */
  windowStartMs: number;
}

function byInstance(series: Array<{ labels: Record<string, string>; samples: Sample[] }>, keep: (s: Sample) => boolean): Map<string, Sample[]> {
  const result = new Map<string, Sample[]>();
  for (const s of series) {
    const instance = s.labels.instance ?? '';
    const list = result.get(instance) ?? [];
    list.push(...s.samples.filter(keep));
    result.set(instance, list);
  }
  for (const list of result.values()) list.sort((a, b) => a.atMs - b.atMs);
  return result;
}

export async function baselineDetections(q: BaselineQuery): Promise<BaselineDetection> {
  const windowS = (Date.now() - q.windowStartMs) / 1000 + 1;
  const alarms = byInstance(await q.prometheus.samples(`${ALARM_CODE_METRIC}{job="snmp"}`, windowS), (s) => s.value === q.code);
  const ups = byInstance(await q.prometheus.samples('up{job="snmp"}', windowS), (s) => s.atMs >= q.windowStartMs);
  const raise: number[] = [];
  const clear: number[] = [];
  let missed = 0;
  for (const change of q.played) {
    const target = q.targetOf(change);
    const seen = alarms.get(target) ?? [];
    const changedAtMs = change.changedAt + q.wallOffsetMs;
    if (change.action === 'raise') {
      // Each device of the plan raises once, so the series' first sample is this raise.
      if (seen.length === 0) missed++;
      else raise.push((seen[0] as Sample).atMs - changedAtMs);
    } else if (seen.length > 0) {
      const lastShown = (seen.at(-1) as Sample).atMs;
      const firstWithout = (ups.get(target) ?? []).find((s) => s.value === 1 && s.atMs > lastShown);
      if (firstWithout) clear.push(firstWithout.atMs - changedAtMs);
    }
  }
  const scrapes = [...ups.values()].flat();
  return { raise: summarize(raise), clear: summarize(clear), missed, scrapes: scrapes.length, failedScrapes: scrapes.filter((s) => s.value !== 1).length };
}

/** Date.now() minus the monotonic clock, averaged over a few readings (sub-millisecond). */
export function wallClockOffset(monotonic: () => number): number {
  const readings = Array.from({ length: 5 }, () => Date.now() - monotonic());
  return round(readings.reduce((t, r) => t + r, 0) / readings.length, 3);
}
