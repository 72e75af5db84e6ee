// The profile schema's row joins and filters (labelFrom, decimalDigits, rows): what a file may
// say, and what the evaluator makes of tables whose label and scale sit in another table.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseProfile, ProfileFileError } from '../../src/profiles/load.js';
import type { Profile } from '../../src/profiles/schema.js';
import { alarmsFromData, readingsFromData, readPlan, specOf, type ScanData } from '../../src/scanning/evaluate.js';
import type { SnmpVarbind } from '../../src/snmp/client.js';

const MEASURE = '1.3.6.1.4.1.99999.5.1';
const CONFIG = '1.3.6.1.4.1.99999.3.1';
const NAMES = '1.3.6.1.4.1.99999.2.1';

const base = {
  name: 'acme-pdu',
  description: 'Acme PDU',
  registration: 'none',
  alarms: [] as unknown[],
  readings: [] as unknown[],
};

const currentReading = {
  id: 'current',
  description: 'Current',
  table: MEASURE,
  column: 4,
  unit: 'amperes',
  rows: { indexArc: 3, in: [1] },
  decimalDigits: { table: CONFIG, column: 7 },
  labelFrom: [{ table: NAMES, column: 3, indexArcs: 2 }, { table: NAMES, column: 2, indexArcs: 2 }],
};

const stateSource = {
  kind: 'status-column',
  id: 'outletState',
  table: MEASURE,
  column: 3,
  rows: { indexArc: 3, notIn: [14] },
  labelFrom: [{ table: NAMES, column: 3, indexArcs: 2 }],
  values: { 5: { severity: 'warning', code: 'acme.high', description: 'Outlet {label} high ({index})' } },
};

function profile(changes: Record<string, unknown>): Profile {
  return parseProfile(stringify({ ...base, ...changes }), 'acme.yaml');
}

