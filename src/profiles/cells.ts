import type { SnmpValue } from '../snmp/client.js';
import type { TableRow } from './types.js';

// Typed reads of table cells for profiles. A cell of the wrong type reads as
// undefined, so a profile skips the row instead of inventing an alarm from it.

export function cellNumber(row: TableRow, column: number): number | undefined {
  const value = row.cells.get(column);
  return typeof value === 'number' ? value : undefined;
}

/** An OctetString cell as text. */
export function cellText(row: TableRow, column: number): string | undefined {
  const value = row.cells.get(column);
  return Buffer.isBuffer(value) ? bufferText(value) : undefined;
}

/** An OBJECT IDENTIFIER cell, dotted, without a leading dot. */
export function cellOid(row: TableRow, column: number): string | undefined {
  const value = row.cells.get(column);
  return typeof value === 'string' && /^\.?\d+(\.\d+)*$/.test(value) ? normalizeOid(value) : undefined;
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
