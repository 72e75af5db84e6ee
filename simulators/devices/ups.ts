import { PRISCAN_SIM, UPS_MIB, UPS_WELL_KNOWN_ALARMS } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { Rfc3413Targets } from '../registration/rfc3413.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

const C = UPS_MIB.upsAlarmCol;
const BY_NAME = new Map<string, (typeof UPS_WELL_KNOWN_ALARMS)[number]>(UPS_WELL_KNOWN_ALARMS.map((a) => [a.name, a]));
/** NonNegativeInteger, the SYNTAX of most UPS-MIB readings. */
const NON_NEGATIVE = [0, 2147483647] as const;
const INTEGER32 = [-2147483648, 2147483647] as const;
/** Alarms after which the UPS feeds its load nothing. */
const OUTPUT_OFF = ['upsOutputOff', 'upsSystemOff', 'outputOffAsRequested', 'upsOffAsRequested'];

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
    this.addReadings();
    m.addScalar(UPS_MIB.upsOutputSource, VarType.Integer, () =>
      this.isActive('onBattery') ? UPS_MIB.outputSource.battery : UPS_MIB.outputSource.normal,
    );
    m.addScalar(UPS_MIB.upsAlarmsPresent, VarType.Gauge32, () => this.alarmTable.size);
    m.addScalar(UPS_MIB.upsConfigLowBattTime, VarType.Integer, 2);
    m.addTable(this.alarmTable);
  }

  /**
   * A 3 kVA single-phase UPS: one input and one output line (upsInputTable and upsOutputTable rows
   * 1), about 60 % loaded. Values follow the alarms: on battery the input is gone and the charge
   * and runtime fall; an overload raises the output; a UPS that is off feeds nothing.
   */
  private addReadings(): void {
    const on = (name: string) => this.isActive(name);
    const onBattery = () => on('onBattery');
    const outputOff = () => OUTPUT_OFF.some(on);
    const input = (col: number) => `${UPS_MIB.upsInputEntry}.${col}.1`;
    const output = (col: number) => `${UPS_MIB.upsOutputEntry}.${col}.1`;
    const I = UPS_MIB.upsInputCol;
    const O = UPS_MIB.upsOutputCol;
    const readings: Array<[string, string, readonly [number, number], () => number]> = [
      ['upsEstimatedMinutesRemaining', UPS_MIB.upsEstimatedMinutesRemaining, [1, 2147483647], () => (on('lowBattery') ? 2 : onBattery() ? 30 : 45)],
      ['upsEstimatedChargeRemaining', UPS_MIB.upsEstimatedChargeRemaining, [0, 100], () => (on('lowBattery') ? 8 : onBattery() ? 90 : 100)],
      ['upsBatteryTemperature', UPS_MIB.upsBatteryTemperature, INTEGER32, () => (on('tempBad') ? 45 : 25)],
      ['upsInputFrequency', input(I.frequency), NON_NEGATIVE, () => (onBattery() ? 0 : 500)],
      ['upsInputVoltage', input(I.voltage), NON_NEGATIVE, () => (onBattery() ? 0 : on('inputBad') ? 184 : 230)],
      ['upsInputCurrent', input(I.current), NON_NEGATIVE, () => (onBattery() ? 0 : 90)],
      ['upsInputTruePower', input(I.truePower), NON_NEGATIVE, () => (onBattery() ? 0 : 1950)],
      ['upsOutputVoltage', output(O.voltage), NON_NEGATIVE, () => (outputOff() ? 0 : 230)],
      ['upsOutputCurrent', output(O.current), NON_NEGATIVE, () => (outputOff() ? 0 : on('outputOverload') ? 150 : 82)],
      ['upsOutputPower', output(O.power), NON_NEGATIVE, () => (outputOff() ? 0 : on('outputOverload') ? 3300 : 1800)],
      ['upsOutputPercentLoad', output(O.percentLoad), [0, 200], () => (outputOff() ? 0 : on('outputOverload') ? 110 : 60)],
    ];
    for (const [name, oid, range, simulated] of readings) this.serveReading({ name, oid, range, simulated }, VarType.Integer);
    this.mib.addScalar(UPS_MIB.upsInputNumLines, VarType.Integer, 1);
    this.mib.addScalar(UPS_MIB.upsOutputFrequency, VarType.Integer, () => (outputOff() ? 0 : 500));
    this.mib.addScalar(UPS_MIB.upsOutputNumLines, VarType.Integer, 1);
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
        { oid: UPS_MIB.upsEstimatedMinutesRemaining, type: VarType.Integer, value: this.readings.value('upsEstimatedMinutesRemaining') },
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
