import type { Alarm } from '../alarms/model.js';
import { CellTypeError, normalizeOid, valueText } from '../profiles/cells.js';
import type {
  AlarmMeaning,
  AlarmSource,
  AlarmTableSource,
  CellType,
  FlagsSource,
  Profile,
  Reading,
  ScalarSource,
  StatusColumnSource,
} from '../profiles/schema.js';
import { SnmpError, walkColumns, type SnmpClient, type SnmpVarbind } from '../snmp/client.js';
import { fillTemplate } from '../profiles/template.js';
import { readingsFromData, scalarValue, type ReadingValue } from './readings.js';
import { cellColumn, columnOid, RowCells, tableRows, type Row, type ScanData } from './rows.js';

export { columnOid, type ScanData } from './rows.js';
export { readingsFromData, type ReadingValue } from './readings.js';

/** Everything a scan derives from a device: the alarms active now and the readings. */
export interface ScanFindings {
  alarms: Alarm[];
  readings: ReadingValue[];
}

/** The requests a profile's scan needs: one GET for every scalar, one walk of every column. */
export interface ReadPlan {
  scalars: string[];
  /** Every column of every table, walked side by side. */
  columns: string[];
}

/** What a scan evaluates: the profile's alarm sources (plus an operator's extra ones) and its readings. */
export interface ScanSpec {
  alarms: readonly AlarmSource[];
  readings: readonly Reading[];
  /** The unit of a chain the device is: only its rows of sources that locate units. Absent: every row. */
  chainPosition?: number;
}

/** The unit of a chain a device is, and whether it is a shadow (reached through its lead, which reads the rest). */
export interface ChainUnit {
  position: number;
  shadow: boolean;
}

/**
 * What a scan of the device reads. A unit of a chain reads its own rows of the sources that
 * locate units; a shadow reads nothing else (the card-wide sources are its lead's).
 */
export function specOf(profile: Profile, extra: readonly AlarmSource[] = [], unit?: ChainUnit): ScanSpec {
  const alarms = extra.length ? [...profile.alarms, ...extra] : profile.alarms;
  if (!unit) return { alarms, readings: profile.readings };
  if (!unit.shadow) return { alarms, readings: profile.readings, chainPosition: unit.position };
  return {
    alarms: alarms.filter((source) => source.kind === 'status-column' && source.chainPosition !== undefined),
    readings: profile.readings.filter((reading) => reading.chainPosition !== undefined),
    chainPosition: unit.position,
  };
}

/**
 * Alarm sources and readings that share a table share its walk, and every scalar goes in one GET:
 * adding readings to a profile adds no request where they live beside what is already read.
 */
export function readPlan(spec: ScanSpec): ReadPlan {
  const scalars = new Set<string>();
  const columns = new Set<string>();
  for (const source of spec.alarms) {
    switch (source.kind) {
      case 'scalar':
      case 'flags':
        scalars.add(source.oid);
        break;
      case 'alarm-table':
        for (const spec of Object.values(source.columns)) columns.add(columnOid(source.table, spec.column));
        break;
      case 'status-column':
        columns.add(columnOid(source.table, source.column));
        for (const column of joinedColumns(source, source.table, spec.chainPosition)) columns.add(column);
        break;
    }
  }
  for (const reading of spec.readings) {
    if (reading.oid !== undefined) scalars.add(reading.oid);
    if (reading.table !== undefined && reading.column !== undefined) {
      columns.add(columnOid(reading.table, reading.column));
      for (const column of joinedColumns(reading, reading.table, spec.chainPosition)) columns.add(column);
    }
  }
  return { scalars: [...scalars], columns: [...columns] };
}

/**
 * The columns a table source or reading reads beside its own: its label, filter and digits cells,
 * and where rows name their unit of a chain (only when the device is one unit: others read every row).
 */
function joinedColumns(
  of: Pick<StatusColumnSource, 'labelColumn' | 'labelFrom' | 'rows' | 'chainPosition'> & Partial<Pick<Reading, 'decimalDigits'>>,
  table: string,
  chainPosition: number | undefined,
): string[] {
  const cells = [
    ...(of.labelFrom ?? []),
    ...(of.rows?.cell ? [of.rows.cell] : []),
    ...(of.chainPosition?.cell && chainPosition !== undefined ? [of.chainPosition.cell] : []),
    ...(of.decimalDigits ? [of.decimalDigits] : []),
  ];
  return [...(of.labelColumn === undefined ? [] : [columnOid(table, of.labelColumn)]), ...cells.map((ref) => cellColumn(ref, table))];
}

