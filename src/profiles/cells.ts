import type { SnmpValue } from '../snmp/client.js';
import type { TableRow } from './types.js';

// Typed reads of table cells for profiles. A missing cell reads as undefined, so a
// profile skips a half-created row. A cell of the wrong type means the device is not
// answering as its profile says: the scan fails (and keeps the stored alarms) rather
// than reading the row as "no alarm" and clearing what is active.

/** The device answered a value that its profile cannot read. */
export class CellTypeError extends Error {
  override readonly name = 'CellTypeError';
}

function wrongType(row: TableRow, column: number, expected: string, value: SnmpValue): CellTypeError {
  const got = Buffer.isBuffer(value) ? 'an OCTET STRING' : value === null ? 'NULL' : `a ${typeof value}`;
  return new CellTypeError(`wrong type: column ${column} of row ${row.index} holds ${got} where ${expected} was expected`);
}

export function cellNumber(row: TableRow, column: number): number | undefined {
  const value = row.cells.get(column);
  if (value === undefined || typeof value === 'number') return value;
  throw wrongType(row, column, 'an INTEGER', value);
}

/** An OctetString cell as text. */
export function cellText(row: TableRow, column: number): string | undefined {
  const value = row.cells.get(column);
  if (value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return bufferText(value);
  throw wrongType(row, column, 'an OCTET STRING', value);
}

/** An OBJECT IDENTIFIER cell, dotted, without a leading dot. */
export function cellOid(row: TableRow, column: number): string | undefined {
  const value = row.cells.get(column);
  if (value === undefined) return undefined;
  if (typeof value === 'string' && /^\.?\d+(\.\d+)*$/.test(value)) return normalizeOid(value);
  throw wrongType(row, column, 'an OBJECT IDENTIFIER', value);
}

/** Any value as operator text (labels): strings, numbers and dotted OIDs; undefined for null. */
export function valueText(value: SnmpValue | undefined): string | undefined {
  if (Buffer.isBuffer(value)) return bufferText(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value;
  return undefined;
}

export function normalizeOid(oid: string): string {
  return oid.startsWith('.') ? oid.slice(1) : oid;
}

/** DisplayStrings often carry a trailing NUL from C agents. */
function bufferText(value: Buffer): string {
  return value.toString('utf8').replace(/\0+$/, '');
}