function refused(changes: Record<string, unknown>): string {
  try {
    profile(changes);
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileFileError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

const int = (oid: string, value: number): SnmpVarbind => ({ oid, type: 'Integer', value });
const text = (oid: string, value: string): SnmpVarbind => ({ oid, type: 'OctetString', value: Buffer.from(value) });

/** What a scan of a 2-outlet PDU reads: sensor type 1 (current) and 14 (switch) per outlet; names of outlet 1 only. */
function pduData(overrides: { digits?: SnmpVarbind[]; names?: SnmpVarbind[] } = {}): ScanData {
  const columns = new Map<string, SnmpVarbind[]>([
    [`${MEASURE}.3`, [int(`${MEASURE}.3.1.1.1`, 5), int(`${MEASURE}.3.1.1.14`, 7), int(`${MEASURE}.3.1.2.1`, 5), int(`${MEASURE}.3.1.2.14`, 5)]],
    [`${MEASURE}.4`, [int(`${MEASURE}.4.1.1.1`, 12840), int(`${MEASURE}.4.1.2.1`, 75)]],
    [`${CONFIG}.7`, overrides.digits ?? [int(`${CONFIG}.7.1.1.1`, 3), int(`${CONFIG}.7.1.2.1`, 1)]],
    [`${NAMES}.2`, [text(`${NAMES}.2.1.1`, '1'), text(`${NAMES}.2.1.2`, '2')]],
    [`${NAMES}.3`, overrides.names ?? [text(`${NAMES}.3.1.1`, 'db-01'), text(`${NAMES}.3.1.2`, '')]],
  ]);
  return { scalars: new Map(), columns };
}

describe('row joins and filters in a profile file', () => {
  it('accepts them on table readings and status columns', () => {
    const p = profile({ alarms: [stateSource], readings: [currentReading] });
    expect(p.readings[0]!.decimalDigits).toEqual({ table: CONFIG, column: 7 });
    expect(p.alarms[0]).toMatchObject({ rows: { indexArc: 3, notIn: [14] } });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a label column and labelFrom together', { readings: [{ ...currentReading, labelColumn: 2 }] }, /readings\.0\.labelFrom: give labelColumn or labelFrom, not both/],
    ['decimal digits on a scalar', { readings: [{ id: 'x', description: 'X', oid: '1.3.6.1.4.1.99999.1.0', unit: 'volts', decimalDigits: { table: CONFIG, column: 7 } }] }, /readings\.0\.decimalDigits: only table readings have decimalDigits/],
    ['a row filter on a scalar', { readings: [{ id: 'x', description: 'X', oid: '1.3.6.1.4.1.99999.1.0', unit: 'volts', rows: { indexArc: 1, in: [1] } }] }, /readings\.0\.rows: only table readings have rows/],
    ['a filter on both an arc and a cell', { readings: [{ ...currentReading, rows: { indexArc: 3, cell: { column: 2 }, in: [1] } }] }, /readings\.0\.rows: give exactly one of indexArc, cell/],
    ['a filter with neither in nor notIn', { readings: [{ ...currentReading, rows: { indexArc: 3 } }] }, /readings\.0\.rows: give exactly one of in, notIn/],
    ['a joined cell with an unknown key', { readings: [{ ...currentReading, decimalDigits: { table: CONFIG, column: 7, scale: 2 } }] }, /readings\.0\.decimalDigits: Unrecognized key: "scale"/],
    ['a status column with a label column and labelFrom', { alarms: [{ ...stateSource, labelColumn: 2 }] }, /alarms\.0\.labelFrom: give labelColumn or labelFrom, not both/],
    ['an empty labelFrom', { readings: [{ ...currentReading, labelFrom: [] }] }, /readings\.0\.labelFrom: /],
  ])('refuses %s, naming the key', (_what, changes, message) => {
    const text = refused(changes);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});

describe('evaluating joined rows', () => {
  const p = profile({ alarms: [stateSource], readings: [currentReading] });

  it('reads the joined columns in the same walk, each once', () => {
    expect(readPlan(specOf(p)).columns.sort()).toEqual([`${CONFIG}.7`, `${MEASURE}.3`, `${MEASURE}.4`, `${NAMES}.2`, `${NAMES}.3`].sort());
  });

  it('scales each row by its own decimal digits and names it from the first non-empty label cell', () => {
    expect(readingsFromData(specOf(p), pduData())).toEqual([
      { reading: 'current', instance: '1.1.1', label: 'db-01', value: 12.84 },
      { reading: 'current', instance: '1.2.1', label: '2', value: 7.5 },
    ]);
  });

  it('combines decimal digits with a scale', () => {
    const scaled = profile({ readings: [{ ...currentReading, scale: 1000, unit: 'watts' }] });
    expect(readingsFromData(specOf(scaled), pduData()).map((r) => r.value)).toEqual([12840, 7500]);
  });

  it.each<[string, SnmpVarbind[]]>([
    ['missing', [int(`${CONFIG}.7.1.1.1`, 3)]],
    ['not a number', [int(`${CONFIG}.7.1.1.1`, 3), text(`${CONFIG}.7.1.2.1`, 'one')]],
    ['out of range', [int(`${CONFIG}.7.1.1.1`, 3), int(`${CONFIG}.7.1.2.1`, 12)]],
  ])('leaves out a row whose decimal digits are %s', (_what, digits) => {
    expect(readingsFromData(specOf(p), pduData({ digits })).map((r) => r.instance)).toEqual(['1.1.1']);
  });

  it('falls back to the row index when no label cell has text', () => {
    const unnamed = profile({ readings: [{ ...currentReading, labelFrom: [{ table: NAMES, column: 3, indexArcs: 2 }] }] });
    expect(readingsFromData(specOf(unnamed), pduData()).map((r) => r.label)).toEqual(['db-01', '1.2.1']);
  });

  it('joins nothing when the row index is shorter than indexArcs', () => {
    const deep = profile({ readings: [{ ...currentReading, labelFrom: [{ table: NAMES, column: 3, indexArcs: 4 }] }] });
    expect(readingsFromData(specOf(deep), pduData()).map((r) => r.label)).toEqual(['1.1.1', '1.2.1']);
  });

  it('keeps a status column to the rows its filter selects, named from the other table', () => {
    expect(alarmsFromData(specOf(p), pduData())).toEqual([
      { key: 'outletState:1.1.1:acme.high', code: 'acme.high', severity: 'warning', description: 'Outlet db-01 high (1.1.1)' },
      // Outlet 2 has an empty name and no other label cell here: its index names it.
      { key: 'outletState:1.2.1:acme.high', code: 'acme.high', severity: 'warning', description: 'Outlet 1.2.1 high (1.2.1)' },
    ]);
  });

  it('filters by a joined cell; a row whose cell is missing is not selected, either way', () => {
    // Only outlet 1's sensor has a type cell (10); both have decimal digits.
    const data = pduData();
    data.columns.set(`${CONFIG}.2`, [int(`${CONFIG}.2.1.1.1`, 10)]);
    const byCell = (filter: Record<string, unknown>) =>
      readingsFromData(specOf(profile({ readings: [{ ...currentReading, rows: { cell: { table: CONFIG, column: 2 }, ...filter } }] })), data).map((r) => r.instance);
    expect(byCell({ in: [10] })).toEqual(['1.1.1']);
    expect(byCell({ notIn: [11] })).toEqual(['1.1.1']);
    expect(byCell({ notIn: [10] })).toEqual([]);
  });
});
