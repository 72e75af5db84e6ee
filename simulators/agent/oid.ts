import { MAX_OID_ARCS } from '../../src/snmp/ber.js';

/** Largest sub-identifier (RFC 2578 3.5). */
const MAX_ARC = 0xffffffff;

/** OIDs as arrays of arcs, compared lexicographically as SNMP orders them. */
export type Arcs = readonly number[];

/**
 * Parses a dotted numeric OID, refusing what no SNMP message can carry (arcs above 2^32-1, more
 * than 128 arcs, first arcs outside X.690's rules): a recording or control API change holding
 * such an OID would otherwise be accepted and then fail every response that includes it.
 */
export function parseOid(oid: string): number[] {
  const parsed = arcsOrProblem(oid);
  if (typeof parsed === 'string') throw new RangeError(`${parsed}: ${oid}`);
  return parsed;
}

/** Why `oid` is no OID a message can carry (without the OID itself), or undefined when it is one. */
export function oidProblem(oid: string): string | undefined {
  const parsed = arcsOrProblem(oid);
  return typeof parsed === 'string' ? parsed : undefined;
}

function arcsOrProblem(oid: string): number[] | string {
  const text = oid.startsWith('.') ? oid.slice(1) : oid;
  if (!/^\d+(\.\d+)+$/.test(text)) return 'not a numeric OID';
  const arcs = text.split('.').map(Number);
  if (arcs.length > MAX_OID_ARCS) return `OID has more than ${MAX_OID_ARCS} arcs`;
  if (arcs.some((a) => a > MAX_ARC)) return 'OID arc above 2^32-1';
  const [first, second] = arcs as [number, number];
  if (first > 2 || (first < 2 && second >= 40)) return `OID starts with ${first}.${second}, which X.690 cannot encode`;
  return arcs;
}

export function formatOid(arcs: Arcs): string {
  return arcs.join('.');
}

export function compareArcs(a: Arcs, b: Arcs): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function startsWith(oid: Arcs, prefix: Arcs): boolean {
  if (oid.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (oid[i] !== prefix[i]) return false;
  return true;
}

/** Index arcs of an IPv4 address (4 arcs). */
export function ipToArcs(ip: string): number[] {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  return parts;
}

/** IMPLIED OCTET STRING index: one arc per byte, no length prefix (RFC 2578 7.7). */
export function impliedStringArcs(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

export function arcsToImpliedString(arcs: Arcs): string | undefined {
  if (arcs.length === 0 || arcs.some((a) => a > 255)) return undefined;
  return Buffer.from(arcs as number[]).toString('utf8');
}
