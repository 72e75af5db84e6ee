// The vendor profiles shipped as files (eaton-xups, raritan-pdu2) against their bundled recordings,
// replayed in-process: every alarm the MIB defines maps to a code and severity, unknown ones get a
// generic one, readings come out in their units with their labels, and a scan stays a few requests.
import { describe, expect, it } from 'vitest';
import { SnmprecDevice } from '../../simulators/devices/snmprec-device.js';
import { loadSnmprecFile } from '../../simulators/devices/snmprec.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { bundledRecording } from '../../simulators/recordings/index.js';
import { PDU2, SENSOR_STATE, SENSOR_TYPE } from '../../simulators/recordings/raritan-pdu2.js';
import type { Severity } from '../../src/alarms/model.js';
import { UPS_MIB, UPS_WELL_KNOWN_ALARMS } from '../../src/profiles/oids.js';
import { scanDevice, specOf } from '../../src/scanning/evaluate.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { builtinProfile, builtinProfiles } from '../helpers/profiles.js';
import { simSettings } from '../helpers/devices.js';

const settings = simSettings({ address: '127.0.225.250' });

function replay(name: string): SnmprecDevice {
  return new SnmprecDevice(settings, loadSnmprecFile(bundledRecording(name)!), { source: name });
}

const eaton = builtinProfile('eaton-xups');
const raritan = builtinProfile('raritan-pdu2');

/** The --#SEVERITY XUPS-MIB gives each well-known alarm's xupstd trap (eaton-xups.md), as priscan severities. */
const MIB_SEVERITY = { CRITICAL: 'critical', MAJOR: 'warning', MINOR: 'warning', INFORMATIONAL: 'info' } as const;
const XUPS_TRAP_SEVERITY: Record<keyof typeof XUPS.wellKnownAlarms, keyof typeof MIB_SEVERITY> = {
  onBattery: 'MAJOR', lowBattery: 'CRITICAL', utilityPowerRestored: 'INFORMATIONAL', returnFromLowBattery: 'INFORMATIONAL',
  outputOverload: 'MINOR', internalFailure: 'CRITICAL', batteryDischarged: 'CRITICAL', inverterFailure: 'CRITICAL',
  onBypass: 'CRITICAL', bypassNotAvailable: 'MAJOR', outputOff: 'CRITICAL', inputFailure: 'MINOR', buildingAlarm: 'MAJOR',
  shutdownImminent: 'CRITICAL', onInverter: 'INFORMATIONAL', breakerOpen: 'MAJOR', alarmEntryAdded: 'MAJOR',
  alarmEntryRemoved: 'INFORMATIONAL', alarmBatteryBad: 'MAJOR', outputOffAsRequested: 'INFORMATIONAL',
  diagnosticTestFailed: 'MINOR', communicationsLost: 'MAJOR', upsShutdownPending: 'MAJOR', alarmTestInProgress: 'INFORMATIONAL',
  ambientTempBad: 'MAJOR', lossOfRedundancy: 'MINOR', alarmTempBad: 'MAJOR', alarmChargerFailed: 'MAJOR', alarmFanFailure: 'MAJOR',
  alarmFuseFailure: 'CRITICAL', powerSwitchBad: 'CRITICAL', moduleFailure: 'MAJOR', onAlternatePowerSource: 'MINOR',
  altPowerNotAvailable: 'MINOR', noticeCondition: 'MINOR', remoteTempBad: 'MAJOR', remoteHumidityBad: 'MINOR',
  alarmOutputBad: 'CRITICAL', alarmAwaitingPower: 'MINOR', onMaintenanceBypass: 'MAJOR', outputNotProtected: 'CRITICAL',
};

/** The code the profile promises: the MIB name without xups (and without the Alarm/Ups it puts before RFC 1628 names). */
const xupsCode = (name: string) => `eaton.${{ alarmBatteryBad: 'batteryBad', upsShutdownPending: 'shutdownPending', alarmTestInProgress: 'testInProgress', alarmTempBad: 'tempBad', alarmChargerFailed: 'chargerFailed', alarmFanFailure: 'fanFailure', alarmFuseFailure: 'fuseFailure', alarmOutputBad: 'outputBad', alarmAwaitingPower: 'awaitingPower' }[name] ?? name}`;

