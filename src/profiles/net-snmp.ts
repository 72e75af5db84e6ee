import { cellNumber, cellText } from './cells.js';
import { IF_MIB, NET_SNMP } from './oids.js';
import type { AlarmMeaning, Profile, StatusColumnSource } from './types.js';

const ERR = NET_SNMP.errorCol;
const IF = IF_MIB.ifCol;

/** A UCD-SNMP-MIB error-flag table: a row is in alarm while its flag is error(1); its message says why. */
function errorFlagTable(id: string, entry: string, meaning: Omit<AlarmMeaning, 'description'>, what: string): StatusColumnSource {
  return {
    kind: 'status-column',
    id,
    entry,
    column: ERR.flag,
    labelColumn: ERR.message,
    values: { [NET_SNMP.errorFlag.error]: { ...meaning, description: `${what} check failed: {label}` } },
  };
}

/**
 * A standards agent such as Debian's snmpd. Its `monitor` directive
 * (DISMAN-EVENT-MIB) sends mteTriggerFired when a condition holds, but
 * mteTriggerTable has no per-trigger "firing now" column: the state a trigger
 * fires on lives in the table it watches. So the scan reads those tables, the
 * UCD error flags that the `proc`, `disk` and `load` directives fill (and
 * `defaultMonitors` watches), plus ifOperStatus, which linkDown/linkUp report.
 */
export const netSnmpProfile: Profile = {
  name: 'net-snmp',
  description: 'Net-SNMP agent (snmpd): UCD process, disk and load checks, interface status',
  sysObjectIdPrefixes: [NET_SNMP.agentOIDs],
  registration: 'rfc3413',
  sources: [
    errorFlagTable('prTable', NET_SNMP.prEntry, { severity: 'critical', code: 'netsnmp.processError' }, 'Process'),
    errorFlagTable('dskTable', NET_SNMP.dskEntry, { severity: 'warning', code: 'netsnmp.diskError' }, 'Disk'),
    errorFlagTable('laTable', NET_SNMP.laEntry, { severity: 'warning', code: 'netsnmp.loadError' }, 'Load'),
    {
      // An interface switched off on purpose (ifAdminStatus down) is down by
      // design, not a fault: only interfaces meant to be up raise an alarm.
      kind: 'alarm-table',
      id: 'ifTable',
      entry: IF_MIB.ifEntry,
      columns: [IF.descr, IF.adminStatus, IF.operStatus],
      active: (row) =>
        cellNumber(row, IF.adminStatus) === IF_MIB.adminStatus.up && cellNumber(row, IF.operStatus) === IF_MIB.operStatus.down,
      meaning: (row) => ({
        severity: 'warning',
        code: 'netsnmp.interfaceDown',
        description: `Interface ${cellText(row, IF.descr) || row.index} down`,
      }),
    },
  ],
};
