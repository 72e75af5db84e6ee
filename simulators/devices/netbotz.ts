import { NETBOTZ } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { HiddenRegistrationTable } from '../registration/hidden-table.js';
import { VarType } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

const S = NETBOTZ.sensorCol;
const E = NETBOTZ.errorCondCol;
const ES = NETBOTZ.errorStatus;
/** Resolved error conditions the appliance keeps, oldest dropped first. */
const RESOLVED_KEPT = 20;

type Sensor = 'temp' | 'door';

interface NetBotzAlarm {
  sensor: Sensor;
  /** Sensor value while the alarm holds (temperature in 0.1 C; door 0 open). */
  value: number;
  errorStatus: number;
  typeId: string;
  /** Trap number N under the sensor's trap prefix; return-to-normal is N + 100. */
  trap: number;
}

export const NETBOTZ_ALARMS: Record<string, NetBotzAlarm> = {
  tempHigh: { sensor: 'temp', value: 385, errorStatus: ES.error, typeId: 'nbErrorType_ValueTooHigh', trap: NETBOTZ.trap.tooHigh },
  tempLow: { sensor: 'temp', value: 80, errorStatus: ES.warning, typeId: 'nbErrorType_ValueTooLow', trap: NETBOTZ.trap.tooLow },
  doorOpen: { sensor: 'door', value: NETBOTZ.doorValue.open, errorStatus: ES.warning, typeId: 'nbErrorType_ValueError', trap: NETBOTZ.trap.tooHigh },
};

const NORMAL = { temp: 215, humi: 450, door: NETBOTZ.doorValue.closed } as const;
const SENSOR_ID = { temp: 'nbHawkEnc_0_TEMP1', humi: 'nbHawkEnc_0_HUMI1', door: 'nbHawkEnc_0_DOOR1' } as const;
type SensorTable = keyof typeof SENSOR_ID;
/** Each sensor's value as a reading: its MIB object and the range its SYNTAX allows (0.1 °C, 0.1 %, door -1..1). */
const READING: Record<SensorTable, { name: string; range: readonly [number, number] }> = {
  temp: { name: 'tempSensorValue', range: [-500, 1000] },
  humi: { name: 'humiSensorValue', range: [0, 1000] },
  door: { name: 'doorSwitchSensorValue', range: [-1, 1] },
};
const TRAP_PREFIX = { temp: NETBOTZ.tempTrapPrefix, door: NETBOTZ.doorTrapPrefix } as const;

/** DisplayString index: length then one arc per byte (not IMPLIED). */
function stringIndex(text: string): number[] {
  const bytes = [...Buffer.from(text)];
  return [bytes.length, ...bytes];
}

/**
 * A NetBotz environmental appliance: temperature, humidity and door sensors,
 * and an error-condition table that keeps resolved rows beside active ones.
 * Managers register in the project MIB's hidden table.
 */
export class NetBotzDevice extends SimDevice {
  readonly supportedAlarms = Object.keys(NETBOTZ_ALARMS);
  private readonly sensorTables = {
    temp: sensorTable(NETBOTZ.tempSensorEntry, 'tempSensor'),
    humi: sensorTable(NETBOTZ.humiSensorEntry, 'humiSensor'),
    door: sensorTable(NETBOTZ.doorSwitchSensorEntry, 'doorSwitchSensor'),
  };
  private readonly errorCondTable = new SimTable(NETBOTZ.errorCondEntry, [
    { col: E.id, name: 'errorCondId', type: VarType.OctetString, access: 'read-only' },
    { col: E.severity, name: 'errorCondSeverity', type: VarType.Integer, access: 'read-only' },
    { col: E.typeId, name: 'errorCondTypeId', type: VarType.OctetString, access: 'read-only' },
    { col: E.startTime, name: 'errorCondStartTime', type: VarType.Integer, access: 'read-only' },
    { col: E.startTimeStr, name: 'errorCondStartTimeStr', type: VarType.OctetString, access: 'read-only' },
    { col: E.resolved, name: 'errorCondResolved', type: VarType.Integer, access: 'read-only' },
    { col: E.resolvedTime, name: 'errorCondResolvedTime', type: VarType.Integer, access: 'read-only' },
    { col: E.resolvedTimeStr, name: 'errorCondResolvedTimeStr', type: VarType.OctetString, access: 'read-only' },
    { col: E.encId, name: 'errorCondEncId', type: VarType.OctetString, access: 'read-only' },
    { col: E.portId, name: 'errorCondPortId', type: VarType.OctetString, access: 'read-only' },
    { col: E.sensorId, name: 'errorCondSensorId', type: VarType.OctetString, access: 'read-only' },
  ]);
  /** What each sensor measures by itself: its normal value, or what an active alarm made it. */
  private readonly simulated: Record<SensorTable, number> = { ...NORMAL };
  private readonly conditionOfAlarm = new Map<string, number[]>();
  private readonly resolvedOrder: number[][] = [];
  private lastConditionId = 0;

