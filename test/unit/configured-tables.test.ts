// Tables an operator configures for net-snmp devices: what the config accepts, and which rows
// become alarms, from recorded varbinds.
import { describe, expect, it } from 'vitest';
import { statusTableSchema } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { statusTableSource } from '../../src/profiles/configured.js';
import { alarmsFromData, columnOid } from '../../src/scanning/evaluate.js';
import type { SnmpVarbind } from '../../src/snmp/client.js';

const EXT = '1.3.6.1.4.1.2021.8.1';
const table = { id: 'extTable', entry: EXT, statusColumn: 100, normalValues: [0], labelColumn: 2, code: 'netsnmp.checkFailed', description: 'Check {label} failed (row {index})' };

const int = (oid: string, value: number): SnmpVarbind => ({ oid, type: 'Integer', value });
const text = (oid: string, value: string): SnmpVarbind => ({ oid, type: 'OctetString', value: Buffer.from(value) });

function scan(config: Record<string, unknown>, rows: Array<[index: number, status: number | undefined, label: string]>) {
  const source = statusTableSource(statusTableSchema.parse(config));
  const columns = new Map<string, SnmpVarbind[]>([
    [columnOid(EXT, 100), rows.filter(([, s]) => s !== undefined).map(([i, s]) => int(`${EXT}.100.${i}`, s!))],
    [columnOid(EXT, 2), rows.map(([i, , l]) => text(`${EXT}.2.${i}`, l))],
  ]);
  return alarmsFromData({ alarms: [source] }, { scalars: new Map(), columns });
}

describe('configured status tables', () => {
  it('raises one alarm per row whose status is not normal, with its label and a stable key', () => {
    const alarms = scan(table, [[1, 0, 'disk'], [2, 1, 'backup'], [3, 127, 'ntp'], [4, undefined, 'gone']]);
    expect(alarms).toEqual([
      { key: 'extTable:2:netsnmp.checkFailed', severity: 'warning', code: 'netsnmp.checkFailed', description: 'Check backup failed (row 2)' },
      { key: 'extTable:3:netsnmp.checkFailed', severity: 'warning', code: 'netsnmp.checkFailed', description: 'Check ntp failed (row 3)' },
    ]);
  });

  it('with alarmValues, raises only for those values', () => {
    const { normalValues: _n, ...rest } = table;
    const alarms = scan({ ...rest, alarmValues: [3, 5], severity: 'critical' }, [[1, 2, 'cpu'], [2, 3, 'fan'], [3, 5, 'psu']]);
    expect(alarms.map((a) => [a.key, a.severity])).toEqual([['extTable:2:netsnmp.checkFailed', 'critical'], ['extTable:3:netsnmp.checkFailed', 'critical']]);
  });

  it('falls back to the row index when the label column is empty', () => {
    expect(scan(table, [[9, 1, '']])[0]?.description).toBe('Check 9 failed (row 9)');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['both value lists', { ...table, alarmValues: [1] }, /not both/],
    ['neither value list', { ...table, normalValues: undefined }, /alarmValues or normalValues/],
    ['a code with free text', { ...table, code: 'Check failed!' }, /dotted code/],
    ['a symbolic OID', { ...table, entry: 'UCD-SNMP-MIB::extEntry' }, /numeric OID/],
    ['an id with a colon', { ...table, id: 'ext:table' }, /letters and digits/],
  ])('refuses %s', (_name, config, problem) => {
    expect(statusTableSchema.safeParse(config).error?.issues.map((i) => i.message).join('; ')).toMatch(problem);
  });

  it('refuses two tables with one id, naming the key', () => {
    expect(() => parseConfig({ profiles: { netSnmp: { tables: [table, table] } } }, 'test.yaml')).toThrow(/test\.yaml: profiles\.netSnmp\.tables\.1\.id: table id extTable is used twice/);
  });
});
