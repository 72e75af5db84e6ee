import { APC } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { ApcTrapReceivers } from '../registration/apc-receivers.js';
import { VarType } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

const C = APC.rPDU2PhaseCol;
const D = APC.rPDU2DeviceCol;
const PHASES = 3;
/** Phase current in tenths of an ampere for each load state. */
const CURRENT = { lowLoad: 2, normal: 120, nearOverload: 280, overload: 330 } as const;
/** The most rack PDUs an APC card chains behind it (AP8xxx: the host and three more). */
export const MAX_CHAIN_UNITS = 4;

type LoadAlarm = 'overload' | 'nearOverload' | 'lowLoad';
type LoadState = keyof typeof CURRENT;

/** Alarm name -> the phase and load state it drives. Worst active state wins per phase. */
export const PDU_ALARMS: Record<string, { phase: number; state: LoadAlarm }> = {
  overload: { phase: 1, state: 'overload' },
  nearOverload: { phase: 1, state: 'nearOverload' },
  lowLoad: { phase: 1, state: 'lowLoad' },
  phase2Overload: { phase: 2, state: 'overload' },
  phase3Overload: { phase: 3, state: 'overload' },
};

const SEVERITY_ORDER: readonly LoadAlarm[] = ['overload', 'nearOverload', 'lowLoad'];

/** The reading name of one phase's current: rPDU2PhaseStatusCurrent.N, as its row. */
const currentReading = (row: number) => `rPDU2PhaseStatusCurrent.${row}`;

/** A named alarm of one unit: its number in a chain and what it drives. */
interface UnitAlarm {
  unit: number;
  phase: number;
  state: LoadAlarm;
}

/**
 * An APC switched rack PDU (rPDU2): three phases with load state and current. With `units` above
 * one it is a daisy chain behind one card, as on AP8xxx PDUs: one address, one receiver table,
 * every unit's phases in one rPDU2PhaseStatusTable indexed straight through (unit 2's phase 1 is
 * row 4), rPDU2PhaseStatusModule naming each row's unit, and one rPDU2DeviceStatusTable row per
 * unit. A chain's alarms are named by unit: `unit2.overload`.
 */
export class RackPduDevice extends SimDevice {
  readonly supportedAlarms: readonly string[];
  private readonly alarmsByName: ReadonlyMap<string, UnitAlarm>;
  private readonly phaseTable = new SimTable(APC.rPDU2PhaseStatusEntry, [
    { col: C.index, name: 'rPDU2PhaseStatusIndex', type: VarType.Integer, access: 'read-only' },
    { col: C.module, name: 'rPDU2PhaseStatusModule', type: VarType.Integer, access: 'read-only' },
    { col: C.number, name: 'rPDU2PhaseStatusNumber', type: VarType.Integer, access: 'read-only' },
    { col: C.loadState, name: 'rPDU2PhaseStatusLoadState', type: VarType.Integer, access: 'read-only' },
    { col: C.current, name: 'rPDU2PhaseStatusCurrent', type: VarType.Integer, access: 'read-only' },
  ]);
  private readonly deviceTable: SimTable | undefined;