/**
 * Reads everything the spec needs and derives the alarms active now and the readings.
 * Requests go one after another (management cards answer one at a time, and a device that
 * stopped answering fails the scan at its first timeout); a table's columns share each GETBULK.
 */
export async function scanDevice(spec: ScanSpec, client: SnmpClient): Promise<ScanFindings> {
  const data = await readData(readPlan(spec), client);
  return { alarms: alarmsFromData(spec, data), readings: readingsFromData(spec, data) };
}

/** The alarms only (tests, and callers that have no use for readings). */
export async function scanAlarms(spec: ScanSpec, client: SnmpClient): Promise<Alarm[]> {
  return (await scanDevice(spec, client)).alarms;
}

async function readData(plan: ReadPlan, client: SnmpClient): Promise<ScanData> {
  const data: ScanData = { scalars: new Map(), columns: new Map() };
  if (plan.scalars.length > 0) {
    for (const varbind of await readScalars(client, plan.scalars)) data.scalars.set(normalizeOid(varbind.oid), varbind);
  }
  // Every column of every table in one walk: where the client can, each GETBULK page carries
  // them all, so readings in other tables than the alarms cost no extra request.
  if (plan.columns.length > 0) {
    const walked = await walkColumns(client, plan.columns);
    plan.columns.forEach((oid, i) => data.columns.set(oid, walked[i] ?? []));
  }
  return data;
}

/**
 * An SNMPv1 agent answers noSuchName for the whole GET when one object is
 * missing (v2c marks just that varbind). Then each OID is asked alone, so a
 * missing object costs no alarm but its own.
 */
async function readScalars(client: SnmpClient, oids: readonly string[]): Promise<SnmpVarbind[]> {
  try {
    return await client.get(oids);
  } catch (error) {
    if (!(error instanceof SnmpError && error.status === 'noSuchName')) throw error;
    if (oids.length === 1) return [];
    const found: SnmpVarbind[] = [];
    for (const oid of oids) found.push(...(await readScalars(client, [oid])));
    return found;
  }
}

/**
 * Turns what a scan read into alarms, without any client. Device-wide
 * sources (scalars, flag strings) that report the same code describe one
 * condition: it is raised once, keyed by the first such source in the profile.
 */
export function alarmsFromData(spec: Pick<ScanSpec, 'alarms' | 'chainPosition'>, data: ScanData): Alarm[] {
  const alarms: Alarm[] = [];
  const cells = new RowCells(data);
  const deviceWideCodes = new Set<string>();
  for (const source of spec.alarms) {
    switch (source.kind) {
      case 'scalar':
      case 'flags':
        for (const alarm of source.kind === 'scalar' ? scalarAlarms(source, data) : flagAlarms(source, data)) {
          if (deviceWideCodes.has(alarm.code)) continue;
          deviceWideCodes.add(alarm.code);
          alarms.push(alarm);
        }
        break;
      case 'alarm-table':
        alarms.push(...alarmTableAlarms(source, data));
        break;
      case 'status-column':
        alarms.push(...statusColumnAlarms(source, data, cells, spec.chainPosition));
        break;
    }
  }
  return alarms;
}

function scalarAlarms(source: ScalarSource, data: ScanData): Alarm[] {
  const value = scalarValue(data, source.oid);
  if (typeof value !== 'number') return [];
  const meaning = source.values[String(value)];
  return meaning ? [toAlarm(source.id, '0', meaning, {})] : [];
}

function flagAlarms(source: FlagsSource, data: ScanData): Alarm[] {
  const value = scalarValue(data, source.oid);
  const flags = Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  // Anything but a string of '0'/'1' is not a flag string: ignore it rather than guess.
  if (flags === undefined || !/^[01]*$/.test(flags)) return [];
  const alarms: Alarm[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] !== '1') continue;
    const flag = String(i + 1);
    const meaning = source.flags[flag] ?? source.otherwise;
    if (meaning) alarms.push(toAlarm(source.id, flag, meaning, { flag }));
  }
  return alarms;
}