/** RFC 1628 alarms in the XUPS table take their XUPS-MIB twin's code; the two without one keep their own. */
const RFC1628_TWIN: Record<string, string> = {
  batteryBad: 'batteryBad', onBattery: 'onBattery', lowBattery: 'lowBattery', depletedBattery: 'batteryDischarged', tempBad: 'tempBad',
  inputBad: 'inputFailure', outputBad: 'outputBad', outputOverload: 'outputOverload', onBypass: 'onBypass', bypassBad: 'bypassNotAvailable',
  outputOffAsRequested: 'outputOffAsRequested', upsOffAsRequested: 'upsOffAsRequested', chargerFailed: 'chargerFailed', upsOutputOff: 'outputOff',
  upsSystemOff: 'upsSystemOff', fanFailure: 'fanFailure', fuseFailure: 'fuseFailure', generalFault: 'generalFault',
  diagnosticTestFailed: 'diagnosticTestFailed', communicationsLost: 'communicationsLost', awaitingPower: 'awaitingPower',
  shutdownPending: 'shutdownPending', shutdownImminent: 'shutdownImminent', testInProgress: 'testInProgress',
};

/** One xupsAlarmTable row, as the card adds it. */
function addXupsAlarm(device: SnmprecDevice, id: number, descr: string): void {
  device.setRow(XUPS.alarmEntry, String(id), {
    [XUPS.alarmCol.id]: { type: 'Integer32', value: id },
    [XUPS.alarmCol.descr]: { type: 'ObjectIdentifier', value: descr },
    [XUPS.alarmCol.time]: { type: 'TimeTicks', value: 8_640_100 },
  });
}

async function scan(device: SnmprecDevice, profile = eaton) {
  const client = new FakeSnmpClient(device.mib);
  const findings = await scanDevice(specOf(profile), client);
  return { ...findings, requests: client.requests.map((r) => r.op) };
}

