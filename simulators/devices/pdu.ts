import { APC } from '../../src/profiles/oids.js';
import { SimTable } from '../agent/table.js';
import { ApcTrapReceivers } from '../registration/apc-receivers.js';
import { VarType } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings } from './device.js';

const C = APC.rPDU2PhaseCol;
const PHASES = 3;
/** Phase current in tenths of an ampere for each load state. */
const CURRENT = { lowLoad: 2, normal: 120, nearOverload: 280, overload: 330 } as const;

type LoadAlarm = 'overload' | 'nearOverload' | 'lowLoad';

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
const currentReading = (phase: number) => `rPDU2PhaseStatusCurrent.${phase}`;

/** An APC switched rack PDU (rPDU2): three phases with load state and current. */
export class RackPduDevice extends SimDevice {
  readonly supportedAlarms = Object.keys(PDU_ALARMS);
  private readonly phaseTable = new SimTable(APC.rPDU2PhaseStatusEntry, [
    { col: C.index, name: 'rPDU2PhaseStatusIndex', type: VarType.Integer, access: 'read-only' },
    { col: C.module, name: 'rPDU2PhaseStatusModule', type: VarType.Integer, access: 'read-only' },
    { col: C.number, name: 'rPDU2PhaseStatusNumber', type: VarType.Integer, access: 'read-only' },
    { col: C.loadState, name: 'rPDU2PhaseStatusLoadState', type: VarType.Integer, access: 'read-only' },
    { col: C.current, name: 'rPDU2PhaseStatusCurrent', type: VarType.Integer, access: 'read-only' },
  ]);

  constructor(settings: DeviceSettings) {
    super(settings, {
      kind: 'pdu',
      sysDescr: 'APC Rack PDU (priscan simulated rPDU2, 3 phases)',
      sysObjectId: `${APC.productMasterSwitch}.6`,
      registration: new ApcTrapReceivers(settings.apcTrapPort),
    });
    this.mib.addTable(this.phaseTable);
    for (let phase = 1; phase <= PHASES; phase++) {
      // rPDU2PhaseStatusCurrent (0.1 A) per phase: what its load state makes it, or a value set by hand.
      const name = currentReading(phase);
      this.readings.define({ name, oid: `${APC.rPDU2PhaseStatusEntry}.${C.current}.${phase}`, range: [0, 2147483647], simulated: () => CURRENT[this.loadState(phase)] });
      this.updatePhase(phase);
    }
  }

  protected applyRaise(name: string): void {
    const { phase, state } = PDU_ALARMS[name]!;
    this.updatePhase(phase);
    this.sendRpduTrap(state, true);
  }

  protected applyClear(name: string): void {
    const { phase, state } = PDU_ALARMS[name]!;
    this.updatePhase(phase);
    this.sendRpduTrap(state, false);
  }

  /** A phase's current set by hand (or released) goes into its row; its load state stays as the alarms make it. */
  protected override readingChanged(name: string): void {
    this.updatePhase(Number(name.slice(name.lastIndexOf('.') + 1)));
  }

  private loadState(phase: number): keyof typeof CURRENT {
    const active = this.activeAlarms().map((n) => PDU_ALARMS[n]!).filter((a) => a.phase === phase);
    return SEVERITY_ORDER.find((s) => active.some((a) => a.state === s)) ?? 'normal';
  }

  private updatePhase(phase: number): void {
    this.phaseTable.setRow([phase], {
      [C.index]: phase,
      [C.module]: 1,
      [C.number]: phase,
      [C.loadState]: APC.loadState[this.loadState(phase)],
      [C.current]: this.readings.value(currentReading(phase)),
    });
  }

  private sendRpduTrap(state: LoadAlarm, raised: boolean): void {
    const T = APC.trap;
    const specific =
      state === 'overload'
        ? raised ? T.rpduCriticalCondition : T.rpduCriticalConditionCleared
        : raised ? T.rpduWarningCondition : T.rpduWarningConditionCleared;
    this.notify({ trapOid: `${APC.enterprise}.0.${specific}`, varbinds: [] });
  }
}
