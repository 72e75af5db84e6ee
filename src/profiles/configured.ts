import type { Severity } from '../alarms/model.js';
import type { AlarmTableSource } from './schema.js';

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
  // The schema gives exactly one of the two lists.
  const status = table.alarmValues ? { column: 'status', in: [...table.alarmValues] } : { column: 'status', notIn: [...(table.normalValues ?? [])] };
  const { description } = table;
  return {
    kind: 'alarm-table',
    id: table.id,
    table: table.entry,
    columns: {
      status: { column: table.statusColumn, type: 'integer' },
      ...(table.labelColumn === undefined ? {} : { label: { column: table.labelColumn, type: 'any' as const } }),
    },
    when: [status],
    // `{label}` falls back to the row index, as it always has.
    meaning: { severity: table.severity, code: table.code, description: [description, description.replace(/\{label\}/g, '{index}')] },
  };
}