describe('the eaton-xups profile on the Eaton recording', () => {
  it('is what an auto device with the recording\'s sysObjectID gets', () => {
    expect(builtinProfiles().select(XUPS.sysObjectId)?.name).toBe('eaton-xups');
    expect(builtinProfiles().select('1.3.6.1.4.1.534.2.12')?.name).toBe('eaton-xups');
    expect(eaton.registration).toBe('none');
  });

  it('finds no alarm on the healthy recording, reads every reading, and needs one GET and one walk', async () => {
    const { alarms, readings, requests } = await scan(replay('eaton-xups'));
    expect(alarms).toEqual([]);
    expect(requests).toEqual(['get', ...Array<'subtree'>(readPlanColumns(eaton)).fill('subtree')]);
    const by = (id: string) => readings.filter((r) => r.reading === id).map((r) => [r.label, r.value]);
    expect(by('batteryRuntime')).toEqual([['', 1860]]);
    expect(by('batteryCharge')).toEqual([['', 100]]);
    expect(by('batteryVoltage')).toEqual([['', 432]]);
    expect(by('outputLoad')).toEqual([['', 38]]);
    expect(by('inputFrequency')).toEqual([['', 50]]);
    expect(by('ambientTemperature')).toEqual([['', 24]]);
    expect(by('inputVoltage')).toEqual([['L1/A', 230], ['L2/B', 231], ['L3/C', 229]]);
    expect(by('inputCurrent')).toEqual([['L1/A', 25], ['L2/B', 26], ['L3/C', 24]]);
    expect(by('outputCurrent')).toEqual([['L1', 27], ['L2', 28], ['L3', 26]]);
    expect(by('outputPower')).toEqual([['L1', 6000], ['L2', 6200], ['L3', 5900]]);
    expect(new Set(readings.map((r) => r.reading))).toEqual(new Set(eaton.readings.map((r) => r.id)));
  });

  it.each(Object.entries(XUPS.wellKnownAlarms))('maps well-known alarm %s (%s) to its code and the MIB\'s severity', async (name, oid) => {
    const device = replay('eaton-xups');
    addXupsAlarm(device, 7, oid);
    const { alarms } = await scan(device);
    expect(alarms).toEqual([
      { key: `xupsAlarmTable:7:${xupsCode(name)}`, code: xupsCode(name), severity: MIB_SEVERITY[XUPS_TRAP_SEVERITY[name as keyof typeof XUPS.wellKnownAlarms]], description: expect.stringMatching(/^UPS /) },
    ]);
  });

  it.each(UPS_WELL_KNOWN_ALARMS.map((a) => [a.name, a.n] as const))('maps RFC 1628 alarm %s in the XUPS table to its XUPS-MIB twin', async (name, n) => {
    const device = replay('eaton-xups');
    addXupsAlarm(device, 3, `${UPS_MIB.wellKnownAlarms}.${n}`);
    const [alarm] = (await scan(device)).alarms;
    expect(alarm?.code).toBe(`eaton.${RFC1628_TWIN[name]}`);
    const twin = Object.entries(XUPS.wellKnownAlarms).find(([xname]) => xupsCode(xname) === alarm?.code);
    // Where there is a twin, one condition has one severity whichever OID the card wrote.
    if (twin) expect(alarm?.severity).toBe(MIB_SEVERITY[XUPS_TRAP_SEVERITY[twin[0] as keyof typeof XUPS.wellKnownAlarms]]);
  });

  it('gives an alarm it does not know eaton.unknownAlarm, keyed by its row, and keeps alarms apart by row', async () => {
    const device = replay('eaton-xups');
    addXupsAlarm(device, 41, '1.3.6.1.4.1.534.1.7.99');
    addXupsAlarm(device, 42, XUPS.wellKnownAlarms.onBattery);
    const { alarms } = await scan(device);
    expect(alarms).toEqual([
      { key: 'xupsAlarmTable:41:eaton.unknownAlarm', code: 'eaton.unknownAlarm', severity: 'warning', description: 'UPS alarm 1.3.6.1.4.1.534.1.7.99' },
      { key: 'xupsAlarmTable:42:eaton.onBattery', code: 'eaton.onBattery', severity: 'warning', description: 'UPS on battery' },
    ]);
    device.deleteRow(XUPS.alarmEntry, '41');
    expect((await scan(device)).alarms.map((a) => a.key)).toEqual(['xupsAlarmTable:42:eaton.onBattery']);
  });
});

/** The walks a scan of the profile needs (the fake client walks each column alone). */
function readPlanColumns(profile: typeof eaton): number {
  const columns = new Set<string>();
  for (const source of profile.alarms) if (source.kind === 'alarm-table') for (const c of Object.values(source.columns)) columns.add(`${source.table}.${c.column}`);
  for (const r of profile.readings) if (r.table) {
    columns.add(`${r.table}.${r.column}`);
    if (r.labelColumn) columns.add(`${r.table}.${r.labelColumn}`);
  }
  return columns.size;
}

const outletIndex = (outlet: number, type: number = SENSOR_TYPE.rmsCurrent) => `${PDU2.pduId}.${outlet}.${type}`;
const measurement = (entry: string, column: number, index: string) => `${entry}.${column}.${index}`;

