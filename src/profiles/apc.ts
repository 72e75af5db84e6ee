import { APC, APC_ABNORMAL_FLAGS } from './oids.js';
import type { AlarmMeaning, Profile } from './types.js';

const OUT = APC.outputStatus;
const BATTERY_FAULT: AlarmMeaning = { severity: 'critical', code: 'apc.batteryFault', description: 'UPS battery fault' };

/**
 * A battery failure shows both as upsBasicBatteryStatus inFault and as
 * abnormal-condition flag 4. Both report the code 'apc.batteryFault', and the
 * scan keeps one alarm per code from device-wide sources, so the condition is
 * raised once whichever of the two a card implements.
 */
const SAME_AS_BATTERY_STATUS: Readonly<Record<number, AlarmMeaning>> = { 4: BATTERY_FAULT };

const ABNORMAL_FLAGS: Readonly<Record<number, AlarmMeaning>> = Object.fromEntries(
  APC_ABNORMAL_FLAGS.map((f) => [
    f.flag,
    SAME_AS_BATTERY_STATUS[f.flag] ?? { severity: f.severity, code: `apc.${f.name}`, description: f.descr },
  ]),
);

/**
 * An APC Smart-UPS or Symmetra behind a PowerNet management card.
 * upsBasicStateAlarmStatus is deliberately not a source: it summarises the
 * conditions below, so raising it would report each of them twice.
 */
export const apcUpsProfile: Profile = {
  name: 'apc-ups',
  description: 'APC UPS with a PowerNet network management card',
  sysObjectIdPrefixes: [APC.productUps],
  registration: 'apc-receiver-table',
  sources: [
    {
      kind: 'scalar',
      id: 'upsBasicOutputStatus',
      oid: APC.upsBasicOutputStatus,
      values: {
        [OUT.onBattery]: { severity: 'warning', code: 'apc.onBattery', description: 'UPS on battery' },
        [OUT.timedSleeping]: { severity: 'info', code: 'apc.timedSleeping', description: 'UPS output off: sleeping on a timer' },
        [OUT.softwareBypass]: { severity: 'warning', code: 'apc.softwareBypass', description: 'UPS on software bypass' },
        [OUT.off]: { severity: 'critical', code: 'apc.outputOff', description: 'UPS output off' },
        [OUT.rebooting]: { severity: 'warning', code: 'apc.rebooting', description: 'UPS rebooting' },
        [OUT.switchedBypass]: { severity: 'warning', code: 'apc.switchedBypass', description: 'UPS on switched bypass' },
        [OUT.hardwareFailureBypass]: {
          severity: 'critical',
          code: 'apc.hardwareFailureBypass',
          description: 'UPS on bypass after a hardware failure',
        },
        [OUT.sleepingUntilPowerReturn]: {
          severity: 'critical',
          code: 'apc.sleepingUntilPowerReturn',
          description: 'UPS output off until input power returns',
        },
        [OUT.onBatteryTest]: { severity: 'info', code: 'apc.batteryTest', description: 'UPS battery test in progress' },
        [OUT.emergencyStaticBypass]: {
          severity: 'critical',
          code: 'apc.emergencyStaticBypass',
          description: 'UPS on emergency static bypass',
        },
      },
    },
    {
      kind: 'scalar',
      id: 'upsBasicBatteryStatus',
      oid: APC.upsBasicBatteryStatus,
      values: {
        [APC.batteryStatus.low]: { severity: 'critical', code: 'apc.lowBattery', description: 'UPS battery low' },
        [APC.batteryStatus.inFault]: BATTERY_FAULT,
      },
    },
    {
      kind: 'flags',
      id: 'upsAdvStateAbnormalConditions',
      oid: APC.upsAdvStateAbnormalConditions,
      flags: ABNORMAL_FLAGS,
      unknownFlag: (flag) => ({
        severity: 'warning',
        code: 'apc.abnormalCondition',
        description: `UPS abnormal condition flag ${flag}`,
      }),
    },
  ],
};

const LOAD = APC.loadState;

/** An APC switched or metered rack PDU (rPDU2): each phase is in alarm while its load state is not normal. */
export const apcRpduProfile: Profile = {
  name: 'apc-rpdu',
  description: 'APC rack PDU (rPDU2 phase load state)',
  sysObjectIdPrefixes: [APC.productMasterSwitch],
  registration: 'apc-receiver-table',
  sources: [
    {
      kind: 'status-column',
      id: 'rPDU2PhaseStatusLoadState',
      entry: APC.rPDU2PhaseStatusEntry,
      column: APC.rPDU2PhaseCol.loadState,
      labelColumn: APC.rPDU2PhaseCol.number,
      values: {
        [LOAD.lowLoad]: { severity: 'info', code: 'pdu.phaseLowLoad', description: 'Phase {label} low load' },
        [LOAD.nearOverload]: { severity: 'warning', code: 'pdu.phaseNearOverload', description: 'Phase {label} near overload' },
        [LOAD.overload]: { severity: 'critical', code: 'pdu.phaseOverload', description: 'Phase {label} overloaded' },
      },
    },
  ],
};
