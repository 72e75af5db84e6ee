import { Gauge, type Registry } from 'prom-client';
import { perScrape } from './state.js';

/** One reading as /metrics shows it; built by the composition root from the store at scrape time. */
export interface SnapshotReading {
  device: string;
  /** The device's site; '' when it has none. */
  site: string;
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

export interface ReadingSeries extends SnapshotReading {
  /** The bounded row label, unique among the rows of its device's reading. */
  row: string;
}

/**
 * The series a snapshot shows: at most `limit` readings per device (in the snapshot's order, which
 * puts the profile's first readings first), each with a row label that tells its rows apart even
 * when two rows have one name or were cut to the same text (`~2`, `~3`, … are appended).
 */
export function readingSeries(readings: readonly SnapshotReading[], limit = MAX_READINGS_PER_DEVICE) {
  const shown = new Map<string, number>();
  const capped = new Map<string, number>();
  const rows = new Map<string, Set<string>>();
  const series: ReadingSeries[] = [];
  for (const r of readings) {
    const count = shown.get(r.device) ?? 0;
    if (count >= limit) {
      capped.set(r.device, (capped.get(r.device) ?? 0) + 1);
      continue;
    }
    shown.set(r.device, count + 1);
    const taken = rows.get(`${r.device}\u0000${r.reading}`) ?? new Set<string>();
    rows.set(`${r.device}\u0000${r.reading}`, taken);
    const base = rowLabel(r.label);
    let row = base;
    for (let n = 2; taken.has(row); n++) row = `${[...base].slice(0, MAX_ROW_LABEL_LENGTH - String(n).length - 1).join('')}~${n}`;
    taken.add(row);
    series.push({ ...r, row });
  }
  return { series, capped };
}

/**
 * priscan_reading (every reading's value), priscan_reading_state (a state set: one series per
 * state the profile names, 1 for the current one, 0 for the others, as kube-state-metrics shows
 * phases) and priscan_readings_capped, from one snapshot per scrape.
 */
export function registerReadingGauges(registry: Registry, snapshot: () => readonly SnapshotReading[]): void {
  const fresh = perScrape(() => readingSeries(snapshot()));
  new Gauge({
    name: 'priscan_reading',
    help: `Last value of a sensor reading from the device's latest successful scan, in its unit (state readings: the raw value); row names the table row ('' for a scalar). At most ${MAX_READINGS_PER_DEVICE} per device.`,
    labelNames: ['device', 'site', 'reading', 'unit', 'row'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of fresh().series) this.set({ device: r.device, site: r.site, reading: r.reading, unit: r.unit, row: r.row }, r.value);
    },
  });
  new Gauge({
    name: 'priscan_reading_state',
    help: 'State readings (a door, a load state): 1 for the state the reading is in, 0 for every other state its profile names.',
    labelNames: ['device', 'site', 'reading', 'row', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of fresh().series) {
        for (const state of r.states) this.set({ device: r.device, site: r.site, reading: r.reading, row: r.row, state }, state === r.state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'priscan_readings_capped',
    help: `Readings of the device not shown in priscan_reading because it reports more than ${MAX_READINGS_PER_DEVICE}.`,
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [device, count] of fresh().capped) this.set({ device }, count);
    },
  });
}
