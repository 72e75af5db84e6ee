import type { Severity } from '../alarms/model.js';
import type { SnmpValue } from '../snmp/client.js';

export const PROFILE_NAMES = ['priscan-sim', 'rfc1628-ups', 'apc-ups', 'apc-rpdu', 'netbotz', 'net-snmp'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const REGISTRATION_METHODS = ['hidden-table', 'apc-receiver-table', 'rfc3413'] as const;
export type RegistrationMethodName = (typeof REGISTRATION_METHODS)[number];

/** What a value means when it is an alarm. */
export interface AlarmMeaning {
  severity: Severity;
  /** Stable code, no free text: e.g. 'ups.onBattery'. */
  code: string;
  /** Operator text; `{label}` and `{index}` are filled from the row where there is one. */
  description: string;
}

/** One row of a table as read: its index (the OID suffix after the column) and its cells by column number. */
export interface TableRow {
  index: string;
  cells: ReadonlyMap<number, SnmpValue>;
}

/** Each row of the table is one active alarm (optionally only rows passing `active`). */
export interface AlarmTableSource {
  kind: 'alarm-table';
  id: string;
  entry: string;
  /** Columns to read; only these are walked. */
  columns: readonly number[];
  active?: (row: TableRow) => boolean;
  meaning: (row: TableRow) => AlarmMeaning;
}

/** A row is in alarm while one column holds one of `values`. */
export interface StatusColumnSource {
  kind: 'status-column';
  id: string;
  entry: string;
  column: number;
  /** Column whose text fills `{label}` in descriptions. */
  labelColumn?: number;
  values: Readonly<Record<number, AlarmMeaning>>;
}

/** A scalar in alarm while it holds one of `values`. */
export interface ScalarSource {
  kind: 'scalar';
  id: string;
  oid: string;
  values: Readonly<Record<number, AlarmMeaning>>;
}

/** A string of '0'/'1' flags, flag 1 first; each set flag is an alarm. */
export interface FlagsSource {
  kind: 'flags';
  id: string;
  oid: string;
  flags: Readonly<Record<number, AlarmMeaning>>;
  /** Meaning of a set flag not listed in `flags`. */
  unknownFlag: (flag: number) => AlarmMeaning;
}

export type AlarmSource = AlarmTableSource | StatusColumnSource | ScalarSource | FlagsSource;

/** How to recognise, register on and scan one kind of device. Data, not code paths. */
export interface Profile {
  name: ProfileName;
  description: string;
  /** sysObjectID prefixes that select this profile when a device is added as `auto`. */
  sysObjectIdPrefixes: readonly string[];
  registration: RegistrationMethodName;
  sources: readonly AlarmSource[];
}