  constructor(settings: DeviceSettings) {
    super(settings, {
      kind: 'netbotz',
      sysDescr: 'NetBotz 450 appliance (priscan simulated)',
      sysObjectId: `${NETBOTZ.product}.1`,
      registration: new HiddenRegistrationTable(),
    });
    for (const table of Object.values(this.sensorTables)) this.mib.addTable(table);
    this.mib.addTable(this.errorCondTable);
    for (const sensor of Object.keys(READING) as SensorTable[]) {
      const { name, range } = READING[sensor];
      this.readings.define({ name, oid: `${this.sensorTables[sensor].entryOid}.${S.value}.${stringIndex(SENSOR_ID[sensor]).join('.')}`, range, simulated: () => this.simulated[sensor] });
    }
    this.setSensor('temp', NORMAL.temp, ES.normal, 'Rack inlet temperature');
    this.setSensor('humi', NORMAL.humi, ES.normal, 'Rack inlet humidity');
    this.setSensor('door', NORMAL.door, ES.normal, 'Rack front door');
  }

  protected applyRaise(name: string): void {
    const alarm = NETBOTZ_ALARMS[name]!;
    this.setSensor(alarm.sensor, alarm.value, alarm.errorStatus);
    this.lastConditionId++;
    const id = `nbErrorCond_${this.lastConditionId}`;
    const index = stringIndex(id);
    const now = this.settings.clock.now();
    this.errorCondTable.setRow(index, {
      [E.id]: Buffer.from(id),
      [E.severity]: alarm.errorStatus,
      [E.typeId]: Buffer.from(alarm.typeId),
      [E.startTime]: Math.floor(now / 1000),
      [E.startTimeStr]: Buffer.from(new Date(now).toISOString()),
      [E.resolved]: 0,
      [E.resolvedTime]: 0,
      [E.resolvedTimeStr]: Buffer.alloc(0),
      [E.encId]: Buffer.from('nbHawkEnc_0'),
      [E.portId]: Buffer.from(alarm.sensor === 'temp' ? 'nbHawkEnc_0_TEMP' : 'nbHawkEnc_0_DOOR'),
      [E.sensorId]: Buffer.from(SENSOR_ID[alarm.sensor]),
    });
    this.conditionOfAlarm.set(name, index);
    this.notify({ trapOid: `${TRAP_PREFIX[alarm.sensor]}.${alarm.trap}`, varbinds: [] });
  }

  /**
   * Opens an error condition with any type and sensor text, and nothing else (no sensor change, no
   * notification): what a faulty or hostile appliance may report, for tests of what a manager makes
   * of device text. Returns the row's index.
   */
  addErrorCondition(condition: { typeId: string; severity: number; sensorId?: string }): number[] {
    this.lastConditionId++;
    const id = `nbErrorCond_${this.lastConditionId}`;
    const index = stringIndex(id);
    this.errorCondTable.setRow(index, {
      [E.id]: Buffer.from(id),
      [E.severity]: condition.severity,
      [E.typeId]: Buffer.from(condition.typeId),
      [E.resolved]: 0,
      [E.sensorId]: Buffer.from(condition.sensorId ?? ''),
    });
    return index;
  }

  protected applyClear(name: string): void {
    const alarm = NETBOTZ_ALARMS[name]!;
    const stillActive = this.activeAlarms().find((other) => NETBOTZ_ALARMS[other]!.sensor === alarm.sensor);
    if (stillActive) {
      const other = NETBOTZ_ALARMS[stillActive]!;
      this.setSensor(alarm.sensor, other.value, other.errorStatus);
    } else {
      this.setSensor(alarm.sensor, NORMAL[alarm.sensor], ES.normal);
    }
    const index = this.conditionOfAlarm.get(name)!;
    this.conditionOfAlarm.delete(name);
    this.resolveCondition(index);
    this.notify({ trapOid: `${TRAP_PREFIX[alarm.sensor]}.${alarm.trap + NETBOTZ.trap.returnToNormal}`, varbinds: [] });
  }

  private resolveCondition(index: number[]): void {
    const now = this.settings.clock.now();
    this.errorCondTable.setCell(index, E.resolved, 1);
    this.errorCondTable.setCell(index, E.resolvedTime, Math.floor(now / 1000));
    this.errorCondTable.setCell(index, E.resolvedTimeStr, Buffer.from(new Date(now).toISOString()));
    this.resolvedOrder.push(index);
    while (this.resolvedOrder.length > RESOLVED_KEPT) this.errorCondTable.deleteRow(this.resolvedOrder.shift()!);
  }

  private setSensor(sensor: SensorTable, value: number, errorStatus: number, label?: string): void {
    this.simulated[sensor] = value;
    const id = SENSOR_ID[sensor];
    const row = this.sensorTables[sensor].setRow(stringIndex(id), { [S.id]: Buffer.from(id), [S.value]: this.readings.value(READING[sensor].name), [S.errorStatus]: errorStatus });
    if (label !== undefined) row.values.set(S.label, Buffer.from(label));
  }

  /** A value set by hand (or released) goes into the sensor's row; its error status stays as the alarms make it. */
  protected override readingChanged(name: string): void {
    const sensor = (Object.keys(READING) as SensorTable[]).find((s) => READING[s].name === name)!;
    this.sensorTables[sensor].setCell(stringIndex(SENSOR_ID[sensor]), S.value, this.readings.value(name));
  }
}

function sensorTable(entryOid: string, prefix: string): SimTable {
  return new SimTable(entryOid, [
    { col: S.id, name: `${prefix}Id`, type: VarType.OctetString, access: 'read-only' },
    { col: S.value, name: `${prefix}Value`, type: VarType.Integer, access: 'read-only' },
    { col: S.errorStatus, name: `${prefix}ErrorStatus`, type: VarType.Integer, access: 'read-only' },
    { col: S.label, name: `${prefix}Label`, type: VarType.OctetString, access: 'read-only' },
  ]);
}
