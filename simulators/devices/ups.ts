import { PRISCAN_SIM, UPS_MIB, UPS_WELL_KNOWN_ALARMS } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { Rfc3413Targets } from '../registration/rfc3413.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

const C = UPS_MIB.upsAlarmCol;
const BY_NAME = new Map<string, (typeof UPS_WELL_KNOWN_ALARMS)[number]>(UPS_WELL_KNOWN_ALARMS.map((a) => [a.name, a]));

export interface UpsOptions {
  /** First upsAlarmId to hand out, so tests can watch ids wrap. */
  firstAlarmId?: number;
}

/**
 * An RFC 1628 UPS: the agent owns upsAlarmTable (ids increment and wrap),
 * announces each row with upsTrapAlarmEntryAdded/Removed, and repeats
 * upsTrapOnBattery every minute while on battery. Managers register through
 * RFC 3413 target rows.
 */
export class Rfc1628UpsDevice extends SimDevice {
  readonly supportedAlarms = UPS_WELL_KNOWN_ALARMS.map((a) => a.name);
  private readonly alarmTable = new SimTable(UPS_MIB.upsAlarmEntry, [
    { col: C.id, name: 'upsAlarmId', type: VarType.Integer, access: 'not-accessible' },
    { col: C.descr, name: 'upsAlarmDescr', type: VarType.OID, access: 'read-only' },
    { col: C.time, name: 'upsAlarmTime', type: VarType.TimeTicks, access: 'read-only' },
  ]);
  private readonly idOfAlarm = new Map<string, number>();
  private nextId: number;
  private onBatterySince: number | undefined;
  private onBatteryTimer: NodeJS.Timeout | undefined;

  constructor(settings: DeviceSettings, options: UpsOptions = {}) {
    super(settings, {
      kind: 'ups',
      sysDescr: 'priscan simulated UPS (RFC 1628 UPS-MIB)',
      sysObjectId: PRISCAN_SIM.productUps,
      registration: new Rfc3413Targets(settings.v3?.user),
    });
    const first = options.firstAlarmId ?? 1;
    if (!Number.isInteger(first) || first < 1 || first > UPS_MIB.maxAlarmId) {
      throw new RangeError(`firstAlarmId must be 1..${UPS_MIB.maxAlarmId} (upsAlarmId is PositiveInteger)`);
    }
    this.nextId = first;
    const m = this.mib;
    m.addScalar(UPS_MIB.upsIdentManufacturer, VarType.OctetString, Buffer.from('priscan'));
    m.addScalar(UPS_MIB.upsIdentModel, VarType.OctetString, Buffer.from('SIM-UPS-3000'));
    m.addScalar(UPS_MIB.upsBatteryStatus, VarType.Integer, () => this.batteryStatus());
    m.addScalar(UPS_MIB.upsSecondsOnBattery, VarType.Integer, () => this.secondsOnBattery());
    m.addScalar(UPS_MIB.upsEstimatedMinutesRemaining, VarType.Integer, () => (this.isActive('lowBattery') ? 2 : 45));
    m.addScalar(UPS_MIB.upsEstimatedChargeRemaining, VarType.Integer, () => (this.isActive('lowBattery') ? 8 : 100));
    m.addScalar(UPS_MIB.upsOutputSource, VarType.Integer, () =>
      this.isActive('onBattery') ? UPS_MIB.outputSource.battery : UPS_MIB.outputSource.normal,
    );
    m.addScalar(UPS_MIB.upsAlarmsPresent, VarType.Gauge32, () => this.alarmTable.size);
    m.addScalar(UPS_MIB.upsConfigLowBattTime, VarType.Integer, 2);
    m.addTable(this.alarmTable);
  }

  protected applyRaise(name: string): void {
    const alarm = BY_NAME.get(name)!;
    const id = this.takeAlarmId();
    this.alarmTable.setRow([id], {
      [C.id]: id,
      [C.descr]: `${UPS_MIB.wellKnownAlarms}.${alarm.n}`,
      [C.time]: this.uptime(),
    });
    this.idOfAlarm.set(name, id);
    this.notify({ trapOid: UPS_MIB.upsTrapAlarmEntryAdded, varbinds: this.alarmVarbinds(id, alarm.n) });
    if (name === 'onBattery') this.startOnBattery();
  }

  protected applyClear(name: string): void {
    const alarm = BY_NAME.get(name)!;
    const id = this.idOfAlarm.get(name)!;
    this.alarmTable.deleteRow([id]);
    this.idOfAlarm.delete(name);
    if (name === 'onBattery') this.stopOnBattery();
    this.notify({ trapOid: UPS_MIB.upsTrapAlarmEntryRemoved, varbinds: this.alarmVarbinds(id, alarm.n) });
  }

  protected override stopTimers(): void {
    this.stopOnBattery();
  }

  private startOnBattery(): void {
    this.onBatterySince = this.settings.clock.now();
    this.sendOnBatteryTrap();
    this.onBatteryTimer = setInterval(() => this.sendOnBatteryTrap(), this.settings.onBatteryRepeatMs);
  }

  private stopOnBattery(): void {
    clearInterval(this.onBatteryTimer);
    this.onBatteryTimer = undefined;
    this.onBatterySince = undefined;
  }

  private sendOnBatteryTrap(): void {
    this.notify({
      trapOid: UPS_MIB.upsTrapOnBattery,
      varbinds: [
        { oid: UPS_MIB.upsEstimatedMinutesRemaining, type: VarType.Integer, value: this.isActive('lowBattery') ? 2 : 45 },
        { oid: UPS_MIB.upsSecondsOnBattery, type: VarType.Integer, value: this.secondsOnBattery() },
        { oid: UPS_MIB.upsConfigLowBattTime, type: VarType.Integer, value: 2 },
      ],
    });
  }

  private alarmVarbinds(id: number, wellKnown: number): VarBind[] {
    return [
      { oid: `${UPS_MIB.upsAlarmEntry}.${C.id}.${id}`, type: VarType.Integer, value: id },
      { oid: `${UPS_MIB.upsAlarmEntry}.${C.descr}.${id}`, type: VarType.OID, value: `${UPS_MIB.wellKnownAlarms}.${wellKnown}` },
    ];
  }

  /** upsAlarmId increments and wraps past 2147483647, skipping ids still in use. */
  private takeAlarmId(): number {
    let id = this.nextId;
    while (this.alarmTable.getRow([id])) id = id >= UPS_MIB.maxAlarmId ? 1 : id + 1;
    this.nextId = id >= UPS_MIB.maxAlarmId ? 1 : id + 1;
    return id;
  }

  private secondsOnBattery(): number {
    return this.onBatterySince === undefined ? 0 : Math.floor((this.settings.clock.now() - this.onBatterySince) / 1000);
  }

  private batteryStatus(): number {
    if (this.isActive('depletedBattery')) return UPS_MIB.batteryStatus.batteryDepleted;
    if (this.isActive('lowBattery')) return UPS_MIB.batteryStatus.batteryLow;
    return UPS_MIB.batteryStatus.batteryNormal;
  }
}
