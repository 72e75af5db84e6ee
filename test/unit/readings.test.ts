// The readings pipeline without sockets: what a scan's values become (bounded, stored, pruned on a
// clock) and what /metrics makes of them (a closed label set, bounded series).
import pino from 'pino';
import { ExpositionRegistry } from '../../src/metrics/text-metric.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadingsPruner } from '../../src/app/readings-pruner.js';
import { MAX_INSTANCE_LENGTH, MAX_LABEL_LENGTH, ReadingInstanceRequiredError, ReadingNotFoundError, ReadingsService, storedSamples } from '../../src/app/readings-service.js';
import { MAX_ROW_LABEL_LENGTH, readingSeries, registerReadingGauges, rowLabel, type ReadingGaugesPort, type ShownReading } from '../../src/metrics/readings.js';
import type { ReadingValue } from '../../src/scanning/evaluate.js';
import type { DeviceRecord } from '../../src/store/devices.js';
import type { PruneRequest, PruneStep } from '../../src/store/readings.js';
import { SqliteStore } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { builtinProfile, builtinProfiles } from '../helpers/profiles.js';

const log = pino({ level: 'silent' });
const MINUTE = 60_000;
const netbotz = builtinProfile('netbotz');

let clock: FakeClock;
let store: SqliteStore;
let service: ReadingsService;
let device: DeviceRecord;
let monitored = true;

const reading = (id: string, instance: string, label: string, value: number, state?: string | null): ReadingValue => ({ reading: id, instance, label, value, ...(state === undefined ? {} : { state }) });
const scan = (readings: ReadingValue[]) => {
  const at = clock.now();
  service.record({ device, profile: netbotz, readings, at });
  store.devices.recordScan(device.id, { at, durationMs: 3, ok: true, error: null });
  device = store.devices.get(device.id)!;
};

beforeEach(() => {
  clock = new FakeClock();
  store = SqliteStore.open(':memory:', clock);
  device = store.devices.insert(newDevice({ name: 'nb-1', profile: 'netbotz', site: 'dc-east' }));
  monitored = true;
  service = new ReadingsService({ store, profiles: builtinProfiles(), clock, log, isMonitored: () => monitored });
});

afterEach(() => store.close());

describe('what a scan\'s readings are stored as', () => {
  it('bounds device text: long row indexes become a stable digest, labels one line of bounded length, non-numbers and unknown readings are left out', () => {
    const longIndex = Array.from({ length: 100 }, (_, i) => String(i)).join('.');
    const units = new Map([['temperature', 'celsius']]);
    const samples = storedSamples(
      [
        reading('temperature', longIndex, `Rack\n${'x'.repeat(500)}`, 21),
        reading('temperature', `${longIndex}.1`, 'Other', 22),
        reading('temperature', '7', 'Twice', 23),
        reading('temperature', '7', 'Twice again', 24),
        reading('temperature', '8', 'Broken', Number.NaN),
        reading('unknownReading', '', '', 1),
      ],
      units,
    );
    expect(samples.map((s) => s.value)).toEqual([21, 22, 23]);
    const [first, second] = samples;
    expect(first!.instance.length).toBe(MAX_INSTANCE_LENGTH);
    expect(second!.instance.length).toBe(MAX_INSTANCE_LENGTH);
    expect(first!.instance).not.toBe(second!.instance);
    expect(storedSamples([reading('temperature', longIndex, 'x', 1)], units)[0]!.instance).toBe(first!.instance);
    expect(first!.label).toMatch(/^Rack\?x+…$/);
    expect(first!.label.length).toBe(MAX_LABEL_LENGTH);
  });

  it('never fails a scan: a device removed under it loses its readings quietly', () => {
    store.devices.delete(device.id);
    expect(() => service.record({ device, profile: netbotz, readings: [reading('temperature', '1', 'T', 20)], at: clock.now() })).not.toThrow();
  });

  it('lists last values in the profile\'s order with its descriptions, and says which the latest scan did not read', () => {
    scan([reading('door', '1', 'Front door', 1, 'closed'), reading('temperature', '10', 'Rack B', 24), reading('temperature', '2', 'Rack A', 22.5), reading('humidity', '1', 'Rack', 45)]);
    clock.advance(MINUTE);
    scan([reading('door', '1', 'Front door', 0, 'open'), reading('temperature', '2', 'Rack A', 23), reading('humidity', '1', 'Rack', 46)]);
    const last = service.lastValues(device);
    expect(last.map((r) => [r.reading, r.instance, r.value, r.state, r.description, r.stale])).toEqual([
      ['temperature', '2', 23, null, 'Temperature', false],
      ['temperature', '10', 24, null, 'Temperature', true],
      ['humidity', '1', 46, null, 'Relative humidity', false],
      ['door', '1', 0, 'open', 'Door', false],
    ]);
    monitored = false;
    expect(service.lastValues(device).every((r) => r.stale)).toBe(true);
  });
});

