// The bundled vendor recordings (simulators/recordings/): each file is what its module generates,
// loads as a recording, and holds the objects its companion document promises a profile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnmprecFile } from '../../simulators/devices/snmprec.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { bundledRecording, BUNDLED_RECORDINGS } from '../../simulators/recordings/index.js';
import { PDU2, SENSOR_STATE, SENSOR_TYPE } from '../../simulators/recordings/raritan-pdu2.js';
import { RecordingBuilder } from '../../simulators/recordings/recording-builder.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';

const DIR = join(process.cwd(), 'simulators', 'recordings');
const load = (name: string) => new Map(loadSnmprecFile(join(DIR, `${name}.snmprec`)).map((vb) => [vb.oid, vb]));
const typed = (vb: VarBind | undefined) => vb && { type: vb.type, value: vb.value };

describe('bundled recordings', () => {
  it.each(BUNDLED_RECORDINGS.map((r) => [r.name, r] as const))('%s.snmprec is what its module generates (regenerate with generate.js)', (name, r) => {
    expect(readFileSync(join(DIR, `${name}.snmprec`), 'utf8')).toBe(r.build().toSnmprec());
    expect(bundledRecording(name)).toBe(join(DIR, `${name}.snmprec`));
  });

  it('finds bundled recordings by name only', () => {
    expect(bundledRecording('raritan-pdu2')).toBe(join(DIR, 'raritan-pdu2.snmprec'));
    expect(bundledRecording('../recordings/eaton-xups')).toBeUndefined();
    expect(bundledRecording('generate')).toBeUndefined();
  });

  it('eaton-xups: an Eaton card with the XUPS readings, an empty alarm table and its count', () => {
    const rec = load('eaton-xups');
    expect(typed(rec.get('1.3.6.1.2.1.1.2.0'))).toEqual({ type: VarType.OID, value: '1.3.6.1.4.1.534.1' });
    expect(typed(rec.get(XUPS.battery.timeRemaining))).toEqual({ type: VarType.Integer, value: 1860 });
    expect(typed(rec.get(XUPS.battery.capacity))).toEqual({ type: VarType.Integer, value: 100 });
    expect(typed(rec.get(XUPS.output.load))).toEqual({ type: VarType.Integer, value: 38 });
    expect(typed(rec.get(XUPS.environment.ambientTemp))).toEqual({ type: VarType.Integer, value: 24 });
    expect(typed(rec.get(XUPS.alarms))).toEqual({ type: VarType.Gauge32, value: 0 });
    expect([...rec.keys()].filter((oid) => oid.startsWith(`${XUPS.alarmEntry}.`))).toEqual([]);
    for (const p of [1, 2, 3]) {
      expect(typed(rec.get(`${XUPS.inputEntry}.${XUPS.inputCol.voltage}.${p}`))?.type).toBe(VarType.Integer);
      expect(typed(rec.get(`${XUPS.outputEntry}.${XUPS.outputCol.name}.${p}`))).toEqual({ type: VarType.OctetString, value: Buffer.from(`L${p}`) });
    }
  });

  it('raritan-pdu2: every numeric sensor has its decimal digits and a normal state; breakers closed', () => {
    const rec = load('raritan-pdu2');
    expect(typed(rec.get('1.3.6.1.2.1.1.2.0'))).toEqual({ type: VarType.OID, value: '1.3.6.1.4.1.13742.6' });
    const m = PDU2.measurementCol;
    const entries = [PDU2.inletSensorMeasurementsEntry, PDU2.ocpSensorMeasurementsEntry, PDU2.outletSensorMeasurementsEntry, PDU2.externalSensorMeasurementsEntry];
    const states = [...rec.values()].filter((vb) => entries.some((e) => vb.oid.startsWith(`${e}.${m.state}.`)));
    // 7 inlet sensors, 2 breakers x (current, trip), 8 outlets x (current, onOff), 2 external sensors.
    expect(states.length).toBe(7 + 2 * 2 + 8 * 2 + 2);
    const stateOf = (vb: VarBind) => (vb.oid.endsWith(`.${SENSOR_TYPE.trip}`) || vb.oid.endsWith(`.${SENSOR_TYPE.onOff}`) ? 'switch' : vb.value);
    expect(new Set(states.map(stateOf))).toEqual(new Set([SENSOR_STATE.normal, 'switch']));
    const inlet = (col: number, type: number) => rec.get(`${PDU2.inletSensorMeasurementsEntry}.${col}.1.1.${type}`);
    expect(typed(inlet(m.value, SENSOR_TYPE.rmsCurrent))).toEqual({ type: VarType.Gauge32, value: 12840 });
    expect(typed(rec.get(`${PDU2.inletSensorConfigurationEntry}.${PDU2.sensorConfigCol.decimalDigits}.1.1.${SENSOR_TYPE.rmsCurrent}`))).toEqual({ type: VarType.Gauge32, value: 3 });
    expect(typed(rec.get(`${PDU2.inletSensorConfigurationEntry}.${PDU2.sensorConfigCol.enabledThresholds}.1.1.${SENSOR_TYPE.rmsCurrent}`))).toEqual({ type: VarType.OctetString, value: Buffer.from([0x30]) });
    expect(typed(rec.get(`${PDU2.externalSensorMeasurementsEntry}.${m.value}.1.1`))).toEqual({ type: VarType.Integer, value: 235 });
    expect(typed(rec.get(`${PDU2.externalSensorConfigurationEntry}.${PDU2.externalConfigCol.decimalDigits}.1.1`))).toEqual({ type: VarType.Gauge32, value: 1 });
    for (const ocp of [1, 2]) expect(rec.get(`${PDU2.ocpSensorMeasurementsEntry}.${m.state}.1.${ocp}.${SENSOR_TYPE.trip}`)?.value).toBe(SENSOR_STATE.closed);
    // Each numeric sensor's measurements row has a configuration row with its decimal digits.
    for (const [measurements, config] of [
      [PDU2.inletSensorMeasurementsEntry, PDU2.inletSensorConfigurationEntry],
      [PDU2.outletSensorMeasurementsEntry, PDU2.outletSensorConfigurationEntry],
      [PDU2.ocpSensorMeasurementsEntry, PDU2.ocpSensorConfigurationEntry],
    ] as const) {
      const values = [...rec.keys()].filter((oid) => oid.startsWith(`${measurements}.${m.value}.`));
      expect(values.length).toBeGreaterThan(0);
      for (const oid of values) expect(rec.has(`${config}.${PDU2.sensorConfigCol.decimalDigits}.${oid.slice(measurements.length + 3)}`)).toBe(true);
    }
  });
});

