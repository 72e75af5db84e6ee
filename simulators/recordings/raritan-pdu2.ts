import { RecordingBuilder } from './recording-builder.js';

/**
 * Raritan PX2/PX3 rack PDUs, PDU2-MIB (enterprise 13742, pdu2 = 13742.6). Every OID below was
 * checked against PDU2-MIB revision 202209210000Z with snmptranslate; see raritan-pdu2.md.
 * Sensor tables are indexed by pduId (1 unless PDUs are daisy-chained), the inlet, outlet,
 * overcurrent protector or external sensor number, and (except external sensors) sensorType.
 */
const R = '1.3.6.1.4.1.13742.6';

/** SensorTypeEnumeration values used here. */
export const SENSOR_TYPE = { rmsCurrent: 1, rmsVoltage: 4, activePower: 5, apparentPower: 6, powerFactor: 7, activeEnergy: 8, temperature: 10, humidity: 11, onOff: 14, trip: 15, frequency: 23 } as const;

/** SensorStateEnumeration values used here (the MIB lists which states each sensor type takes). */
export const SENSOR_STATE = {
  unavailable: -1,
  open: 0,
  closed: 1,
  belowLowerCritical: 2,
  belowLowerWarning: 3,
  normal: 4,
  aboveUpperWarning: 5,
  aboveUpperCritical: 6,
  on: 7,
  off: 8,
} as const;

/** SensorUnitsEnumeration values used here. */
export const SENSOR_UNITS = { none: -1, volt: 1, amp: 2, watt: 3, voltamp: 4, wattHour: 5, degreeC: 7, hertz: 8, percent: 9 } as const;

/** Columns every sensor measurements entry shares (inlet, OCP, outlet and external sensors). */
const MEASUREMENT_COL = { isAvailable: 2, state: 3, value: 4, timeStamp: 5 } as const;
/** Columns every numeric sensor configuration entry shares (external sensors differ: see externalConfigCol). */
const CONFIG_COL = { units: 6, decimalDigits: 7, hysteresis: 13, lowerCritical: 21, lowerWarning: 22, upperCritical: 23, upperWarning: 24, enabledThresholds: 25 } as const;

export const PDU2 = {
  /** sysObjectID of PX2/PX3 PDUs (NUT's raritan-px2-mib.c matches it). */
  sysObjectId: R,
  pduId: 1,
  nameplateEntry: `${R}.3.2.1.1`,
  nameplateCol: { manufacturer: 2, model: 3, serialNumber: 4, ratedVoltage: 5, ratedCurrent: 6, ratedFrequency: 7, ratedVA: 8 },
  unitConfigurationEntry: `${R}.3.2.2.1`,
  unitConfigurationCol: { inletCount: 2, overCurrentProtectorCount: 3, outletCount: 4, externalSensorCount: 7, pduName: 13 },
  inletConfigurationEntry: `${R}.3.3.3.1`,
  inletConfigurationCol: { label: 2, name: 3, ratedCurrent: 7 },
  inletSensorConfigurationEntry: `${R}.3.3.4.1`,
  ocpConfigurationEntry: `${R}.3.4.3.1`,
  ocpConfigurationCol: { label: 2, name: 3, type: 4, ratedCurrent: 5 },
  ocpSensorConfigurationEntry: `${R}.3.4.4.1`,
  outletConfigurationEntry: `${R}.3.5.3.1`,
  outletConfigurationCol: { label: 2, name: 3 },
  outletSensorConfigurationEntry: `${R}.3.5.4.1`,
  /** Config columns of inlet, OCP and outlet sensors (thresholds Unsigned32, in the sensor's scaled units). */
  sensorConfigCol: CONFIG_COL,
  externalSensorConfigurationEntry: `${R}.3.6.3.1`,
  /** External sensor config columns differ: thresholds are Integer32 and sit at 31-35. */
  externalConfigCol: { type: 2, serialNumber: 3, name: 4, units: 16, decimalDigits: 17, hysteresis: 23, lowerCritical: 31, lowerWarning: 32, upperCritical: 33, upperWarning: 34, enabledThresholds: 35 },
  /** measurementsInletSensor*: index pduId.inletId.sensorType; value Unsigned32. */
  inletSensorMeasurementsEntry: `${R}.5.2.3.1`,
  /** measurementsOverCurrentProtectorSensor*: index pduId.ocpIndex.sensorType. */
  ocpSensorMeasurementsEntry: `${R}.5.3.3.1`,
  /** measurementsOutletSensor*: index pduId.outletId.sensorType. */
  outletSensorMeasurementsEntry: `${R}.5.4.3.1`,
  /** measurementsExternalSensor*: index pduId.sensorID; value Integer32. */
  externalSensorMeasurementsEntry: `${R}.5.5.3.1`,
  measurementCol: MEASUREMENT_COL,
  /** Notifications (traps 1.3.6.1.4.1.13742.6.0.N); v1 form: enterprise 1.3.6.1.4.1.13742.6, specific N. */
  trapPrefix: `${R}.0`,
  traps: {
    inletSensorStateChange: `${R}.0.61`,
    inletPoleSensorStateChange: `${R}.0.62`,
    outletSensorStateChange: `${R}.0.63`,
    overCurrentProtectorSensorStateChange: `${R}.0.65`,
    externalSensorStateChange: `${R}.0.66`,
  },
} as const;