describe('a reading\'s history', () => {
  beforeEach(() => {
    for (let i = 0; i < 5; i++) {
      scan([reading('temperature', '2', 'Rack A', 20 + i), reading('temperature', '3', 'Rack B', 30 + i), reading('humidity', '1', 'Rack', 40 + i)]);
      clock.advance(MINUTE);
    }
  });
  const request = (r: string, instance?: string) => ({ reading: r, instance, since: 0, until: clock.now(), limit: 3 });

  it('finds the row by index or label, or the only row there is, and pages', () => {
    const byLabel = service.history(device, request('temperature', 'Rack B'));
    expect(byLabel.series.instance).toBe('3');
    expect(byLabel.points.map((p) => p.value)).toEqual([30, 31, 32]);
    expect(byLabel.more).toBe(true);
    expect(service.history(device, request('temperature', '2')).points.map((p) => p.value)).toEqual([20, 21, 22]);
    const only = service.history(device, { ...request('humidity'), limit: 10 });
    expect([only.points.length, only.more]).toEqual([5, false]);
  });

  it('refuses a reading the device does not have, a row it does not have, and no row where there are several', () => {
    expect(() => service.history(device, request('voltage'))).toThrow(ReadingNotFoundError);
    expect(() => service.history(device, request('voltage'))).toThrow('device nb-1 has no reading voltage; it has temperature, humidity');
    expect(() => service.history(device, request('temperature', 'Rack Z'))).toThrow('has no row "Rack Z"; its rows: 2 (Rack A), 3 (Rack B)');
    expect(() => service.history(device, request('temperature'))).toThrow(ReadingInstanceRequiredError);
  });
});

