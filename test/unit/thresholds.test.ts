// Threshold violations from readings: limits, bands, hysteresis, minimum duration, and the most
// severe level only. Pure: readings and the active keys in, alarms out.
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/profiles/schema.js';
import type { ReadingValue } from '../../src/scanning/evaluate.js';
import { ThresholdEvaluator, thresholdKey, type EffectiveThreshold } from '../../src/thresholds/evaluate.js';

const TEMP: Reading = { id: 'temperature', description: 'Temperature', table: '1.3.6.1.4.1.5528.100.4.1.1.1', column: 2, labelColumn: 4, unit: 'celsius', scale: 0.1 };
const HUMI: Reading = { id: 'humidity', description: 'Relative humidity', oid: '1.3.6.1.4.1.1.0', unit: 'percent', scale: 1 };
const limit = (t: Partial<EffectiveThreshold> & Pick<EffectiveThreshold, 'reading' | 'level'>): EffectiveThreshold => ({ hysteresis: 0, forSeconds: 0, scope: 'profile-default', ...t });
const temp = (value: number, label = 'Rack inlet', instance = '7'): ReadingValue => ({ reading: 'temperature', instance, label, value });
const WARN = limit({ reading: 'temperature', level: 'warning', above: 27, hysteresis: 1 });
const CRIT = limit({ reading: 'temperature', level: 'critical', above: 32, hysteresis: 1 });

/** Runs scans in order, carrying the active set the way the store would. */
function run(values: number[], thresholds: EffectiveThreshold[], step = 60_000): string[][] {
  const evaluator = new ThresholdEvaluator();
  let active = new Set<string>();
  return values.map((value, i) => {
    const alarms = evaluator.evaluate({ deviceId: 1, readings: [temp(value)], definitions: [TEMP], thresholds, activeKeys: active, now: i * step });
    active = new Set(alarms.map((a) => a.key));
    return alarms.map((a) => `${a.severity}:${a.code}`);
  });
}

describe('threshold violations', () => {
  it('raises above the limit, with the reading, its value and the threshold in the description', () => {
    const [alarm] = new ThresholdEvaluator().evaluate({ deviceId: 1, readings: [temp(28.5)], definitions: [TEMP], thresholds: [WARN], activeKeys: new Set(), now: 0 });
    expect(alarm).toEqual({
      key: thresholdKey(temp(0), 'above', 'warning'),
      severity: 'warning',
      code: 'threshold.temperature.above',
      description: 'Temperature Rack inlet is 28.5 °C, above the warning threshold of 27 °C',
    });
    expect(alarm!.key).toBe('threshold.temperature:7:threshold.temperature.above:warning');
  });

  it('does not flap at the limit: it clears only once back past it by the hysteresis', () => {
    expect(run([26.9, 27.1, 26.5, 27.2, 26.1, 25.9, 26.5], [WARN])).toEqual([
      [], ['warning:threshold.temperature.above'], ['warning:threshold.temperature.above'], ['warning:threshold.temperature.above'],
      ['warning:threshold.temperature.above'], [], [],
    ]);
  });

  it('raises only the most severe level, and steps down through the hysteresis', () => {
    expect(run([33, 31.5, 30.9, 26], [WARN, CRIT])).toEqual([
      ['critical:threshold.temperature.above'], ['critical:threshold.temperature.above'], ['warning:threshold.temperature.above'], [],
    ]);
  });

  it('a band is violated on either side, each side its own alarm', () => {
    const band = limit({ reading: 'humidity', level: 'warning', outside: [20, 80], hysteresis: 2 });
    const evaluate = (value: number, active: string[] = []) =>
      new ThresholdEvaluator().evaluate({ deviceId: 1, readings: [{ reading: 'humidity', instance: '', label: '', value }], definitions: [HUMI], thresholds: [band], activeKeys: new Set(active), now: 0 }).map((a) => a.code);
    expect(evaluate(19)).toEqual(['threshold.humidity.below']);
    expect(evaluate(81)).toEqual(['threshold.humidity.above']);
    expect(evaluate(50)).toEqual([]);
    expect(evaluate(21, ['threshold.humidity:0:threshold.humidity.below:warning'])).toEqual(['threshold.humidity.below']);
    expect(evaluate(22, ['threshold.humidity:0:threshold.humidity.below:warning'])).toEqual([]);
  });

  it('with a minimum duration, raises only once the violation has held that long', () => {
    const slow = { ...WARN, forSeconds: 120 };
    expect(run([28, 28, 28, 28], [slow])).toEqual([[], [], ['warning:threshold.temperature.above'], ['warning:threshold.temperature.above']]);
    // A dip below the limit starts the wait again.
    expect(run([28, 26, 28, 28, 28], [slow])).toEqual([[], [], [], [], ['warning:threshold.temperature.above']]);
  });

  it('a threshold for one row applies to that row only, by label or index', () => {
    const rack = limit({ reading: 'temperature', level: 'critical', above: 20, instance: 'Rack inlet' });
    const alarms = new ThresholdEvaluator().evaluate({
      deviceId: 1, readings: [temp(25), temp(25, 'Rack outlet', '8')], definitions: [TEMP], thresholds: [rack], activeKeys: new Set(), now: 0,
    });
    expect(alarms.map((a) => a.key)).toEqual(['threshold.temperature:7:threshold.temperature.above:critical']);
  });

  it('ignores state readings and readings it has no threshold for', () => {
    const door: ReadingValue = { reading: 'door', instance: '1', label: 'Front', value: 0, state: 'open' };
    expect(new ThresholdEvaluator().evaluate({ deviceId: 1, readings: [door, temp(99)], definitions: [TEMP], thresholds: [], activeKeys: new Set(), now: 0 })).toEqual([]);
  });
});