describe('RecordingBuilder', () => {
  it('writes sorted lines, text as text and BITS or non-printable octets as hex', () => {
    const text = new RecordingBuilder()
      .integer('1.3.6.1.4.1.99999.10.0', -1)
      .text('1.3.6.1.4.1.99999.9.0', 'L1/A')
      .bits('1.3.6.1.4.1.99999.2.0', [2, 3])
      .text('1.3.6.1.4.1.99999.3.0', 'line\nbreak')
      .gauge('1.3.6.1.4.1.99999.1.0', 7)
      .toSnmprec();
    expect(text).toBe(
      ['1.3.6.1.4.1.99999.1.0|66|7', '1.3.6.1.4.1.99999.2.0|4x|30', '1.3.6.1.4.1.99999.3.0|4x|6c696e650a627265616b', '1.3.6.1.4.1.99999.9.0|4|L1/A', '1.3.6.1.4.1.99999.10.0|2|-1', ''].join('\n'),
    );
  });

  it('refuses a value twice or out of range, as a control API change would', () => {
    expect(() => new RecordingBuilder().integer('1.3.6.1.4.1.99999.1.0', 1).gauge('.1.3.6.1.4.1.99999.1.0', 1)).toThrow('1.3.6.1.4.1.99999.1.0 is recorded twice');
    expect(() => new RecordingBuilder().gauge('1.3.6.1.4.1.99999.1.0', -1)).toThrow('is not an integer in 0..4294967295');
  });
});
