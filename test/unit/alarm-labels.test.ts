// Alarm codes and keys are label values (Prometheus, Alertmanager): a closed set of short
// identifiers whatever a device sends, with at most a bounded number of series per device.
import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../src/alarms/model.js';
import { alertTemplate, MAX_LABEL_LENGTH } from '../../src/alerting/alerts.js';
import { alertmanagerConfigSchema } from '../../src/alerting/config.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { alarmSeries, MAX_ALARM_CODES_PER_DEVICE, type FleetSnapshot, type SnapshotAlarm } from '../../src/metrics/state.js';
import { boundAlarms, MAX_DESCRIPTION_LENGTH, MAX_KEY_LENGTH } from '../../src/scanning/alarm-bounds.js';

const alarm = (key: string, code: string, description = 'x', severity: Alarm['severity'] = 'warning'): Alarm => ({ key, code, severity, description });

describe('boundAlarms (the last check before alarms are stored)', () => {
  it('leaves short identifiers as they are', () => {
    const alarms = [alarm('t:1:ups.onBattery', 'ups.onBattery'), alarm('t:2:sim.101', 'sim.101'), alarm('prTable:2:netsnmp.processError', 'netsnmp.processError')];
    expect(boundAlarms('rfc1628-ups', alarms)).toEqual({ alarms, folded: new Set() });
  });

  it.each([
    ['free text', 'Battery is on fire!'],
    ['3,000 characters', `x.${'a'.repeat(3000)}`],
    ['no dot', 'onBattery'],
    ['a newline', 'ups.on\nBattery'],
    ['empty', ''],
  ])('replaces a code that is %s by <profile>.other, quoting it shortened in the description', (_what, code) => {
    const { alarms, folded } = boundAlarms('priscan-sim', [alarm(`priscanAlarmTable:7:${code}`, code, 'Device said so')]);
    expect(alarms).toHaveLength(1);
    const [bounded] = alarms;
    expect(bounded!.code).toBe('priscan-sim.other');
    expect(bounded!.key).toBe('priscanAlarmTable:7:priscan-sim.other');
    expect(bounded!.description).toMatch(/^Device said so \(device code "/);
    expect(bounded!.description.length).toBeLessThanOrEqual(100);
    expect(bounded!.description).not.toMatch(/[\n\r]/);
    expect(folded).toEqual(new Set([bounded!.key]));
  });

  it('shortens a long key to a stable digest that still tells alarms apart', () => {
    const index = Array.from({ length: 128 }, (_, i) => 4_000_000_000 + i).join('.');
    const first = boundAlarms('netbotz', [alarm(`errorCondTable:${index}:netbotz.valueTooHigh`, 'netbotz.valueTooHigh')]).alarms[0]!;
    const again = boundAlarms('netbotz', [alarm(`errorCondTable:${index}:netbotz.valueTooHigh`, 'netbotz.valueTooHigh')]).alarms[0]!;
    const other = boundAlarms('netbotz', [alarm(`errorCondTable:${index}.1:netbotz.valueTooHigh`, 'netbotz.valueTooHigh')]).alarms[0]!;
    expect(first.key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    expect(first.key).toBe(again.key);
    expect(first.key).not.toBe(other.key);
  });

  it('bounds descriptions, drops a key seen twice, and names alarms under a profile\'s own `other` code as folded', () => {
    const { alarms, folded } = boundAlarms('netbotz', [
      alarm('a:1:netbotz.other', 'netbotz.other', 'd'.repeat(5000)),
      alarm('a:1:netbotz.other', 'netbotz.other', 'second'),
      alarm('a:2:netbotz.valueTooHigh', 'netbotz.valueTooHigh'),
    ]);
    expect(alarms.map((a) => a.key)).toEqual(['a:1:netbotz.other', 'a:2:netbotz.valueTooHigh']);
    expect(alarms[0]!.description.length).toBe(MAX_DESCRIPTION_LENGTH);
    expect(folded).toEqual(new Set(['a:1:netbotz.other']));
  });
});

describe('priscan_alarm_active series per device', () => {
  const many = (device: string, n: number, severity = 'warning'): SnapshotAlarm[] =>
    Array.from({ length: n }, (_, i) => ({ device, key: `t:${i}:sim.${i}`, severity, code: `sim.${i}` }));

  it(`shows at most ${MAX_ALARM_CODES_PER_DEVICE} codes per device and the rest as "other", per severity`, () => {
    const alarms = [...many('liar', 500, 'info'), ...many('liar', 3, 'critical').map((a) => ({ ...a, key: `c${a.key}`, code: `crit.${a.code}` })), ...many('honest', 2)];
    alarms.push({ device: 'liar', key: 'priscan:communication-lost', severity: 'critical', code: 'priscan.communicationLost' });
    const { series, folded } = alarmSeries(alarms);
    const liar = series.filter((s) => s.device === 'liar');
    const codes = new Set(liar.map((s) => s.code));
    expect(codes.size).toBe(MAX_ALARM_CODES_PER_DEVICE + 1);
    // priscan's own code first (rules alert on it), then the most severe, then by name.
    expect(codes.has('priscan.communicationLost')).toBe(true);
    for (const code of ['crit.sim.0', 'crit.sim.1', 'crit.sim.2']) expect(codes.has(code)).toBe(true);
    expect(liar.filter((s) => s.code === 'other')).toEqual([{ device: 'liar', severity: 'info', code: 'other' }]);
    expect(folded).toHaveLength(503 + 1 - MAX_ALARM_CODES_PER_DEVICE);
    expect(series.filter((s) => s.device === 'honest').map((s) => s.code)).toEqual(['sim.0', 'sim.1']);
  });

  it('counts each alarm folded into "other" once, when a scrape first shows it so', async () => {
    const metrics = createMetrics(() => 0);
    const ofDevice = (alarms: SnapshotAlarm[]) => alarms.map((a) => ({ ...a, deviceId: 1 }));
    let snapshot: FleetSnapshot = { devices: [], alarms: ofDevice(many('liar', 30)) };
    metrics.watchFleet(() => snapshot);
    const read = async () => {
      const text = await metrics.registry.metrics();
      return {
        series: text.split('\n').filter((l) => l.startsWith('priscan_alarm_active{')).length,
        capped: Number(/^priscan_alarm_labels_capped_total\{reason="series"\} (\d+)$/m.exec(text)?.[1]),
      };
    };
    expect(await read()).toEqual({ series: MAX_ALARM_CODES_PER_DEVICE + 1, capped: 10 });
    expect(await read()).toEqual({ series: MAX_ALARM_CODES_PER_DEVICE + 1, capped: 10 });
    snapshot = { devices: [], alarms: ofDevice(many('liar', 35)) };
    await new Promise((resolve) => setImmediate(resolve));
    expect(await read()).toEqual({ series: MAX_ALARM_CODES_PER_DEVICE + 1, capped: 15 });
  });
});

describe('Alertmanager labels', () => {
  it('stay short and stable whatever an alarm stored before codes were bounded holds', () => {
    const config = alertmanagerConfigSchema.parse({ urls: ['http://am.test:9093'] })!;
    const stored = alarm(`errorCondTable:1:netbotz.${'Z'.repeat(3000)}`, `netbotz.${'Z'.repeat(3000)}`, 'd');
    const make = () => alertTemplate(config, { alarm: stored, raisedAt: 0, deviceName: 'nb-1', device: undefined });
    const { labels } = make();
    for (const [name, value] of Object.entries(labels)) expect(value.length, name).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
    expect(make().labels).toEqual(labels);
    expect(labels.alertname).toMatch(/^NetbotzZ+#[0-9a-f]{16}$/);
  });
});
