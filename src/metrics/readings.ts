import { Gauge, type Registry } from 'prom-client';

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

type ValueLabels = { device: string; site: string; reading: string; unit: string; row: string };
type StateLabels = { device: string; site: string; reading: string; row: string; state: string };

/** What a device shows now: its scan's time and the label sets to remove when that changes (prom-client holds the same objects). */
interface Shown {
  at: number;
  device: string;
  values: ValueLabels[];
  states: StateLabels[];
}

const valueKey = (l: ValueLabels) => `${l.device}\u0000${l.site}\u0000${l.reading}\u0000${l.unit}\u0000${l.row}`;
const stateKey = (l: StateLabels) => `${l.device}\u0000${l.site}\u0000${l.reading}\u0000${l.row}\u0000${l.state}`;

/**
 * priscan_reading (every reading's value), priscan_reading_state (a state set: one series per
 * state the profile names, 1 for the current one, 0 for the others, as kube-state-metrics shows
 * phases) and priscan_readings_capped. Each scan replaces its device's series; each scrape first
 * hides the devices whose shown scan is no longer current (a later scan failed, the device was
 * removed or unlicensed, or nothing has scanned it for a while).
 */
export function registerReadingGauges(registry: Registry, stillCurrent: () => StillCurrent): ReadingGaugesPort {
  const shown = new Map<number, Shown>();
  const states = new Gauge({
    name: 'priscan_reading_state',
    help: 'State readings (a door, a load state): 1 for the state the reading is in, 0 for every other state its profile names.',
    labelNames: ['device', 'site', 'reading', 'row', 'state'] as const,
    registers: [],
  });
  const capped = new Gauge({
    name: 'priscan_readings_capped',
    help: `Readings of the device not shown in priscan_reading because it reports more than ${MAX_READINGS_PER_DEVICE}.`,
    labelNames: ['device'] as const,
    registers: [],
  });
  const hide = (deviceId: number) => {
    const was = shown.get(deviceId);
    if (!was) return;
    for (const labels of was.values) values.remove(labels);
    for (const labels of was.states) states.remove(labels);
    capped.remove({ device: was.device });
    shown.delete(deviceId);
  };
  const values = new Gauge({
    name: 'priscan_reading',
    help: `Last value of a sensor reading from the device's latest successful scan, in its unit (state readings: the raw value); row names the table row ('' for a scalar). At most ${MAX_READINGS_PER_DEVICE} per device.`,
    labelNames: ['device', 'site', 'reading', 'unit', 'row'] as const,
    registers: [registry],
    // Collected before the two below (registered after it), so a scrape shows one consistent set.
    collect() {
      if (shown.size === 0) return;
      const current = stillCurrent()(new Map([...shown].map(([id, s]) => [id, s.at])));
      for (const id of [...shown.keys()]) if (!current.has(id)) hide(id);
    },
  });
  registry.registerMetric(states);
  registry.registerMetric(capped);

  return {
    show(deviceId, scan) {
      const before = shown.get(deviceId);
      const now: Shown = { at: scan.at, device: scan.device, values: [], states: [] };
      const { series, capped: left } = readingSeries(scan.readings);
      for (const r of series) {
        const labels: ValueLabels = { device: scan.device, site: scan.site, reading: r.reading, unit: r.unit, row: r.row };
        now.values.push(labels);
        values.set(labels, r.value);
        for (const state of r.states) {
          const stateLabels: StateLabels = { device: scan.device, site: scan.site, reading: r.reading, row: r.row, state };
          now.states.push(stateLabels);
          states.set(stateLabels, state === r.state ? 1 : 0);
        }
      }
      // Only what this scan no longer has is removed: the rest was overwritten in place.
      if (before) {
        const kept = new Set(now.values.map(valueKey));
        for (const labels of before.values) if (!kept.has(valueKey(labels))) values.remove(labels);
        const keptStates = new Set(now.states.map(stateKey));
        for (const labels of before.states) if (!keptStates.has(stateKey(labels))) states.remove(labels);
      }
      if (before && before.device !== scan.device) capped.remove({ device: before.device });
      if (left > 0) capped.set({ device: scan.device }, left);
      else capped.remove({ device: scan.device });
      shown.set(deviceId, now);
    },
    hide,
  };
}
