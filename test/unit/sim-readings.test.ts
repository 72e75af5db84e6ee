// Simulated devices serve the readings their built-in profiles name, with values that follow their
// alarms, and a reading set by hand holds (and is refused when bad, changing nothing). Read the way
// priscan reads them: the profile file, the evaluator, a client on the device's MIB.
import { describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { ReadingValueError, UnknownReadingError } from '../../simulators/devices/readings.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { SnmprecDevice } from '../../simulators/devices/snmprec-device.js';
import { loadSnmprecFile } from '../../simulators/devices/snmprec.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import { bundledRecording } from '../../simulators/recordings/index.js';
import type { ReadingUnit } from '../../src/profiles/schema.js';
import { scanDevice, specOf, type ReadingValue } from '../../src/scanning/evaluate.js';
import { ThresholdEvaluator } from '../../src/thresholds/evaluate.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { builtinProfile } from '../helpers/profiles.js';
import { simSettings } from '../helpers/devices.js';

const settings = simSettings({ address: '127.0.225.251' });

const replay = (name: string) => new SnmprecDevice(settings, loadSnmprecFile(bundledRecording(name)!), { source: name });

/** Every built-in profile that has readings, and the simulated device it describes. */
const KINDS: Array<{ kind: string; profile: string; make: () => SimDevice }> = [
  { kind: 'ups', profile: 'rfc1628-ups', make: () => new Rfc1628UpsDevice(settings) },
  { kind: 'apc-ups', profile: 'apc-ups', make: () => new ApcUpsDevice(settings) },
  { kind: 'pdu', profile: 'apc-rpdu', make: () => new RackPduDevice(settings) },
  { kind: 'netbotz', profile: 'netbotz', make: () => new NetBotzDevice(settings) },
  { kind: 'snmprec eaton-xups', profile: 'eaton-xups', make: () => replay('eaton-xups') },
  { kind: 'snmprec raritan-pdu2', profile: 'raritan-pdu2', make: () => replay('raritan-pdu2') },
];

/** What a healthy device in a data center can read, per unit: anything outside is a wrong OID or scale. */
const SANE: Record<ReadingUnit, [number, number]> = {
  percent: [0, 100],
  volts: [1, 480],
  amperes: [0, 200],
  watts: [0, 100_000],
  volt_amperes: [0, 100_000],
  hertz: [45, 65],
  celsius: [5, 45],
  seconds: [60, 86_400],
  state: [-1, 100],
  count: [0, 1e12],
};

async function readingsOf(device: SimDevice, profileName: string): Promise<ReadingValue[]> {
  return (await scanDevice(specOf(builtinProfile(profileName)), new FakeSnmpClient(device.mib))).readings;
}

const valueOf = (readings: readonly ReadingValue[], id: string, instance = '') => readings.find((r) => r.reading === id && (instance === '' || r.instance === instance))?.value;

describe.each(KINDS)('the simulated $kind device and its profile $profile', ({ profile: profileName, make }) => {
  const profile = builtinProfile(profileName);

  it('serves every reading the profile names, at rest, with a value a healthy device could read', async () => {
    const readings = await readingsOf(make(), profileName);
    for (const definition of profile.readings) {
      const values = readings.filter((r) => r.reading === definition.id);
      expect(values.length, `${definition.id} is served`).toBeGreaterThan(0);
      for (const { value, state } of values) {
        const [low, high] = SANE[definition.unit];
        expect(value, `${definition.id} = ${value} ${definition.unit}`).toBeGreaterThanOrEqual(definition.id === 'outletCurrent' ? 0 : low);
        expect(value, `${definition.id} = ${value} ${definition.unit}`).toBeLessThanOrEqual(high);
        if (definition.states) expect(state, `${definition.id} state`).not.toBeNull();
      }
    }
  });

  it('violates none of the profile\'s default thresholds at rest', async () => {
    const readings = await readingsOf(make(), profileName);
    const thresholds = profile.thresholds.map((t) => ({ ...t, scope: 'profile-default' as const }));
    expect(new ThresholdEvaluator().evaluate({ deviceId: 1, readings, definitions: profile.readings, thresholds, activeKeys: new Set(), now: 0 })).toEqual([]);
  });

  it('lists its named readings with the OIDs it serves them at', () => {
    const device = make();
    for (const reading of device.readings.list()) expect(device.mib.get(reading.oid).value).toBe(reading.value);
  });
});

describe('simulated readings that follow alarms', () => {
  it('an RFC 1628 UPS on battery loses its input, and its charge and runtime fall; low battery leaves minutes', async () => {
    const ups = new Rfc1628UpsDevice(settings);
    const rest = await readingsOf(ups, 'rfc1628-ups');
    expect([valueOf(rest, 'inputVoltage'), valueOf(rest, 'batteryCharge'), valueOf(rest, 'batteryRuntime')]).toEqual([230, 100, 2700]);
    ups.raise('onBattery');
    try {
      const onBattery = await readingsOf(ups, 'rfc1628-ups');
      expect([valueOf(onBattery, 'inputVoltage'), valueOf(onBattery, 'batteryCharge'), valueOf(onBattery, 'batteryRuntime')]).toEqual([0, 90, 1800]);
      ups.raise('lowBattery');
      const low = await readingsOf(ups, 'rfc1628-ups');
      expect([valueOf(low, 'batteryCharge'), valueOf(low, 'batteryRuntime')]).toEqual([8, 120]);
    } finally {
      ups.clear('onBattery');
    }
  });

  it('an RFC 1628 UPS overloaded reads over 100 % load and more current; off, it feeds nothing', async () => {
    const ups = new Rfc1628UpsDevice(settings);
    ups.raise('outputOverload');
    const overloaded = await readingsOf(ups, 'rfc1628-ups');
    expect([valueOf(overloaded, 'outputLoad'), valueOf(overloaded, 'outputCurrent'), valueOf(overloaded, 'outputPower')]).toEqual([110, 15, 3300]);
    ups.clear('outputOverload');
    ups.raise('upsOutputOff');
    const off = await readingsOf(ups, 'rfc1628-ups');
    expect([valueOf(off, 'outputLoad'), valueOf(off, 'outputVoltage')]).toEqual([0, 0]);
  });

  it('an APC UPS on battery loses its input line; a load alarm reads a load above 80 %', async () => {
    const apc = new ApcUpsDevice(settings);
    apc.raise('onBattery');
    const onBattery = await readingsOf(apc, 'apc-ups');
    expect([valueOf(onBattery, 'inputVoltage'), valueOf(onBattery, 'batteryCharge'), valueOf(onBattery, 'batteryRuntime')]).toEqual([0, 92, 1500]);
    apc.raise('loadAlarmViolation');
    expect(valueOf(await readingsOf(apc, 'apc-ups'), 'outputLoad')).toBe(88);
  });
});

describe('setting a reading by hand', () => {
  it('holds the value over alarm changes until it is cleared, and a profile threshold sees it', async () => {
    const ups = new Rfc1628UpsDevice(settings);
    ups.setReading('upsEstimatedChargeRemaining', 15);
    ups.raise('onBattery');
    try {
      const readings = await readingsOf(ups, 'rfc1628-ups');
      expect(valueOf(readings, 'batteryCharge')).toBe(15);
      const profile = builtinProfile('rfc1628-ups');
      const violations = new ThresholdEvaluator().evaluate({
        deviceId: 1, readings, definitions: profile.readings, thresholds: profile.thresholds.map((t) => ({ ...t, scope: 'profile-default' as const })), activeKeys: new Set(), now: 0,
      });
      expect(violations).toEqual([expect.objectContaining({ code: 'threshold.batteryCharge.below', severity: 'critical', description: 'Battery charge remaining is 15 %, below the critical threshold of 20 %' })]);
      expect(ups.status().readings.find((r) => r.name === 'upsEstimatedChargeRemaining')).toEqual({ name: 'upsEstimatedChargeRemaining', oid: '1.3.6.1.2.1.33.1.2.4.0', value: 15, held: true });
      expect(ups.clearReading('upsEstimatedChargeRemaining')).toBe(true);
      expect(valueOf(await readingsOf(ups, 'rfc1628-ups'), 'batteryCharge')).toBe(90);
      expect(ups.clearReading('upsEstimatedChargeRemaining')).toBe(false);
    } finally {
      ups.clear('onBattery');
    }
  });

  it('writes table-kept readings into their rows: a PDU phase current, a NetBotz temperature', async () => {
    const pdu = new RackPduDevice(settings);
    pdu.setReading('rPDU2PhaseStatusCurrent.2', 301);
    pdu.raise('phase2Overload');
    const phases = await readingsOf(pdu, 'apc-rpdu');
    expect(phases.filter((r) => r.reading === 'phaseCurrent').map((r) => r.value)).toEqual([12, 30.1, 12]);
    // The load state still follows the alarm: a reading changes no alarm.
    expect(phases.find((r) => r.reading === 'phaseLoadState' && r.instance === '2')?.state).toBe('overload');
    pdu.clearReading('rPDU2PhaseStatusCurrent.2');
    expect(valueOf(await readingsOf(pdu, 'apc-rpdu'), 'phaseCurrent', '2')).toBe(33);

    const netbotz = new NetBotzDevice(settings);
    netbotz.setReading('tempSensorValue', 289);
    netbotz.raise('doorOpen');
    const sensors = await readingsOf(netbotz, 'netbotz');
    expect([valueOf(sensors, 'temperature'), sensors.find((r) => r.reading === 'door')?.state]).toEqual([28.9, 'open']);
    netbotz.clearReading('tempSensorValue');
    expect(valueOf(await readingsOf(netbotz, 'netbotz'), 'temperature')).toBe(21.5);
  });

  it.each<[string, () => SimDevice, string, unknown, RegExp, new (message: string) => Error]>([
    ['an unknown name', () => new Rfc1628UpsDevice(settings), 'upsBatteryVoltage', 480, /ups device 127\.0\.225\.251 has no reading "upsBatteryVoltage"; it has: upsEstimatedMinutesRemaining, /, UnknownReadingError],
    ['a fraction', () => new Rfc1628UpsDevice(settings), 'upsEstimatedChargeRemaining', 50.5, /takes a whole number from 0 to 100/, ReadingValueError],
    ['a value past the SYNTAX range', () => new Rfc1628UpsDevice(settings), 'upsEstimatedChargeRemaining', 101, /takes a whole number from 0 to 100 .* got 101/, ReadingValueError],
    ['a value below the range', () => new NetBotzDevice(settings), 'tempSensorValue', -501, /from -500 to 1000/, ReadingValueError],
    ['text', () => new ApcUpsDevice(settings), 'upsAdvOutputLoad', '90', /got "90"/, ReadingValueError],
    ['a device with no readings', () => new PriscanSimDevice(settings), 'temperature', 30, /sim device 127\.0\.225\.251 has no reading "temperature"; it has: none$/, UnknownReadingError],
    ['a recording', () => replay('eaton-xups'), 'xupsBatTimeRemaining', 300, /has no reading "xupsBatTimeRemaining"; it has: none, as a recording: set its values instead/, UnknownReadingError],
  ])('refuses %s, changing nothing', (_what, make, name, value, message, type) => {
    const device = make();
    const before = device.mib.walk();
    expect(() => device.setReading(name, value as number)).toThrow(type);
    expect(() => device.setReading(name, value as number)).toThrow(message);
    expect(device.mib.walk()).toEqual(before);
    expect(device.readings.list().every((r) => !r.held)).toBe(true);
  });
});
