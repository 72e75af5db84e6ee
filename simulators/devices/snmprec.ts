import { readFileSync } from 'node:fs';
import { compareArcs, oidProblem, parseOid } from '../agent/oid.js';
import { VarType, type VarBind, type VarValue } from '../../src/snmp/message.js';

/** snmpsim tags: the BER tag number of each value type. */
const TAGS: Record<number, VarType> = {
  2: VarType.Integer,
  4: VarType.OctetString,
  5: VarType.Null,
  6: VarType.OID,
  64: VarType.IpAddress,
  65: VarType.Counter32,
  66: VarType.Gauge32,
  67: VarType.TimeTicks,
  68: VarType.Opaque,
  70: VarType.Counter64,
};

export class SnmprecError extends Error {}

/**
 * Parses a `.snmprec` recording (snmpsim's format: `OID|TAG|VALUE`, one per
 * line; a tag ending in `x` means the value is hex). Returns varbinds in OID order.
 */
export function parseSnmprec(text: string, source = 'recording'): VarBind[] {
  const varbinds: VarBind[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const first = line.indexOf('|');
    const second = line.indexOf('|', first + 1);
    if (first < 0 || second < 0) throw new SnmprecError(`${where}: expected OID|TAG|VALUE, got "${line.slice(0, 60)}"`);
    const oidText = line.slice(0, first);
    const tagText = line.slice(first + 1, second);
    const valueText = line.slice(second + 1);
    const problem = oidProblem(oidText);
    if (problem) throw new SnmprecError(`${where}: "${oidText}" ${refusal(problem)}`);
    const oid = parseOid(oidText).join('.');
    if (seen.has(oid)) throw new SnmprecError(`${where}: ${oid} appears twice`);
    seen.add(oid);
    const match = /^(\d+)(x?)$/.exec(tagText);
    const type = match ? TAGS[Number(match[1])] : undefined;
    if (!match || type === undefined) {
      throw new SnmprecError(`${where}: unsupported tag "${tagText}" (supported: ${Object.keys(TAGS).join(', ')}, with optional x for hex)`);
    }
    const hex = match[2] === 'x';
    varbinds.push({ oid, type, value: parseRecordedValue(type, valueText, hex, where) });
  });
  return varbinds.sort((a, b) => compareArcs(parseOid(a.oid), parseOid(b.oid)));
}

/**
 * One value in snmprec's text form (`hex`: the text is hex digits), checked against its type's
 * range; errors start with `where`. Recordings and control API changes share it.
 */
export function parseRecordedValue(type: VarType, text: string, hex: boolean, where: string): VarValue {
  const bytes = (): Buffer => {
    if (!hex) return Buffer.from(text, 'utf8');
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new SnmprecError(`${where}: "${text.slice(0, 40)}" is not hex`);
    return Buffer.from(text, 'hex');
  };
  const integer = (min: number, max: number): number => {
    const valid = hex ? /^[0-9a-fA-F]{1,8}$/.test(text) : /^-?\d{1,10}$/.test(text);
    const value = hex ? parseInt(text, 16) : Number(text);
    if (!valid || value < min || value > max) throw new SnmprecError(`${where}: "${text}" is not an integer in ${min}..${max}`);
    return value;
  };
  switch (type) {
    case VarType.Integer:
      return integer(-2147483648, 2147483647);
    case VarType.Counter32:
    case VarType.Gauge32:
    case VarType.TimeTicks:
      return integer(0, 4294967295);
    case VarType.Counter64: {
      const valid = hex ? /^[0-9a-fA-F]{1,16}$/.test(text) : /^\d{1,20}$/.test(text);
      const value = valid ? BigInt(hex ? `0x${text}` : text) : -1n;
      if (value < 0n || value > 2n ** 64n - 1n) throw new SnmprecError(`${where}: "${text}" is not a Counter64`);
      return value;
    }
    case VarType.OctetString:
    case VarType.Opaque:
      return bytes();
    case VarType.Null:
      return null;
    case VarType.OID: {
      const oid = hex ? bytes().toString('utf8') : text;
      const problem = oidProblem(oid);
      if (problem) throw new SnmprecError(`${where}: "${oid}" ${refusal(problem).replace('a numeric OID', 'an OID')}`);
      return parseOid(oid).join('.');
    }
    case VarType.IpAddress: {
      const b = hex ? bytes() : undefined;
      if (b) {
        if (b.length !== 4) throw new SnmprecError(`${where}: an IpAddress is 4 octets`);
        return [...b].join('.');
      }
      if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(text) || text.split('.').some((p) => Number(p) > 255)) {
        throw new SnmprecError(`${where}: "${text}" is not an IPv4 address`);
      }
      return text;
    }
    default:
      throw new SnmprecError(`${where}: unsupported type`);
  }
}

/** An oidProblem as the rest of a sentence that names the OID. */
function refusal(problem: string): string {
  return problem === 'not a numeric OID' ? 'is not a numeric OID' : `is refused: ${problem}`;
}

/** Reads and parses a recording, with errors that name the file and line. */
export function loadSnmprecFile(path: string): VarBind[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SnmprecError(`cannot read recording ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSnmprec(text, path);
}