describe('the raritan-pdu2 profile on the Raritan recording', () => {
  it('is what an auto device with the recording\'s sysObjectID gets', () => {
    expect(builtinProfiles().select(PDU2.sysObjectId)?.name).toBe('raritan-pdu2');
    expect(raritan.registration).toBe('none');
  });

  it('finds no alarm on the healthy recording, and reads values scaled by each sensor\'s decimal digits, named from the configuration tables', async () => {
    const { alarms, readings, requests } = await scan(replay('raritan-pdu2'), raritan);
    expect(alarms).toEqual([]);
    expect(requests.every((op) => op === 'subtree')).toBe(true);
    const by = (id: string) => readings.filter((r) => r.reading === id).map((r) => [r.label, r.value]);
    expect(by('inletCurrent')).toEqual([['I1', 12.84]]);
    expect(by('inletVoltage')).toEqual([['I1', 231]]);
    expect(by('inletActivePower')).toEqual([['I1', 2820]]);
    expect(by('inletApparentPower')).toEqual([['I1', 2966]]);
    expect(by('inletFrequency')).toEqual([['I1', 50]]);
    expect(by('breakerCurrent')).toEqual([['C1', 6.42], ['C2', 6.42]]);
    expect(by('outletCurrent')).toEqual([['db-01', 2.15], ['db-02', 2.08], ['app-01', 1.73], ['app-02', 1.69], ['switch-a', 0.46], ['switch-b', 0.47], ['storage-01', 4.26], ['spare', 0]]);
    expect(readings.filter((r) => r.reading === 'outletSwitch').map((r) => [r.label, r.state])).toEqual([
      ['db-01', 'on'], ['db-02', 'on'], ['app-01', 'on'], ['app-02', 'on'], ['switch-a', 'on'], ['switch-b', 'on'], ['storage-01', 'on'], ['spare', 'off'],
    ]);
    expect(by('temperature')).toEqual([['Rack B7 inlet temperature', 23.5]]);
    expect(by('humidity')).toEqual([['Rack B7 inlet humidity', 41]]);
    // Instances are the measurement rows' indexes: pdu.outlet.sensorType, pdu.sensorID.
    expect(readings.find((r) => r.reading === 'outletCurrent' && r.label === 'storage-01')?.instance).toBe('1.7.1');
    expect(readings.find((r) => r.reading === 'temperature')?.instance).toBe('1.1');
  });

  it('names an outlet by its number when it has no name', async () => {
    const device = replay('raritan-pdu2');
    device.setValue(`${PDU2.outletConfigurationEntry}.${PDU2.outletConfigurationCol.name}.1.8`, { type: 'OctetString', value: '' });
    const { readings } = await scan(device, raritan);
    expect(readings.find((r) => r.reading === 'outletCurrent' && r.instance === '1.8.1')?.label).toBe('8');
  });

  it('leaves out a value whose decimal digits it cannot read, rather than guess its scale', async () => {
    const device = replay('raritan-pdu2');
    device.deleteValue(`${PDU2.outletSensorConfigurationEntry}.${PDU2.sensorConfigCol.decimalDigits}.${outletIndex(7)}`);
    const { readings } = await scan(device, raritan);
    expect(readings.filter((r) => r.reading === 'outletCurrent').map((r) => r.instance)).not.toContain('1.7.1');
    expect(readings.filter((r) => r.reading === 'outletCurrent')).toHaveLength(7);
  });

  it('reads no temperature from a PDU that reports Fahrenheit, rather than a wrong one', async () => {
    const device = replay('raritan-pdu2');
    device.setValue(`${PDU2.externalSensorConfigurationEntry}.${PDU2.externalConfigCol.units}.1.1`, { type: 'Integer32', value: 14 /* degreeF */ });
    const { readings } = await scan(device, raritan);
    expect(readings.filter((r) => r.reading === 'temperature')).toEqual([]);
  });

  it.each<[string, string, string, number, { key: string; code: string; severity: Severity; description: string }]>([
    ['outlet 7 current above its upper warning', PDU2.outletSensorMeasurementsEntry, outletIndex(7), SENSOR_STATE.aboveUpperWarning,
      { key: 'outletCurrentState:1.7.1:raritan.outletCurrent.aboveUpperWarning', code: 'raritan.outletCurrent.aboveUpperWarning', severity: 'warning', description: 'Outlet storage-01 current above its upper warning threshold' }],
    ['outlet 2 current above its upper critical', PDU2.outletSensorMeasurementsEntry, outletIndex(2), SENSOR_STATE.aboveUpperCritical,
      { key: 'outletCurrentState:1.2.1:raritan.outletCurrent.aboveUpperCritical', code: 'raritan.outletCurrent.aboveUpperCritical', severity: 'critical', description: 'Outlet db-02 current above its upper critical threshold' }],
    ['the inlet voltage below its lower critical', PDU2.inletSensorMeasurementsEntry, `1.1.${SENSOR_TYPE.rmsVoltage}`, SENSOR_STATE.belowLowerCritical,
      { key: 'inletVoltageState:1.1.4:raritan.inletVoltage.belowLowerCritical', code: 'raritan.inletVoltage.belowLowerCritical', severity: 'critical', description: 'Inlet I1 voltage below its lower critical threshold' }],
    ['the inlet current unavailable', PDU2.inletSensorMeasurementsEntry, `1.1.${SENSOR_TYPE.rmsCurrent}`, SENSOR_STATE.unavailable,
      { key: 'inletCurrentState:1.1.1:raritan.inletCurrent.unavailable', code: 'raritan.inletCurrent.unavailable', severity: 'warning', description: 'Inlet I1 current: no reading' }],
    ['the inlet frequency (another inlet sensor) below its lower warning', PDU2.inletSensorMeasurementsEntry, `1.1.${SENSOR_TYPE.frequency}`, SENSOR_STATE.belowLowerWarning,
      { key: 'inletSensorState:1.1.23:raritan.inletSensor.belowLowerWarning', code: 'raritan.inletSensor.belowLowerWarning', severity: 'warning', description: 'Inlet I1 sensor 1.1.23 below its lower warning threshold' }],
    ['breaker C2 tripped', PDU2.ocpSensorMeasurementsEntry, `1.2.${SENSOR_TYPE.trip}`, SENSOR_STATE.open,
      { key: 'ocpTripState:1.2.15:raritan.ocpTripped', code: 'raritan.ocpTripped', severity: 'critical', description: 'Breaker C2 tripped' }],
    ['breaker C1 current above its upper warning', PDU2.ocpSensorMeasurementsEntry, `1.1.${SENSOR_TYPE.rmsCurrent}`, SENSOR_STATE.aboveUpperWarning,
      { key: 'ocpCurrentState:1.1.1:raritan.ocpCurrent.aboveUpperWarning', code: 'raritan.ocpCurrent.aboveUpperWarning', severity: 'warning', description: 'Breaker C1 current above its upper warning threshold' }],
    ['the temperature sensor above its upper critical', PDU2.externalSensorMeasurementsEntry, '1.1', SENSOR_STATE.aboveUpperCritical,
      { key: 'externalSensorState:1.1:raritan.externalSensor.aboveUpperCritical', code: 'raritan.externalSensor.aboveUpperCritical', severity: 'critical', description: 'Sensor Rack B7 inlet temperature above its upper critical threshold' }],
    ['the humidity sensor unplugged', PDU2.externalSensorMeasurementsEntry, '1.2', SENSOR_STATE.unavailable,
      { key: 'externalSensorState:1.2:raritan.externalSensor.unavailable', code: 'raritan.externalSensor.unavailable', severity: 'warning', description: 'Sensor Rack B7 inlet humidity: no reading' }],
  ])('raises exactly one alarm for %s, and none once the state is normal again', async (_what, entry, index, state, expected) => {
    const device = replay('raritan-pdu2');
    const oid = measurement(entry, PDU2.measurementCol.state, index);
    const before = device.mib.get(oid).value as number;
    device.setValue(oid, { type: 'Integer32', value: state });
    expect((await scan(device, raritan)).alarms).toEqual([expected]);
    device.setValue(oid, { type: 'Integer32', value: before });
    expect((await scan(device, raritan)).alarms).toEqual([]);
  });

  it('reads an outlet switched off as a state, never as an alarm', async () => {
    const device = replay('raritan-pdu2');
    device.setValue(measurement(PDU2.outletSensorMeasurementsEntry, PDU2.measurementCol.state, outletIndex(3, SENSOR_TYPE.onOff)), { type: 'Integer32', value: SENSOR_STATE.off });
    const { alarms, readings } = await scan(device, raritan);
    expect(alarms).toEqual([]);
    expect(readings.find((r) => r.reading === 'outletSwitch' && r.instance === '1.3.14')).toMatchObject({ label: 'app-01', state: 'off', value: 8 });
  });
});
