import { cellNumber, cellText } from './cells.js';
import type { AlarmTableSource, TableRow } from './types.js';
import type { Severity } from '../alarms/model.js';

/** A table an operator asks net-snmp devices to be scanned for (config profiles.netSnmp.tables). */
export interface StatusTableConfig {
  id: string;
  entry: string;
  statusColumn: number;
  /** In alarm while the status is one of these ... */
  alarmValues?: readonly number[];
  /** ... or while it is none of these. */
  normalValues?: readonly number[];
  labelColumn?: number;
  severity: Severity;
  code: string;
  /** `{label}` is the label column's text, `{index}` the row index. */
  description: string;
}

/** The alarm source a configured status table becomes: one alarm per row whose status says so. */
export function statusTableSource(table: StatusTableConfig): AlarmTableSource {
  const inAlarm = (status: number | undefined): boolean => {
    if (status === undefined) return false;
    return table.alarmValues ? table.alarmValues.includes(status) : !(table.normalValues ?? []).includes(status);
  };
  const label = (row: TableRow) => (table.labelColumn === undefined ? '' : cellText(row, table.labelColumn)) || row.index;
  return {
    kind: 'alarm-table',
    id: table.id,
    entry: table.entry,
    columns: table.labelColumn === undefined ? [table.statusColumn] : [table.statusColumn, table.labelColumn],
    active: (row) => inAlarm(cellNumber(row, table.statusColumn)),
    meaning: (row) => ({ severity: table.severity, code: table.code, description: table.description.replace(/\{label\}/g, label(row)) }),
  };
}
