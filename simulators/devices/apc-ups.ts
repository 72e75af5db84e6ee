import { APC, APC_ABNORMAL_FLAGS } from '../../src/profiles/oids.js';
import { ApcTrapReceivers } from '../registration/apc-receivers.js';
import { VarType } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

type Severity = 'critical' | 'warning';

interface ApcAlarm {
  severity: Severity;
  /** v1 enterprise-specific trap numbers sent on raise and on clear. */
  raiseTrap: number;
  clearTrap: number;
  flag?: number;
}

const T = APC.trap;
const condition = (severity: Severity): Pick<ApcAlarm, 'raiseTrap' | 'clearTrap'> =>
  severity === 'critical'
    ? { raiseTrap: T.upsCriticalCondition, clearTrap: T.upsCriticalConditionCleared }
    : { raiseTrap: T.upsWarningCondition, clearTrap: T.upsWarningConditionCleared };

export const APC_UPS_ALARMS: Record<string, ApcAlarm> = {
  onBattery: { severity: 'warning', raiseTrap: T.upsOnBattery, clearTrap: T.powerRestored },
  lowBattery: { severity: 'critical', ...condition('critical') },
  batteryFault: { severity: 'critical', ...condition('critical'), flag: 4 },
  ...Object.fromEntries(
    APC_ABNORMAL_FLAGS.filter((f) => f.flag !== 4).map((f) => [f.name, { severity: f.severity, ...condition(f.severity), flag: f.flag }]),
  ),
};

/**
 * An APC Smart-UPS network management card (PowerNet-MIB subset): basic
 * output, battery and alarm status, the 32-flag abnormal-conditions string,
 * v1 enterprise traps, and registration in mconfigTrapReceiverTable.
 */
export class ApcUpsDevice extends SimDevice {
  readonly supportedAlarms = Object.keys(APC_UPS_ALARMS);

  constructor(settings: DeviceSettings) {
    super(settings, {
      kind: 'apc-ups',
      sysDescr: 'APC Web/SNMP Management Card (priscan simulated Smart-UPS)',
      sysObjectId: `${APC.productUps}.1`,
      registration: new ApcTrapReceivers(settings.apcTrapPort),
    });
    const m = this.mib;
    m.addScalar(APC.upsBasicBatteryStatus, VarType.Integer, () => {
      if (this.isActive('batteryFault')) return APC.batteryStatus.inFault;
      return this.isActive('lowBattery') ? APC.batteryStatus.low : APC.batteryStatus.normal;
    });
    m.addScalar(APC.upsBasicOutputStatus, VarType.Integer, () =>
      this.isActive('onBattery') ? APC.outputStatus.onBattery : APC.outputStatus.onLine,
    );
    m.addScalar(APC.upsBasicStateAlarmStatus, VarType.Integer, () => this.alarmStatus());
    m.addScalar(APC.upsAdvStateAbnormalConditions, VarType.OctetString, () => this.abnormalConditions());
    this.addReadings();
  }

  /**
   * A Smart-UPS at 230 V, about 40 % loaded. On battery the input is gone and the capacity and
   * runtime fall; a low battery leaves two minutes; a load alarm means the load is above the
   * card's alarm threshold.
   */
  private addReadings(): void {
    const on = (name: string) => this.isActive(name);
    const GAUGE = [0, 4294967295] as const;
    const minutes = (n: number) => n * 60 * 100;
    const readings: Array<[string, string, VarType, readonly [number, number], () => number]> = [
      ['upsAdvBatteryCapacity', APC.upsAdvBatteryCapacity, VarType.Gauge32, GAUGE, () => (on('lowBattery') ? 10 : on('onBattery') ? 92 : 100)],
      ['upsAdvBatteryTemperature', APC.upsAdvBatteryTemperature, VarType.Gauge32, GAUGE, () => 27],
      ['upsAdvBatteryRunTimeRemaining', APC.upsAdvBatteryRunTimeRemaining, VarType.TimeTicks, GAUGE, () => minutes(on('lowBattery') ? 2 : on('onBattery') ? 25 : 50)],
      ['upsAdvInputLineVoltage', APC.upsAdvInputLineVoltage, VarType.Gauge32, GAUGE, () => (on('onBattery') ? 0 : 230)],
      ['upsAdvOutputLoad', APC.upsAdvOutputLoad, VarType.Gauge32, GAUGE, () => (on('loadAlarmViolation') ? 88 : 42)],
    ];
    for (const [name, oid, type, range, simulated] of readings) this.serveReading({ name, oid, range, simulated }, type);
  }

  protected applyRaise(name: string): void {
    this.sendApcTrap(APC_UPS_ALARMS[name]!.raiseTrap);
  }

  protected applyClear(name: string): void {
    this.sendApcTrap(APC_UPS_ALARMS[name]!.clearTrap);
  }

  private sendApcTrap(specific: number): void {
    this.notify({ trapOid: `${APC.enterprise}.0.${specific}`, varbinds: [] });
  }

  private alarmStatus(): number {
    const severities = this.activeAlarms().map((name) => APC_UPS_ALARMS[name]!.severity);
    if (severities.includes('critical')) return APC.alarmStatus.critical;
    if (severities.includes('warning')) return APC.alarmStatus.warning;
    return APC.alarmStatus.noAlarms;
  }

  private abnormalConditions(): Buffer {
    const flags = Array.from({ length: 32 }, () => '0');
    for (const name of this.activeAlarms()) {
      const flag = APC_UPS_ALARMS[name]!.flag;
      if (flag !== undefined) flags[flag - 1] = '1';
    }
    return Buffer.from(flags.join(''));
  }
}
