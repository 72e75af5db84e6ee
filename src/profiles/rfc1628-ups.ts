import type { Severity } from '../alarms/model.js';
import { cellOid } from './cells.js';
import { PRISCAN_SIM, UPS_MIB, UPS_WELL_KNOWN_ALARMS } from './oids.js';
import type { AlarmMeaning, Profile } from './types.js';

type WellKnownName = (typeof UPS_WELL_KNOWN_ALARMS)[number]['name'];

/**
 * Severity of each RFC 1628 well-known alarm. Critical: the load is unpowered
 * or about to be. Info: states an operator asked for. Warning: the rest.
 */
const SEVERITY: Readonly<Record<WellKnownName, Severity>> = {
  batteryBad: 'warning',
  onBattery: 'warning',
  lowBattery: 'critical',
  depletedBattery: 'critical',
  tempBad: 'warning',
  inputBad: 'warning',
  outputBad: 'critical',
  outputOverload: 'critical',
  onBypass: 'warning',
  bypassBad: 'warning',
  outputOffAsRequested: 'info',
  upsOffAsRequested: 'info',
  chargerFailed: 'warning',
  upsOutputOff: 'critical',
  upsSystemOff: 'critical',
  fanFailure: 'warning',
  fuseFailure: 'critical',
  generalFault: 'critical',
  diagnosticTestFailed: 'warning',
  communicationsLost: 'warning',
  awaitingPower: 'critical',
  shutdownPending: 'warning',
  shutdownImminent: 'critical',
  testInProgress: 'info',
};

/** upsAlarmDescr value (the well-known alarm's OID) -> meaning. */
const WELL_KNOWN = new Map<string, AlarmMeaning>(
  UPS_WELL_KNOWN_ALARMS.map((a) => [
    `${UPS_MIB.wellKnownAlarms}.${a.n}`,
    { severity: SEVERITY[a.name], code: `ups.${a.name}`, description: a.descr },
  ]),
);

/**
 * A vendor-neutral RFC 1628 UPS. The agent keeps one upsAlarmTable row per
 * active alarm; only upsAlarmDescr is read: upsAlarmTime adds nothing an
 * Alarm carries (the store records when a scan first saw it), and every
 * column walked is one more request per scan.
 */
export const rfc1628UpsProfile: Profile = {
  name: 'rfc1628-ups',
  description: 'UPS speaking the standard UPS-MIB (RFC 1628)',
  // Generic UPS cards have vendor sysObjectIDs; add them with an explicit profile.
  sysObjectIdPrefixes: [PRISCAN_SIM.productUps],
  registration: 'rfc3413',
  sources: [
    {
      kind: 'alarm-table',
      id: 'upsAlarmTable',
      entry: UPS_MIB.upsAlarmEntry,
      columns: [UPS_MIB.upsAlarmCol.descr],
      active: (row) => cellOid(row, UPS_MIB.upsAlarmCol.descr) !== undefined,
      meaning: (row) => {
        const descr = cellOid(row, UPS_MIB.upsAlarmCol.descr) ?? '';
        return WELL_KNOWN.get(descr) ?? { severity: 'warning', code: 'ups.unknownAlarm', description: `UPS alarm ${descr}` };
      },
    },
  ],
};
