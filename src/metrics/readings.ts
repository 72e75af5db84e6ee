import { Gauge } from 'prom-client';
import { escapeLabelValue, seriesLine, type ExpositionRegistry, type TextGauge } from './text-metric.js';

/** One reading of a scan as /metrics shows it. */
export interface ShownReading {
  reading: string;
  unit: string;
  /** What the table row is called (device text); '' for a scalar. */
  label: string;
  value: number;
  /** For state readings: the current state's name; null when the profile does not know the value. */
  state: string | null;
  /** Every state the profile names for the reading (empty for other readings). */
  states: readonly string[];
}

/** A device's readings from one successful scan. */
export interface ShownScan {
  device: string;
  /** The device's site; '' when it has none. */
  site: string;
  at: number;
  readings: readonly ShownReading[];
}

/**
 * What /metrics shows of readings, kept up to date as scans store them: a scrape then costs no
 * more than writing the series out (100,000 of them, rebuilt at every scrape, cost a second of CPU).
 */
export interface ReadingGaugesPort {
  /** A device's readings from a successful scan: they replace what it showed before. */
  show(deviceId: number, scan: ShownScan): void;
  /** Stops showing a device's readings. */
  hide(deviceId: number): void;
}

/**
 * Given each shown device and the time of the scan it shows, the devices whose readings are still
 * current (asked at every scrape): the others are hidden.
 */
export type StillCurrent = (shown: ReadonlyMap<number, number>) => ReadonlySet<number>;

/** Readings one device may show; the rest are counted in priscan_readings_capped. */
export const MAX_READINGS_PER_DEVICE = 128;
/** A row label value: device text, so bounded in length and characters. */
export const MAX_ROW_LABEL_LENGTH = 64;