function alarmTableAlarms(source: AlarmTableSource, data: ScanData): Alarm[] {
  const named = Object.entries(source.columns);
  const alarms: Alarm[] = [];
  for (const row of tableRows(data, source.table, named.map(([, spec]) => spec.column))) {
    // Every cell is read as its declared type first: a wrong type fails the scan (the stored
    // alarms are kept) rather than reading the row as "no alarm" and clearing what is active.
    const cells = new Map<string, string | number | undefined>();
    for (const [name, spec] of named) cells.set(name, typedCell(row, spec.column, spec.type));
    if (!source.when.every((test) => holds(test, cells.get(test.column)))) continue;
    const vars: Record<string, string | undefined> = { index: row.index };
    for (const [name, value] of cells) vars[name] = value === undefined ? undefined : String(value);
    let meaning: Omit<AlarmMeaning, 'severity'> & { severity?: AlarmMeaning['severity'] };
    if ('lookup' in source.meaning) {
      const key = cells.get(source.meaning.lookup);
      const found = key === undefined ? undefined : source.meaning.values[lookupKey(String(key), source.meaning)];
      const chosen = found ?? source.meaning.otherwise;
      if (!chosen) continue;
      vars.value = key === undefined ? undefined : String(key);
      meaning = chosen;
    } else {
      meaning = source.meaning;
    }
    let severity = meaning.severity;
    if (source.severity) {
      const raw = cells.get(source.severity.column);
      severity = (raw === undefined ? undefined : source.severity.values[String(raw)]) ?? source.severity.otherwise;
    }
    // The schema makes sure one of the two gives a severity.
    alarms.push(toAlarm(source.id, row.index, { ...meaning, severity: severity ?? 'warning' }, vars));
  }
  return alarms;
}

/** A looked-up cell as its value map's keys are written. */
function lookupKey(text: string, how: { stripPrefix?: string | undefined; normalize: 'exact' | 'loose' }): string {
  let key = text;
  if (how.stripPrefix && key.toLowerCase().startsWith(how.stripPrefix.toLowerCase())) key = key.slice(how.stripPrefix.length);
  return how.normalize === 'loose' ? key.replace(/[^A-Za-z0-9]/g, '').toLowerCase() : key;
}

function holds(test: AlarmTableSource['when'][number], value: string | number | undefined): boolean {
  if (test.present !== undefined) return (value !== undefined) === test.present;
  if (value === undefined) return false;
  if (test.equals !== undefined) return String(value) === String(test.equals);
  if (test.in !== undefined) return typeof value === 'number' && test.in.includes(value);
  if (test.notIn !== undefined) return typeof value === 'number' && !test.notIn.includes(value);
  return false;
}

function statusColumnAlarms(source: StatusColumnSource, data: ScanData, cells: RowCells, chainPosition: number | undefined): Alarm[] {
  const columns = source.labelColumn === undefined ? [source.column] : [source.column, source.labelColumn];
  const alarms: Alarm[] = [];
  for (const row of tableRows(data, source.table, columns)) {
    if (!cells.selected(source.rows, source.table, row) || !cells.ofUnit(source.chainPosition, chainPosition, source.table, row)) continue;
    const value = typedCell(row, source.column, 'integer');
    const meaning = value === undefined ? undefined : source.values[String(value)];
    if (!meaning) continue;
    const label = source.labelFrom
      ? cells.label(source.labelFrom, source.table, row)
      : (source.labelColumn === undefined ? undefined : valueText(row.cells.get(source.labelColumn))) || row.index;
    alarms.push(toAlarm(source.id, row.index, meaning, { index: row.index, label }));
  }
  return alarms;
}

/** A cell read as its declared type; undefined when the row has no such cell. */
function typedCell(row: Row, column: number, type: CellType): string | number | undefined {
  const value = row.cells.get(column);
  if (value === undefined) return undefined;
  switch (type) {
    case 'integer':
      if (typeof value === 'number') return value;
      break;
    case 'text':
      if (Buffer.isBuffer(value)) return valueText(value);
      break;
    case 'oid':
      if (typeof value === 'string' && /^\.?\d+(\.\d+)*$/.test(value)) return normalizeOid(value);
      break;
    case 'any':
      return valueText(value);
  }
  const got = Buffer.isBuffer(value) ? 'an OCTET STRING' : value === null ? 'NULL' : `a ${typeof value}`;
  const expected = { integer: 'an INTEGER', text: 'an OCTET STRING', oid: 'an OBJECT IDENTIFIER', any: 'a value' }[type];
  throw new CellTypeError(`wrong type: column ${column} of row ${row.index} holds ${got} where ${expected} was expected`);
}

function toAlarm(sourceId: string, index: string, meaning: AlarmMeaning, vars: Record<string, string | undefined>): Alarm {
  const code = fillTemplate(meaning.code, vars);
  return { key: `${sourceId}:${index}:${code}`, severity: meaning.severity, code, description: fillTemplate(meaning.description, vars) };
}