const SYSTEM = '1.3.6.1.2.1.1';
const TIMESTAMP = 1_700_000_000;
const P = PDU2.pduId;

interface NumericSensor {
  type: number;
  units: number;
  digits: number;
  value: number;
  /** Thresholds in scaled units; `enabled` names the BITS set (0 lowerCritical .. 3 upperCritical). */
  thresholds?: { lowerCritical: number; lowerWarning: number; upperWarning: number; upperCritical: number; enabled: readonly number[] };
}

const UPPER = [2, 3] as const;
const ALL = [0, 1, 2, 3] as const;

/** The inlet's sensors: a 1-phase 32 A inlet at 230 V carrying 12.84 A. */
const INLET: NumericSensor[] = [
  { type: SENSOR_TYPE.rmsCurrent, units: SENSOR_UNITS.amp, digits: 3, value: 12_840, thresholds: { lowerCritical: 0, lowerWarning: 0, upperWarning: 26_000, upperCritical: 32_000, enabled: UPPER } },
  { type: SENSOR_TYPE.rmsVoltage, units: SENSOR_UNITS.volt, digits: 0, value: 231, thresholds: { lowerCritical: 194, lowerWarning: 200, upperWarning: 250, upperCritical: 254, enabled: ALL } },
  { type: SENSOR_TYPE.activePower, units: SENSOR_UNITS.watt, digits: 0, value: 2820 },
  { type: SENSOR_TYPE.apparentPower, units: SENSOR_UNITS.voltamp, digits: 0, value: 2966 },
  { type: SENSOR_TYPE.powerFactor, units: SENSOR_UNITS.none, digits: 2, value: 95 },
  { type: SENSOR_TYPE.activeEnergy, units: SENSOR_UNITS.wattHour, digits: 0, value: 18_345_210 },
  { type: SENSOR_TYPE.frequency, units: SENSOR_UNITS.hertz, digits: 1, value: 500 },
];
const OCP_LABELS = ['C1', 'C2'];
const OCP_CURRENT = [6420, 6420];
const OUTLET_NAMES = ['db-01', 'db-02', 'app-01', 'app-02', 'switch-a', 'switch-b', 'storage-01', 'spare'];
const OUTLET_CURRENT = [2150, 2080, 1730, 1690, 460, 470, 4260, 0];
/** External sensors: 1 temperature (0.1 degC), 2 relative humidity (%). */
const EXTERNAL = [
  { id: 1, name: 'Rack B7 inlet temperature', serial: 'SIM-T0001', sensor: { type: SENSOR_TYPE.temperature, units: SENSOR_UNITS.degreeC, digits: 1, value: 235, thresholds: { lowerCritical: 100, lowerWarning: 150, upperWarning: 270, upperCritical: 320, enabled: ALL } } },
  { id: 2, name: 'Rack B7 inlet humidity', serial: 'SIM-H0001', sensor: { type: SENSOR_TYPE.humidity, units: SENSOR_UNITS.percent, digits: 0, value: 41, thresholds: { lowerCritical: 10, lowerWarning: 20, upperWarning: 70, upperCritical: 80, enabled: ALL } } },
];