describe('the readings /metrics shows', () => {
  let registry: ExpositionRegistry;
  beforeEach(() => {
    registry = new ExpositionRegistry();
    const gauges = registerReadingGauges(registry, () => (shown) => service.stillCurrent(shown));
    service = new ReadingsService({ store, profiles: builtinProfiles(), clock, log, isMonitored: () => monitored, gauges });
  });
  const readingLines = async () => (await registry.metrics()).split('\n').filter((l) => /^priscan_reading(_state)?\{/.test(l));

  it('are each scan\'s, with the profile\'s states, until a later scan fails', async () => {
    scan([reading('temperature', '2', 'Rack A', 22.5), reading('door', '1', 'Front door', 1, 'closed')]);
    expect(await readingLines()).toEqual([
      'priscan_reading{device="nb-1",site="dc-east",reading="temperature",unit="celsius",row="Rack A"} 22.5',
      'priscan_reading{device="nb-1",site="dc-east",reading="door",unit="state",row="Front door"} 1',
      'priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Front door",state="open"} 0',
      'priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Front door",state="closed"} 1',
    ]);
    // The next scan reads the door open and no longer has the temperature row.
    clock.advance(MINUTE);
    scan([reading('door', '1', 'Front door', 0, 'open')]);
    expect(await readingLines()).toEqual([
      'priscan_reading{device="nb-1",site="dc-east",reading="door",unit="state",row="Front door"} 0',
      'priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Front door",state="open"} 1',
      'priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Front door",state="closed"} 0',
    ]);
    clock.advance(MINUTE);
    store.devices.recordScan(device.id, { at: clock.now(), durationMs: 3000, ok: false, error: 'timeout' });
    expect(await readingLines()).toEqual([]);
  });

  it('are hidden while the device is unmonitored, once removed, and when nothing scanned it for two intervals', async () => {
    scan([reading('temperature', '2', 'Rack A', 22.5)]);
    monitored = false;
    expect(await readingLines()).toEqual([]);
    monitored = true;
    scan([reading('temperature', '2', 'Rack A', 22.5)]);
    expect(await readingLines()).toHaveLength(1);
    // A daemon that stopped scanning it (as after a restart, until its first scan): no longer current.
    clock.advance(2 * device.intervalSeconds * 1000 + 1);
    expect(await readingLines()).toEqual([]);
    scan([reading('temperature', '2', 'Rack A', 22.5)]);
    store.devices.delete(device.id);
    expect(await readingLines()).toEqual([]);
  });
});

describe('pruning on a clock', () => {
  class RecordingRepository {
    readonly calls: PruneRequest[] = [];
    constructor(private readonly steps: PruneStep[]) {}
    prune(request: PruneRequest): PruneStep {
      this.calls.push(request);
      return this.steps.shift() ?? { deletedPoints: 0, deletedSeries: 0, next: null };
    }
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('runs a pass a minute after start and then every interval, batch after batch until the pass is done', async () => {
    const repository = new RecordingRepository([
      { deletedPoints: 500, deletedSeries: 0, next: 40 },
      { deletedPoints: 120, deletedSeries: 2, next: 90 },
      { deletedPoints: 0, deletedSeries: 0, next: null },
    ]);
    const pruner = new ReadingsPruner({ clock, readings: repository, log, retentionMs: 48 * 60 * MINUTE, intervalMs: 10 * MINUTE, batchRows: 500 });
    pruner.start();
    clock.advance(MINUTE - 1);
    expect(repository.calls).toEqual([]);
    clock.advance(1);
    await settle();
    await settle();
    const before = clock.now() - 48 * 60 * MINUTE;
    expect(repository.calls).toEqual([
      { before, after: 0, maxRows: 500 },
      { before, after: 40, maxRows: 500 },
      { before, after: 90, maxRows: 500 },
    ]);
    clock.advance(10 * MINUTE);
    await settle();
    expect(repository.calls).toHaveLength(4);
    expect(repository.calls[3]).toMatchObject({ before: clock.now() - 48 * 60 * MINUTE, after: 0 });
    await pruner.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops a pass under way after its current batch, and schedules nothing more', async () => {
    const repository = new RecordingRepository(Array.from({ length: 10 }, (_, i) => ({ deletedPoints: 500, deletedSeries: 0, next: i + 1 })));
    let release: () => void = () => undefined;
    const pruner = new ReadingsPruner({ clock, readings: repository, log, retentionMs: MINUTE, pause: () => new Promise<void>((r) => (release = r)) });
    pruner.start();
    clock.advance(MINUTE);
    await settle();
    expect(repository.calls).toHaveLength(1);
    const stopped = pruner.stop();
    release();
    await stopped;
    expect(repository.calls).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the store\'s history within its retention', async () => {
    for (let i = 0; i < 50; i++) {
      scan([reading('temperature', '2', 'Rack A', 20 + (i % 3))]);
      clock.advance(30 * MINUTE);
    }
    const pruner = new ReadingsPruner({ clock, readings: store.readings, log, retentionMs: 12 * 60 * MINUTE, batchRows: 5 });
    const totals = await pruner.prune();
    const kept = store.readings.history({ deviceId: device.id, reading: 'temperature', instance: '2', since: 0, until: clock.now(), limit: 1000 })!;
    expect(kept.length).toBe(24);
    expect(kept[0]!.at).toBeGreaterThanOrEqual(clock.now() - 12 * 60 * MINUTE);
    expect(totals).toMatchObject({ points: 26, series: 0 });
    expect(totals.batches).toBeGreaterThanOrEqual(6);
  });
});

describe('reading series in /metrics', () => {
  const shown = (label: string, extra: Partial<ShownReading> = {}): ShownReading => ({ reading: 'temperature', unit: 'celsius', label, value: 20, state: null, states: [], ...extra });

  it('makes row labels one line of known characters, at most 64 long', () => {
    expect(rowLabel('Rack inlet temperature')).toBe('Rack inlet temperature');
    expect(rowLabel('Température baie 3 (avant)')).toBe('Température baie 3 (avant)');
    expect(rowLabel('a"b\\c\n{d}=e\u0000')).toBe('a_b_c__d__e_');
    expect([...rowLabel('x'.repeat(1000))].length).toBe(MAX_ROW_LABEL_LENGTH);
  });

  it('caps the readings of one device, counts what it left out, and tells rows with one name apart', () => {
    const many = Array.from({ length: 10 }, (_, i) => shown(`Sensor ${'x'.repeat(80)}`, { value: i }));
    const { series, capped } = readingSeries(many, 6);
    expect(series).toHaveLength(6);
    expect(capped).toBe(4);
    const rows = series.map((s) => s.row);
    expect(new Set(rows).size).toBe(6);
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(MAX_ROW_LABEL_LENGTH);
    expect(rows[1]).toMatch(/~2$/);
    expect(readingSeries([shown('Rack A')]).series[0]!.row).toBe('Rack A');
  });

  it('replaces a device\'s series at each scan, under a new name too, counts what a device over the cap left out, and hides on request', async () => {
    const registry = new ExpositionRegistry();
    const gauges: ReadingGaugesPort = registerReadingGauges(registry, () => (current) => new Set(current.keys()));
    const lines = async () => (await registry.metrics()).split('\n').filter((l) => /^priscan_reading/.test(l));
    gauges.show(1, { device: 'nb-1', site: '', at: 1, readings: [shown('Rack A'), shown('Rack B')] });
    gauges.show(2, { device: 'liar', site: 'lab', at: 1, readings: Array.from({ length: 130 }, (_, i) => shown(`S${i}`)) });
    expect((await lines()).filter((l) => l.includes('device="liar"') && l.startsWith('priscan_reading{'))).toHaveLength(128);
    expect(await lines()).toContain('priscan_readings_capped{device="liar"} 2');
    gauges.show(1, { device: 'nb-renamed', site: '', at: 2, readings: [shown('Rack B', { value: 25 })] });
    gauges.hide(2);
    expect(await lines()).toEqual(['priscan_reading{device="nb-renamed",site="",reading="temperature",unit="celsius",row="Rack B"} 25']);
  });
});
