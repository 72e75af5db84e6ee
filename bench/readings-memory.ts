// What the readings of scenario 10's fleet hold in the daemon's heap, measured in this process
// without the 8-minute scale benchmark: 5,000 RFC 1628 UPSes (8 readings each) and 5,000 NetBotz
// (3 readings each, a door with two states), shown in /metrics as their scans show them, twice (a
// second scan replaces the first), then scraped.
//
//   npm run build && node --expose-gc dist/bench/readings-memory.js [--devices N]
//
// Prints the heap the shown series hold after a collection, the heap a scrape leaves to collect,
// and a digest of the scrape's text: the same state must render the same bytes whatever the
// gauges keep inside.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createMetrics } from '../src/metrics/metrics.js';
import type { ShownReading } from '../src/metrics/readings.js';

const { values: args } = parseArgs({ options: { devices: { type: 'string', default: '10000' } } });
const DEVICES = Number(args.devices);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** A UPS's readings as the RFC 1628 profile reads them: 3 scalars, one input line, one output line. */
function upsReadings(scan: number, n: number): ShownReading[] {
  const v = (base: number) => base + ((n + scan) % 7) / 10;
  const value = (reading: string, unit: string, label: string, base: number): ShownReading => ({ reading, unit, label, value: v(base), state: null, states: [] });
  return [
    value('batteryCharge', 'percent', '', 100),
    value('batteryRuntime', 'seconds', '', 3600),
    value('batteryTemperature', 'celsius', '', 25),
    value('inputVoltage', 'volts', '1', 230),
    value('outputVoltage', 'volts', '1', 230),
    value('outputCurrent', 'amperes', '1', 4),
    value('outputPower', 'watts', '1', 900),
    value('outputLoad', 'percent', '1', 40),
  ];
}

/** A NetBotz's readings: a temperature, a humidity and a door, each one labelled row. */
function netbotzReadings(scan: number, n: number): ShownReading[] {
  const closed = (n + scan) % 5 !== 0;
  return [
    { reading: 'temperature', unit: 'celsius', label: 'Rack Temp', value: 22 + ((n + scan) % 9) / 10, state: null, states: [] },
    { reading: 'humidity', unit: 'percent', label: 'Rack Humidity', value: 40 + ((n + scan) % 11) / 10, state: null, states: [] },
    { reading: 'door', unit: 'state', label: 'Front Door', value: closed ? 1 : 0, state: closed ? 'closed' : 'open', states: ['open', 'closed'] },
  ];
}

const at = 1_700_000_000_000;
const before = heapMb();
const metrics = createMetrics(() => at);
const showAll = (scan: number) => {
  for (let n = 0; n < DEVICES; n++) {
    const ups = n < DEVICES / 2;
    const device = ups ? `ups-${n + 1}` : `netbotz-${n + 1}`;
    metrics.readings.show(n + 1, { device, site: '', at: at + scan, readings: ups ? upsReadings(scan, n) : netbotzReadings(scan, n) });
  }
};
const empty = heapMb();
showAll(0);
const firstScan = heapMb();
showAll(1);
const shown = heapMb();
const beforeScrape = process.memoryUsage().heapUsed / 1e6;
const text = await metrics.registry.metrics();
const scrapeGarbage = process.memoryUsage().heapUsed / 1e6 - beforeScrape;
const readingLines = text.split('\n').filter((l) => l.startsWith('priscan_reading')).length;
await new Promise((done) => setImmediate(done));
const afterScrape = heapMb();
const result = {
  devices: DEVICES,
  seriesShown: readingLines,
  heapMbEmptyRegistry: round1(empty - before),
  heapMbShownAfterFirstScan: round1(firstScan - empty),
  heapMbShownAfterSecondScan: round1(shown - empty),
  bytesPerSeries: Math.round(((shown - empty) * 1e6) / readingLines),
  heapMbAllocatedByScrape: round1(scrapeGarbage),
  heapMbAfterScrape: round1(afterScrape - empty),
  scrapeMb: round1(text.length / 1e6),
  // The reading families only: the process's own metrics (CPU, memory) differ at every scrape.
  scrapeSha256: createHash('sha256').update(text.split('\n').filter((l) => l.startsWith('priscan_reading')).join('\n')).digest('hex'),
};
console.log(`readings of ${DEVICES} devices in /metrics: ${readingLines} series`);
console.log(`  heap they hold after a collection     ${result.heapMbShownAfterSecondScan} MB (${result.bytesPerSeries} B a series)`);
console.log(`  heap one scrape allocates             ${result.heapMbAllocatedByScrape} MB (text ${result.scrapeMb} MB)`);
console.log(`  scrape digest                         ${result.scrapeSha256}`);
console.log(`RESULT ${JSON.stringify(result)}`);
