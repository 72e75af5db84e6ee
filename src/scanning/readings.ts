import { normalizeOid, valueText } from '../profiles/cells.js';
import type { Reading } from '../profiles/schema.js';
import { isException, type SnmpValue } from '../snmp/client.js';
import { RowCells, tableRows, type ScanData } from './rows.js';

/** One sensor value as a scan read it, scaled into its unit. */
export interface ReadingValue {
  reading: string;
  /** The row index for a table reading, '' for a scalar. */
  instance: string;
  /** What the row is called (its label column's text), else its index; '' for a scalar. */
  label: string;
  value: number;
  /** For unit `state`: the state's name; null when the profile does not know the value. */
  state?: string | null;
}

/** Largest decimal-digits count a device may give; more is not a scale but nonsense. */
const MAX_DECIMAL_DIGITS = 9;

/** The readings the spec names, scaled; a value that is not a number is left out, not guessed. */
export function readingsFromData(spec: { readings: readonly Reading[]; chainPosition?: number | undefined }, data: ScanData): ReadingValue[] {
  const values: ReadingValue[] = [];
  const cells = new RowCells(data);
  for (const reading of spec.readings) {
    if (reading.oid !== undefined) {
      const raw = numeric(scalarValue(data, reading.oid));
      if (raw !== undefined) values.push(readingValue(reading, { instance: '', label: '', raw, digits: 0 }));
      continue;
    }
    const { table, column, labelColumn } = reading;
    if (table === undefined || column === undefined) continue;
    for (const row of tableRows(data, table, labelColumn === undefined ? [column] : [column, labelColumn])) {
      if (!cells.selected(reading.rows, table, row) || !cells.ofUnit(reading.chainPosition, spec.chainPosition, table, row)) continue;
      const raw = numeric(row.cells.get(column));
      if (raw === undefined) continue;
      const digits = reading.decimalDigits ? cells.get(reading.decimalDigits, table, row) : 0;
      if (!(typeof digits === 'number' && Number.isInteger(digits) && digits >= 0 && digits <= MAX_DECIMAL_DIGITS)) continue;
      const label = reading.labelFrom
        ? cells.label(reading.labelFrom, table, row)
        : (labelColumn === undefined ? undefined : valueText(row.cells.get(labelColumn))) || row.index;
      values.push(readingValue(reading, { instance: row.index, label, raw, digits }));
    }
  }
  return values;
}

function readingValue(reading: Reading, read: { instance: string; label: string; raw: number; digits: number }): ReadingValue {
  const { instance, label, raw, digits } = read;
  // Rounded so that 0.1 steps read as 22.4, not 22.400000000000002.
  const value = Math.round((raw * reading.scale * 1e6) / 10 ** digits) / 1e6;
  const out: ReadingValue = { reading: reading.id, instance, label, value };
  if (reading.states) out.state = reading.states[String(raw)] ?? null;
  return out;
}

/** Integers, gauges, counters, TimeTicks, and DisplayStrings holding a decimal number. */
function numeric(value: SnmpValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) {
    const text = value.toString('latin1').trim();
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  }
  return undefined;
}

/** A scalar's value; undefined when the agent has no such object or instance. */
export function scalarValue(data: ScanData, oid: string): SnmpValue | undefined {
  const varbind = data.scalars.get(normalizeOid(oid));
  return varbind && !isException(varbind.type) ? varbind.value : undefined;
}
