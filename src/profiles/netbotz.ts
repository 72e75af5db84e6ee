import type { Severity } from '../alarms/model.js';
import { cellNumber, cellText } from './cells.js';
import { NETBOTZ } from './oids.js';
import type { Profile, TableRow } from './types.js';

const E = NETBOTZ.errorCondCol;
const ES = NETBOTZ.errorStatus;

/** errorCondSeverity is on the ErrorStatus scale. */
const SEVERITY: Readonly<Record<number, Severity>> = {
  [ES.normal]: 'info',
  [ES.info]: 'info',
  [ES.warning]: 'warning',
  [ES.error]: 'critical',
  [ES.critical]: 'critical',
  [ES.failure]: 'critical',
};

/** Codes are stable identifiers: anything outside [A-Za-z0-9_.] in a TypeId becomes '_'. */
function errorCode(typeId: string): string {
  return typeId ? `netbotz.${typeId.replace(/[^A-Za-z0-9_.]/g, '_')}` : 'netbotz.unknownError';
}

/** 'nbErrorType_ValueTooHigh' -> 'Value too high'. */
function errorPhrase(typeId: string): string {
  const words = typeId
    .replace(/^nbErrorType_/, '')
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Error condition';
}

function describe(row: TableRow): string {
  const phrase = errorPhrase(cellText(row, E.typeId) ?? '');
  const sensor = cellText(row, E.sensorId);
  return sensor ? `${phrase} on sensor ${sensor}` : phrase;
}

/**
 * A NetBotz appliance (netBotzV2). Alarms come from errorCondTable only, not
 * also from the temperature, humidity and door tables' ErrorStatus column:
 * the appliance opens an error condition for every sensor that leaves normal,
 * so reading both would report each condition twice, and only the condition
 * row says what went wrong (its TypeId). The table keeps resolved conditions
 * beside active ones; only rows with Resolved 0 are alarms.
 */
export const netBotzProfile: Profile = {
  name: 'netbotz',
  description: 'NetBotz environmental appliance (NETBOTZV2-MIB error conditions)',
  sysObjectIdPrefixes: [NETBOTZ.product],
  registration: 'hidden-table',
  sources: [
    {
      kind: 'alarm-table',
      id: 'errorCondTable',
      entry: NETBOTZ.errorCondEntry,
      columns: [E.severity, E.typeId, E.resolved, E.sensorId],
      active: (row) => cellNumber(row, E.resolved) === 0 && cellText(row, E.typeId) !== undefined,
      meaning: (row) => ({
        severity: SEVERITY[cellNumber(row, E.severity) ?? -1] ?? 'warning',
        code: errorCode(cellText(row, E.typeId) ?? ''),
        description: describe(row),
      }),
    },
  ],
};
