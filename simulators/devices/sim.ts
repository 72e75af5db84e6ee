import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { HiddenRegistrationTable } from '../registration/hidden-table.js';
import { VarType } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

type Severity = keyof typeof PRISCAN_SIM.severity;

/** The alarms a `sim` device can raise: code and text are what its priority-scanning table shows. */
export const SIM_ALARMS: Record<string, { severity: Severity; code: number; descr: string }> = {
  onBattery: { severity: 'critical', code: 2, descr: 'UPS on battery' },
  lowBattery: { severity: 'critical', code: 3, descr: 'UPS battery low' },
  overload: { severity: 'critical', code: 8, descr: 'Output overloaded' },
  fanFailure: { severity: 'warning', code: 16, descr: 'Fan failure' },
  tempHigh: { severity: 'warning', code: 101, descr: 'Temperature too high' },
  doorOpen: { severity: 'warning', code: 201, descr: 'Rack door open' },
  selfTest: { severity: 'info', code: 301, descr: 'Self test in progress' },
};

const C = PRISCAN_SIM.alarmCol;
const MAX_ALARM_INDEX = 4294967295;

/**
 * A device that speaks the project's own MIB: managers register in the hidden
 * table, alarms are rows of the priority-scanning table, and every change
 * sends one alert-present notification that carries no detail.
 */
export class PriscanSimDevice extends SimDevice {
  readonly supportedAlarms = Object.keys(SIM_ALARMS);
  private readonly alarmTable = new SimTable(PRISCAN_SIM.alarmEntry, [
    { col: C.index, name: 'priscanAlarmIndex', type: VarType.Gauge32, access: 'not-accessible' },
    { col: C.severity, name: 'priscanAlarmSeverity', type: VarType.Integer, access: 'read-only' },
    { col: C.code, name: 'priscanAlarmCode', type: VarType.Gauge32, access: 'read-only' },
    { col: C.descr, name: 'priscanAlarmDescr', type: VarType.OctetString, access: 'read-only' },
    { col: C.raisedAt, name: 'priscanAlarmRaisedAt', type: VarType.TimeTicks, access: 'read-only' },
  ]);
  private readonly rowOfAlarm = new Map<string, number>();
  private lastIndex = 0;

  constructor(settings: DeviceSettings) {
    super(settings, {
      kind: 'sim',
      sysDescr: 'priscan simulated device (PRISCAN-SIM-MIB)',
      sysObjectId: PRISCAN_SIM.productSim,
      registration: new HiddenRegistrationTable(),
    });
    this.mib.addScalar(PRISCAN_SIM.alarmsPresent, VarType.Gauge32, () => this.alarmTable.size);
    this.mib.addTable(this.alarmTable);
  }

  protected applyRaise(name: string): void {
    const alarm = SIM_ALARMS[name]!;
    this.lastIndex = this.lastIndex >= MAX_ALARM_INDEX ? 1 : this.lastIndex + 1;
    this.alarmTable.setRow([this.lastIndex], {
      [C.severity]: PRISCAN_SIM.severity[alarm.severity],
      [C.code]: alarm.code,
      [C.descr]: Buffer.from(alarm.descr),
      [C.raisedAt]: this.uptime(),
    });
    this.rowOfAlarm.set(name, this.lastIndex);
    this.notify({ trapOid: PRISCAN_SIM.alertPresent, varbinds: [] });
  }

  protected applyClear(name: string): void {
    const index = this.rowOfAlarm.get(name);
    if (index !== undefined) this.alarmTable.deleteRow([index]);
    this.rowOfAlarm.delete(name);
    this.notify({ trapOid: PRISCAN_SIM.alertPresent, varbinds: [] });
  }
}
