import type { Severity } from '../alarms/model.js';
import { cellNumber, cellText } from './cells.js';
import { PRISCAN_SIM } from './oids.js';
import type { Profile } from './types.js';

const C = PRISCAN_SIM.alarmCol;
const SEVERITY: Readonly<Record<number, Severity>> = {
  [PRISCAN_SIM.severity.info]: 'info',
  [PRISCAN_SIM.severity.warning]: 'warning',
  [PRISCAN_SIM.severity.critical]: 'critical',
};

/** The project's own simulated device: each row of the priority-scanning table is one active alarm. */
export const priscanSimProfile: Profile = {
  name: 'priscan-sim',
  description: 'priscan simulated device (PRISCAN-SIM-MIB priority-scanning table)',
  sysObjectIdPrefixes: [PRISCAN_SIM.productSim],
  registration: 'hidden-table',
  sources: [
    {
      kind: 'alarm-table',
      id: 'priscanAlarmTable',
      entry: PRISCAN_SIM.alarmEntry,
      columns: [C.severity, C.code, C.descr],
      // A row without its code was half-seen (created or deleted between column walks); the next scan sees it whole.
      active: (row) => cellNumber(row, C.code) !== undefined,
      meaning: (row) => {
        const code = `sim.${cellNumber(row, C.code)}`;
        return {
          // An unknown severity still marks an active alarm: report it rather than drop it.
          severity: SEVERITY[cellNumber(row, C.severity) ?? 0] ?? 'warning',
          code,
          description: cellText(row, C.descr) || `Alarm ${code}`,
        };
      },
    },
  ],
};