/** Letters and digits of any script, space, and the punctuation sensor names use; the rest become '_'. */
const ROW_LABEL_OUTSIDE = /[^\p{L}\p{N} ._:/#()+,%@-]/gu;

/** A row's label as a label value: one line of known characters, at most MAX_ROW_LABEL_LENGTH. */
export function rowLabel(text: string): string {
  const cleaned = text.replace(ROW_LABEL_OUTSIDE, '_').replace(/\s+/g, ' ').trim();
  return [...cleaned].slice(0, MAX_ROW_LABEL_LENGTH).join('');
}

export interface ReadingSeries extends ShownReading {
  /** The bounded row label, unique among the rows of the reading. */
  row: string;
}

/**
 * The series one device's scan shows: at most `limit` readings (in the scan's order, which puts the
 * profile's first readings first), each with a row label that tells its rows apart even when two
 * rows have one name or were cut to the same text (`~2`, `~3`, … are appended).
 */
export function readingSeries(readings: readonly ShownReading[], limit = MAX_READINGS_PER_DEVICE): { series: ReadingSeries[]; capped: number } {
  const rows = new Map<string, Set<string>>();
  const series: ReadingSeries[] = [];
  for (const r of readings.slice(0, limit)) {
    let taken = rows.get(r.reading);
    if (!taken) rows.set(r.reading, (taken = new Set()));
    const base = rowLabel(r.label);
    let row = base;
    for (let n = 2; taken.has(row); n++) row = `${[...base].slice(0, MAX_ROW_LABEL_LENGTH - String(n).length - 1).join('')}~${n}`;
    taken.add(row);
    series.push({ ...r, row });
  }
  return { series, capped: Math.max(0, readings.length - limit) };
}

/** What a device shows now: its scan's time, and its series as exposition lines (see registerReadingGauges). */
interface Shown {
  at: number;
  device: string;
  /** The device's priscan_reading lines, joined by newlines; '' for none. */
  values: string;
  /** Its priscan_reading_state lines, likewise. */
  states: string;
}

const VALUES = 'priscan_reading';
const STATES = 'priscan_reading_state';

/** A device's series as lines of the two families, in its scan's order. */
function deviceLines(scan: ShownScan, series: readonly ReadingSeries[]): Pick<Shown, 'values' | 'states'> {
  const device = `device="${escapeLabelValue(scan.device)}",site="${escapeLabelValue(scan.site)}"`;
  const values: string[] = [];
  const states: string[] = [];
  for (const r of series) {
    const reading = `reading="${escapeLabelValue(r.reading)}"`;
    const row = `row="${escapeLabelValue(r.row)}"`;
    values.push(seriesLine(VALUES, `${device},${reading},unit="${escapeLabelValue(r.unit)}",${row}`, r.value));
    for (const state of r.states) states.push(seriesLine(STATES, `${device},${reading},${row},state="${escapeLabelValue(state)}"`, state === r.state ? 1 : 0));
  }
  return { values: values.join('\n'), states: states.join('\n') };
}

/**
 * priscan_reading (every reading's value), priscan_reading_state (a state set: one series per
 * state the profile names, 1 for the current one, 0 for the others, as kube-state-metrics shows
 * phases) and priscan_readings_capped. Each scan replaces its device's series; each scrape first
 * hides the devices whose shown scan is no longer current (a later scan failed, the device was
 * removed or unlicensed, or nothing has scanned it for a while).
 *
 * The two reading families are 65,000 series at 10,000 devices. As prom-client Gauges they held
 * 22 MB and every scrape made 40 MB of garbage of them; here each scan writes its device's lines
 * once (6 MB in all) and a scrape joins them. Devices are listed in the order they were first
 * shown (one hidden and shown again goes last), each device's series in its scan's order.
 */
export function registerReadingGauges(registry: ExpositionRegistry, stillCurrent: () => StillCurrent): ReadingGaugesPort {
  const shown = new Map<number, Shown>();
  const capped = new Gauge({
    name: 'priscan_readings_capped',
    help: `Readings of the device not shown in priscan_reading because it reports more than ${MAX_READINGS_PER_DEVICE}.`,
    labelNames: ['device'] as const,
    registers: [],
  });
  const hide = (deviceId: number) => {
    const was = shown.get(deviceId);
    if (!was) return;
    capped.remove({ device: was.device });
    shown.delete(deviceId);
  };
  const hideStale = () => {
    if (shown.size === 0) return;
    const current = stillCurrent()(new Map([...shown].map(([id, s]) => [id, s.at])));
    for (const id of [...shown.keys()]) if (!current.has(id)) hide(id);
  };
  const lines = (family: 'values' | 'states') => [...shown.values()].map((s) => s[family]).filter((text) => text !== '');

  registry.registerTextGauge({
    name: VALUES,
    help: `Last value of a sensor reading from the device's latest successful scan, in its unit (state readings: the raw value); row names the table row ('' for a scalar). At most ${MAX_READINGS_PER_DEVICE} per device.`,
    type: 'gauge',
    labelNames: ['device', 'site', 'reading', 'unit', 'row'],
    // Collected before the two below (registered after it), so a scrape shows one consistent set.
    lines() {
      hideStale();
      return lines('values');
    },
  });
  registry.registerTextGauge({
    name: STATES,
    help: 'State readings (a door, a load state): 1 for the state the reading is in, 0 for every other state its profile names.',
    type: 'gauge',
    labelNames: ['device', 'site', 'reading', 'row', 'state'],
    lines: () => lines('states'),
  });
  registry.registerMetric(capped);

  return {
    show(deviceId, scan) {
      const before = shown.get(deviceId);
      const { series, capped: left } = readingSeries(scan.readings);
      if (before && before.device !== scan.device) capped.remove({ device: before.device });
      if (left > 0) capped.set({ device: scan.device }, left);
      else capped.remove({ device: scan.device });
      shown.set(deviceId, { at: scan.at, device: scan.device, ...deviceLines(scan, series) });
    },
    hide,
  };
}