  constructor(
    settings: DeviceSettings,
    private readonly units = 1,
  ) {
    const chained = units > 1;
    super(settings, {
      kind: chained ? 'pdu-chain' : 'pdu',
      sysDescr: chained ? `APC Rack PDU (priscan simulated rPDU2, ${units} daisy-chained units of 3 phases)` : 'APC Rack PDU (priscan simulated rPDU2, 3 phases)',
      sysObjectId: `${APC.productMasterSwitch}.6`,
      registration: new ApcTrapReceivers(settings.apcTrapPort),
    });
    if (!(Number.isInteger(units) && units >= 1 && units <= MAX_CHAIN_UNITS)) throw new RangeError(`a PDU chain has 1 to ${MAX_CHAIN_UNITS} units, not ${units}`);
    const named = new Map<string, UnitAlarm>();
    for (let unit = 1; unit <= units; unit++) {
      for (const [name, alarm] of Object.entries(PDU_ALARMS)) named.set(chained ? `unit${unit}.${name}` : name, { unit, ...alarm });
    }
    this.alarmsByName = named;
    this.supportedAlarms = [...named.keys()];
    this.mib.addTable(this.phaseTable);
    if (chained) {
      this.deviceTable = new SimTable(APC.rPDU2DeviceStatusEntry, [
        { col: D.index, name: 'rPDU2DeviceStatusIndex', type: VarType.Integer, access: 'read-only' },
        { col: D.module, name: 'rPDU2DeviceStatusModule', type: VarType.Integer, access: 'read-only' },
        { col: D.name, name: 'rPDU2DeviceStatusName', type: VarType.OctetString, access: 'read-only' },
        { col: D.loadState, name: 'rPDU2DeviceStatusLoadState', type: VarType.Integer, access: 'read-only' },
      ]);
      this.mib.addTable(this.deviceTable);
    }
    for (let unit = 1; unit <= units; unit++) {
      for (let phase = 1; phase <= PHASES; phase++) {
        // rPDU2PhaseStatusCurrent (0.1 A) per phase: what its load state makes it, or a value set by hand.
        const row = rowOf(unit, phase);
        this.readings.define({ name: currentReading(row), oid: `${APC.rPDU2PhaseStatusEntry}.${C.current}.${row}`, range: [0, 2147483647], simulated: () => CURRENT[this.loadState(unit, phase)] });
        this.updatePhase(unit, phase);
      }
    }
  }

  protected applyRaise(name: string): void {
    const { unit, phase, state } = this.alarmsByName.get(name)!;
    this.updatePhase(unit, phase);
    this.sendRpduTrap(state, true);
  }

  protected applyClear(name: string): void {
    const { unit, phase, state } = this.alarmsByName.get(name)!;
    this.updatePhase(unit, phase);
    this.sendRpduTrap(state, false);
  }

  /** A phase's current set by hand (or released) goes into its row; its load state stays as the alarms make it. */
  protected override readingChanged(name: string): void {
    const row = Number(name.slice(name.lastIndexOf('.') + 1));
    this.updatePhase(Math.ceil(row / PHASES), ((row - 1) % PHASES) + 1);
  }

  private loadState(unit: number, phase: number): LoadState {
    const active = this.activeAlarms()
      .map((n) => this.alarmsByName.get(n)!)
      .filter((a) => a.unit === unit && a.phase === phase);
    return SEVERITY_ORDER.find((s) => active.some((a) => a.state === s)) ?? 'normal';
  }

  private updatePhase(unit: number, phase: number): void {
    const row = rowOf(unit, phase);
    this.phaseTable.setRow([row], {
      [C.index]: row,
      [C.module]: unit,
      [C.number]: phase,
      [C.loadState]: APC.loadState[this.loadState(unit, phase)],
      [C.current]: this.readings.value(currentReading(row)),
    });
    // The unit's own load state: its worst phase.
    const states = Array.from({ length: PHASES }, (_, i) => this.loadState(unit, i + 1));
    const worst = SEVERITY_ORDER.find((s) => states.includes(s)) ?? 'normal';
    this.deviceTable?.setRow([unit], { [D.index]: unit, [D.module]: unit, [D.name]: Buffer.from(`rack-pdu-${unit}`), [D.loadState]: APC.loadState[worst] });
  }

  /** One card sends for every unit behind it, from its one address. */
  private sendRpduTrap(state: LoadAlarm, raised: boolean): void {
    const T = APC.trap;
    const specific =
      state === 'overload'
        ? raised ? T.rpduCriticalCondition : T.rpduCriticalConditionCleared
        : raised ? T.rpduWarningCondition : T.rpduWarningConditionCleared;
    this.notify({ trapOid: `${APC.enterprise}.0.${specific}`, varbinds: [] });
  }
}

/** A phase's row: the chain's phases are numbered straight through, unit after unit. */
function rowOf(unit: number, phase: number): number {
  return (unit - 1) * PHASES + phase;
}