/** A healthy Raritan PX3 (one 1-phase 32 A inlet, two 16 A breakers, eight outlets, two external sensors). */
export function raritanPdu2Recording(): RecordingBuilder {
  const r = new RecordingBuilder()
    .text(`${SYSTEM}.1.0`, 'Raritan PX3 rack PDU (priscan synthetic recording)')
    .add(`${SYSTEM}.2.0`, 'ObjectIdentifier', PDU2.sysObjectId)
    .add(`${SYSTEM}.3.0`, 'TimeTicks', 25_920_000)
    .text(`${SYSTEM}.4.0`, 'noc@example.com')
    .text(`${SYSTEM}.5.0`, 'pdu-b7')
    .text(`${SYSTEM}.6.0`, 'DC1 room 2 rack B7')
    .integer(`${SYSTEM}.7.0`, 72);
  const np = (col: number) => `${PDU2.nameplateEntry}.${col}.${P}`;
  const n = PDU2.nameplateCol;
  r.text(np(n.manufacturer), 'Raritan').text(np(n.model), 'PX3-SIM-1P32A').text(np(n.serialNumber), 'SIM0000002');
  r.text(np(n.ratedVoltage), '200-240V').text(np(n.ratedCurrent), '32A').text(np(n.ratedFrequency), '50/60Hz').text(np(n.ratedVA), '6.4-7.7kVA');
  const unit = (col: number) => `${PDU2.unitConfigurationEntry}.${col}.${P}`;
  const u = PDU2.unitConfigurationCol;
  r.integer(unit(u.inletCount), 1).integer(unit(u.overCurrentProtectorCount), OCP_LABELS.length).integer(unit(u.outletCount), OUTLET_NAMES.length);
  r.integer(unit(u.externalSensorCount), EXTERNAL.length).text(unit(u.pduName), 'pdu-b7');

  const inlet = (col: number) => `${PDU2.inletConfigurationEntry}.${col}.${P}.1`;
  r.text(inlet(PDU2.inletConfigurationCol.label), 'I1').text(inlet(PDU2.inletConfigurationCol.name), 'Feed A').text(inlet(PDU2.inletConfigurationCol.ratedCurrent), '32A');
  for (const s of INLET) numericSensor(r, { config: PDU2.inletSensorConfigurationEntry, measurements: PDU2.inletSensorMeasurementsEntry, index: `${P}.1.${s.type}` }, s);

  OCP_LABELS.forEach((label, i) => {
    const ocp = i + 1;
    const c = (col: number) => `${PDU2.ocpConfigurationEntry}.${col}.${P}.${ocp}`;
    r.text(c(PDU2.ocpConfigurationCol.label), label).text(c(PDU2.ocpConfigurationCol.name), '').integer(c(PDU2.ocpConfigurationCol.type), 1 /* ocpBREAKER1POLE */);
    r.text(c(PDU2.ocpConfigurationCol.ratedCurrent), '16A');
    const current = { type: SENSOR_TYPE.rmsCurrent, units: SENSOR_UNITS.amp, digits: 3, value: OCP_CURRENT[i]!, thresholds: { lowerCritical: 0, lowerWarning: 0, upperWarning: 12_800, upperCritical: 16_000, enabled: UPPER } };
    numericSensor(r, { config: PDU2.ocpSensorConfigurationEntry, measurements: PDU2.ocpSensorMeasurementsEntry, index: `${P}.${ocp}.${SENSOR_TYPE.rmsCurrent}` }, current);
    // The trip sensor has a state only: closed(1) while the breaker holds, open(0) once it trips.
    stateSensor(r, PDU2.ocpSensorMeasurementsEntry, `${P}.${ocp}.${SENSOR_TYPE.trip}`, SENSOR_STATE.closed);
  });

  OUTLET_NAMES.forEach((name, i) => {
    const outlet = i + 1;
    const c = (col: number) => `${PDU2.outletConfigurationEntry}.${col}.${P}.${outlet}`;
    r.text(c(PDU2.outletConfigurationCol.label), String(outlet)).text(c(PDU2.outletConfigurationCol.name), name);
    const current = { type: SENSOR_TYPE.rmsCurrent, units: SENSOR_UNITS.amp, digits: 3, value: OUTLET_CURRENT[i]!, thresholds: { lowerCritical: 0, lowerWarning: 0, upperWarning: 8_000, upperCritical: 10_000, enabled: UPPER } };
    numericSensor(r, { config: PDU2.outletSensorConfigurationEntry, measurements: PDU2.outletSensorMeasurementsEntry, index: `${P}.${outlet}.${SENSOR_TYPE.rmsCurrent}` }, current);
    stateSensor(r, PDU2.outletSensorMeasurementsEntry, `${P}.${outlet}.${SENSOR_TYPE.onOff}`, name === 'spare' ? SENSOR_STATE.off : SENSOR_STATE.on);
  });

  const x = PDU2.externalConfigCol;
  for (const { id, name, serial, sensor } of EXTERNAL) {
    const c = (col: number) => `${PDU2.externalSensorConfigurationEntry}.${col}.${P}.${id}`;
    r.integer(c(x.type), sensor.type).text(c(x.serialNumber), serial).text(c(x.name), name);
    r.integer(c(x.units), sensor.units).gauge(c(x.decimalDigits), sensor.digits).gauge(c(x.hysteresis), sensor.digits === 1 ? 10 : 1);
    const t = sensor.thresholds;
    r.integer(c(x.lowerCritical), t.lowerCritical).integer(c(x.lowerWarning), t.lowerWarning).integer(c(x.upperCritical), t.upperCritical).integer(c(x.upperWarning), t.upperWarning);
    r.bits(c(x.enabledThresholds), t.enabled);
    const m = (col: number) => `${PDU2.externalSensorMeasurementsEntry}.${col}.${P}.${id}`;
    r.integer(m(MEASUREMENT_COL.isAvailable), 1 /* true */).integer(m(MEASUREMENT_COL.state), SENSOR_STATE.normal);
    r.integer(m(MEASUREMENT_COL.value), sensor.value).gauge(m(MEASUREMENT_COL.timeStamp), TIMESTAMP);
  }
  return r;
}

