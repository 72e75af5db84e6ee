// priscan writes the reading families of /metrics itself (src/metrics/text-metric.ts): the text must
// be what prom-client Gauges write for the same series, byte for byte, and get() must give what a
// Gauge's get() gives.
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readingSeries, registerReadingGauges, type ShownReading, type ShownScan } from '../../src/metrics/readings.js';
import { ExpositionRegistry } from '../../src/metrics/text-metric.js';

const r = (reading: string, unit: string, label: string, value: number, state: string | null = null, states: string[] = []): ShownReading => ({ reading, unit, label, value, state, states });

/** Scans with what a device may send: quotes, backslashes, newlines, other scripts, odd numbers, states, too many rows. */
const SCANS: Array<[number, ShownScan]> = [
  [1, { device: 'ups-1', site: '', at: 1, readings: [r('batteryCharge', 'percent', '', 100), r('inputVoltage', 'volts', '1', 230.4), r('outputLoad', 'percent', '1', 40)] }],
  [2, { device: 'nb "2"\\x', site: 'dc\neast', at: 1, readings: [r('temperature', 'celsius', 'Rack "Temp"\nx\\y', 22.5), r('temperature', 'celsius', 'Rack "Temp"\nx\\y', 23.5), r('door', 'state', 'Front Door', 1, 'closed', ['open', 'closed']), r('door', 'state', 'Back', 7, null, ['open', 'closed'])] }],
  [3, { device: 'big', site: 's', at: 1, readings: Array.from({ length: 140 }, (_, i) => r('t', 'celsius', `row ${i % 70}`, i / 3)) }],
  [4, { device: 'odd', site: '', at: 1, readings: [r('x', 'count', '', -0), r('y', 'count', '', 1e21), r('z', 'count', '', 1.5e-7), r('w', 'count', 'ä 你好 #(1)', NaN), r('v', 'count', '', Infinity), r('u', 'count', '', -Infinity)] }],
  [5, { device: 'empty', site: '', at: 1, readings: [] }],
];

/** The reading families as prom-client Gauges write the same devices' series, in the same order. */
async function promClientText(scans: ReadonlyArray<ShownScan>): Promise<string[]> {
  const registry = new Registry();
  const values = new Gauge({ name: 'priscan_reading', help: 'h', labelNames: ['device', 'site', 'reading', 'unit', 'row'], registers: [registry] });
  const states = new Gauge({ name: 'priscan_reading_state', help: 'h', labelNames: ['device', 'site', 'reading', 'row', 'state'], registers: [registry] });
  for (const scan of scans) {
    for (const s of readingSeries(scan.readings).series) {
      values.set({ device: scan.device, site: scan.site, reading: s.reading, unit: s.unit, row: s.row }, s.value);
      for (const state of s.states) states.set({ device: scan.device, site: scan.site, reading: s.reading, row: s.row, state }, state === s.state ? 1 : 0);
    }
  }
  return readingLines(await registry.metrics());
}

const readingLines = (text: string) => text.split('\n').filter((l) => /^priscan_reading(_state)?\{/.test(l));

describe('the reading families of /metrics', () => {
  it('are written as prom-client writes the same series, scan after scan, hidden and stale devices left out', async () => {
    const registry = new ExpositionRegistry();
    let current: ReadonlySet<number> | null = null;
    const gauges = registerReadingGauges(registry, () => (shown) => current ?? new Set(shown.keys()));
    const showing = new Map<number, ShownScan>();
    const show = (id: number, scan: ShownScan) => {
      gauges.show(id, scan);
      showing.set(id, scan);
    };
    const expectSame = async () => {
      const visible = [...showing].filter(([id]) => current?.has(id) ?? true).map(([, scan]) => scan);
      expect(readingLines(await registry.metrics())).toEqual(await promClientText(visible));
    };

    for (const [id, scan] of SCANS) show(id, scan);
    await expectSame();
    expect(readingLines(await registry.metrics()).length).toBe(3 + 4 + 4 + 128 + 6);
    // A later scan with fewer rows, other values and another state replaces the device's series in place.
    show(1, { device: 'ups-1', site: '', at: 2, readings: [r('batteryCharge', 'percent', '', 99), r('outputLoad', 'percent', '1', 41)] });
    show(2, { device: 'nb "2"\\x', site: 'dc\neast', at: 2, readings: [r('door', 'state', 'Front Door', 0, 'open', ['open', 'closed'])] });
    await expectSame();
    // Hidden, then shown again: it comes last, as a series prom-client had removed and set again.
    gauges.hide(1);
    showing.delete(1);
    await expectSame();
    show(1, { device: 'ups-1', site: '', at: 3, readings: [r('batteryCharge', 'percent', '', 98)] });
    await expectSame();
    // No longer current at scrape time: gone from the text, and from later scrapes too.
    current = new Set([1, 3]);
    await expectSame();
    showing.delete(2);
    showing.delete(4);
    current = null;
    await expectSame();
  });

  it('give getSingleMetric().get() the labels and values a prom-client Gauge gives, escapes undone', async () => {
    const registry = new ExpositionRegistry();
    const gauges = registerReadingGauges(registry, () => (shown) => new Set(shown.keys()));
    for (const [id, scan] of SCANS) gauges.show(id, scan);
    const reference = new Registry();
    const values = new Gauge({ name: 'priscan_reading', help: 'h', labelNames: ['device', 'site', 'reading', 'unit', 'row'], registers: [reference] });
    const states = new Gauge({ name: 'priscan_reading_state', help: 'h', labelNames: ['device', 'site', 'reading', 'row', 'state'], registers: [reference] });
    for (const [, scan] of SCANS) {
      for (const s of readingSeries(scan.readings).series) {
        values.set({ device: scan.device, site: scan.site, reading: s.reading, unit: s.unit, row: s.row }, s.value);
        for (const state of s.states) states.set({ device: scan.device, site: scan.site, reading: s.reading, row: s.row, state }, state === s.state ? 1 : 0);
      }
    }
    // The text has no negative zero ("0"), so -0 reads back as 0.
    const plain = ({ labels, value }: { labels: object; value: number }) => ({ labels, value: value === 0 ? 0 : value });
    for (const name of ['priscan_reading', 'priscan_reading_state']) {
      const ours = (await registry.getSingleMetric(name)!.get()).values.map(plain);
      const theirs = (await reference.getSingleMetric(name)!.get()).values.map(plain);
      expect(ours).toEqual(theirs);
    }
    expect((await registry.getSingleMetric('priscan_reading')!.get()).values).toContainEqual({ labels: { device: 'nb "2"\\x', site: 'dc\neast', reading: 'temperature', unit: 'celsius', row: 'Rack _Temp__x_y~2' }, value: 23.5 });
  });
});
