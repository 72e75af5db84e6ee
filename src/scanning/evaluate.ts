import type { Alarm } from '../alarms/model.js';
import { normalizeOid, valueText } from '../profiles/cells.js';
import type {
  AlarmMeaning,
  AlarmTableSource,
  FlagsSource,
  Profile,
  ScalarSource,
  StatusColumnSource,
  TableRow,
} from '../profiles/types.js';
import { isException, SnmpError, walkColumns, type SnmpClient, type SnmpValue, type SnmpVarbind } from '../snmp/client.js';

/** What one scan read: scalar and flag-string varbinds by OID, table columns by column OID (`entry.col`). */
export interface Readings {
  scalars: Map<string, SnmpVarbind>;
  columns: Map<string, SnmpVarbind[]>;
}

/** The requests a profile's scan needs: one GET for every scalar, one walk per table of its columns. */
export interface ReadPlan {
  scalars: string[];
  columns: string[];
  /** The same columns by table entry, walked together. */
  tables: string[][];
}

export function columnOid(entry: string, column: number): string {
  return `${entry}.${column}`;
}

export function readPlan(profile: Profile): ReadPlan {
  const scalars = new Set<string>();
  const columns = new Set<string>();
  for (const source of profile.sources) {
    switch (source.kind) {
      case 'scalar':
      case 'flags':
        scalars.add(source.oid);
        break;
      case 'alarm-table':
        for (const column of source.columns) columns.add(columnOid(source.entry, column));
        break;
      case 'status-column':
        columns.add(columnOid(source.entry, source.column));
        if (source.labelColumn !== undefined) columns.add(columnOid(source.entry, source.labelColumn));
        break;
    }
  }
  const tables = new Map<string, string[]>();
  for (const oid of columns) {
    const entry = oid.slice(0, oid.lastIndexOf('.'));
    tables.set(entry, [...(tables.get(entry) ?? []), oid]);
  }
  return { scalars: [...scalars], columns: [...columns], tables: [...tables.values()] };
}

/**
 * Reads every alarm source of the profile and returns the alarms active now.
 * Requests go one after another (management cards answer one at a time, and a
 * device that stopped answering fails the scan at its first timeout); a table's
 * columns share each GETBULK, so a small table costs one request.
 */
export async function scanAlarms(profile: Profile, client: SnmpClient): Promise<Alarm[]> {
  const plan = readPlan(profile);
  const readings: Readings = { scalars: new Map(), columns: new Map() };
  if (plan.scalars.length > 0) {
    for (const varbind of await readScalars(client, plan.scalars)) readings.scalars.set(normalizeOid(varbind.oid), varbind);
  }
  for (const table of plan.tables) {
    const walked = await walkColumns(client, table);
    table.forEach((oid, i) => readings.columns.set(oid, walked[i] ?? []));
  }
  return alarmsFromReadings(profile, readings);
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
export function alarmsFromReadings(profile: Profile, readings: Readings): Alarm[] {
  const alarms: Alarm[] = [];
  const deviceWideCodes = new Set<string>();
  for (const source of profile.sources) {
    switch (source.kind) {
      case 'scalar':
      case 'flags':
        for (const alarm of source.kind === 'scalar' ? scalarAlarms(source, readings) : flagAlarms(source, readings)) {
          if (deviceWideCodes.has(alarm.code)) continue;
          deviceWideCodes.add(alarm.code);
          alarms.push(alarm);
        }
        break;
      case 'alarm-table':
        alarms.push(...alarmTableAlarms(source, readings));
        break;
      case 'status-column':
        alarms.push(...statusColumnAlarms(source, readings));
        break;
    }
  }
  return alarms;
}

function scalarAlarms(source: ScalarSource, readings: Readings): Alarm[] {
  const value = scalarValue(readings, source.oid);
  if (typeof value !== 'number') return [];
  const meaning = source.values[value];
  return meaning ? [toAlarm(source.id, '0', meaning)] : [];
}

function flagAlarms(source: FlagsSource, readings: Readings): Alarm[] {
  const value = scalarValue(readings, source.oid);
  const flags = Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  // Anything but a string of '0'/'1' is not a flag string: ignore it rather than guess.
  if (flags === undefined || !/^[01]*$/.test(flags)) return [];
  const alarms: Alarm[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] !== '1') continue;
    const flag = i + 1;
    alarms.push(toAlarm(source.id, String(flag), source.flags[flag] ?? source.unknownFlag(flag)));
  }
  return alarms;
}

function alarmTableAlarms(source: AlarmTableSource, readings: Readings): Alarm[] {
  const alarms: Alarm[] = [];
  for (const row of tableRows(readings, source.entry, source.columns)) {
    if (source.active && !source.active(row)) continue;
    alarms.push(toAlarm(source.id, row.index, source.meaning(row), row.index));
  }
  return alarms;
}

function statusColumnAlarms(source: StatusColumnSource, readings: Readings): Alarm[] {
  const columns = source.labelColumn === undefined ? [source.column] : [source.column, source.labelColumn];
  const alarms: Alarm[] = [];
  for (const row of tableRows(readings, source.entry, columns)) {
    const value = row.cells.get(source.column);
    const meaning = typeof value === 'number' ? source.values[value] : undefined;
    if (!meaning) continue;
    const label = source.labelColumn === undefined ? undefined : valueText(row.cells.get(source.labelColumn));
    alarms.push(toAlarm(source.id, row.index, meaning, label || row.index));
  }
  return alarms;
}

/** A scalar's value; undefined when the agent has no such object or instance. */
function scalarValue(readings: Readings, oid: string): SnmpValue | undefined {
  const varbind = readings.scalars.get(normalizeOid(oid));
  return varbind && !isException(varbind.type) ? varbind.value : undefined;
}

/** Rows of a table, in index order, assembled from the walked columns by the OID suffix after `entry.col`. */
function tableRows(readings: Readings, entry: string, columns: readonly number[]): TableRow[] {
  const rows = new Map<string, Map<number, SnmpValue>>();
  for (const column of columns) {
    const prefix = `${columnOid(entry, column)}.`;
    for (const varbind of readings.columns.get(columnOid(entry, column)) ?? []) {
      const oid = normalizeOid(varbind.oid);
      if (isException(varbind.type) || !oid.startsWith(prefix)) continue;
      const index = oid.slice(prefix.length);
      let cells = rows.get(index);
      if (!cells) rows.set(index, (cells = new Map()));
      cells.set(column, varbind.value);
    }
  }
  return [...rows]
    .sort(([a], [b]) => compareIndex(a, b))
    .map(([index, cells]) => ({ index, cells }));
}

function compareIndex(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** `label` fills `{label}` (tables only); `{index}` is the row index. */
function toAlarm(sourceId: string, index: string, meaning: AlarmMeaning, label?: string): Alarm {
  const description =
    label === undefined
      ? meaning.description
      : meaning.description.replace(/\{(label|index)\}/g, (_, name: string) => (name === 'label' ? label : index));
  return { key: `${sourceId}:${index}:${meaning.code}`, severity: meaning.severity, code: meaning.code, description };
}