/** One numeric sensor: its configuration row (units, digits, thresholds) and its measurements row. */
function numericSensor(r: RecordingBuilder, at: { config: string; measurements: string; index: string }, s: NumericSensor): void {
  const c = (col: number) => `${at.config}.${col}.${at.index}`;
  r.integer(c(CONFIG_COL.units), s.units).gauge(c(CONFIG_COL.decimalDigits), s.digits);
  if (s.thresholds) {
    const t = s.thresholds;
    r.gauge(c(CONFIG_COL.hysteresis), 10 ** s.digits);
    r.gauge(c(CONFIG_COL.lowerCritical), t.lowerCritical).gauge(c(CONFIG_COL.lowerWarning), t.lowerWarning);
    r.gauge(c(CONFIG_COL.upperCritical), t.upperCritical).gauge(c(CONFIG_COL.upperWarning), t.upperWarning);
  }
  r.bits(c(CONFIG_COL.enabledThresholds), s.thresholds?.enabled ?? []);
  const m = (col: number) => `${at.measurements}.${col}.${at.index}`;
  r.integer(m(MEASUREMENT_COL.isAvailable), 1 /* true */).integer(m(MEASUREMENT_COL.state), SENSOR_STATE.normal);
  r.gauge(m(MEASUREMENT_COL.value), s.value).gauge(m(MEASUREMENT_COL.timeStamp), TIMESTAMP);
}

/** A sensor with a state and no reading (trip, onOff). */
function stateSensor(r: RecordingBuilder, measurements: string, index: string, state: number): void {
  const m = (col: number) => `${measurements}.${col}.${index}`;
  r.integer(m(MEASUREMENT_COL.isAvailable), 1 /* true */).integer(m(MEASUREMENT_COL.state), state).gauge(m(MEASUREMENT_COL.timeStamp), TIMESTAMP);
}
