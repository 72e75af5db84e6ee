import type { SnmpValue } from '../snmp/client.js';

/**
 * The device answered a value that its profile cannot read. A cell of the wrong type fails the
 * scan (and keeps the stored alarms) rather than reading the row as "no alarm" and clearing
 * what is active.
 */
export class CellTypeError extends Error {
  override readonly name = 'CellTypeError';
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
