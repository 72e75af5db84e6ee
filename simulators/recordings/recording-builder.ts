import { compareArcs, parseOid } from '../agent/oid.js';
import { typedValue, type ValueInput, type ValueTypeName } from '../devices/recorded-values.js';
import { VarType, type VarValue } from '../../src/snmp/message.js';

/** snmprec tag of each type a recording here holds (BER tag numbers, as snmpsim writes them). */
const TAG: Partial<Record<VarType, string>> = {
  [VarType.Integer]: '2',
  [VarType.OctetString]: '4',
  [VarType.OID]: '6',
  [VarType.IpAddress]: '64',
  [VarType.Counter32]: '65',
  [VarType.Gauge32]: '66',
  [VarType.TimeTicks]: '67',
  [VarType.Counter64]: '70',
};

/**
 * Collects the values of a synthetic recording and writes them as a `.snmprec` file: one
 * `OID|TAG|VALUE` line each, in OID order. Every value goes through the same checks as a
 * control API change, so a generated recording always loads.
 */
export class RecordingBuilder {
  private readonly lines = new Map<string, { arcs: number[]; line: string }>();

  add(oid: string, type: ValueTypeName, value: string | number): this {
    return this.put(oid, { type, value });
  }

  integer(oid: string, value: number): this {
    return this.put(oid, { type: 'Integer32', value });
  }

  gauge(oid: string, value: number): this {
    return this.put(oid, { type: 'Gauge32', value });
  }

  text(oid: string, value: string): this {
    return this.put(oid, { type: 'OctetString', value });
  }

  /** A BITS value: the named bit numbers set, bit 0 the most significant of the first octet. */
  bits(oid: string, setBits: readonly number[], octets = 1): this {
    const bytes = Buffer.alloc(octets);
    for (const bit of setBits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    return this.put(oid, { type: 'OctetString', hex: bytes.toString('hex') });
  }

  private put(oid: string, input: ValueInput): this {
    const arcs = parseOid(oid);
    const key = arcs.join('.');
    if (this.lines.has(key)) throw new Error(`${key} is recorded twice`);
    const typed = typedValue(input, key);
    this.lines.set(key, { arcs, line: `${key}|${snmprecValue(typed.type, typed.value, input.hex !== undefined)}` });
    return this;
  }

  /** The recording's text, sorted by OID as an agent walks it. */
  toSnmprec(): string {
    return [...this.lines.values()]
      .sort((a, b) => compareArcs(a.arcs, b.arcs))
      .map((l) => `${l.line}\n`)
      .join('');
  }
}

/** `TAG|VALUE` for one value: printable ASCII as text, anything else (or given as hex) as hex (`4x`). */
function snmprecValue(type: VarType, value: VarValue, asHex: boolean): string {
  const tag = TAG[type];
  if (tag === undefined) throw new Error(`type 0x${type.toString(16)} is not used in recordings here`);
  if (Buffer.isBuffer(value)) {
    return !asHex && /^[\x20-\x7e]*$/.test(value.toString('latin1')) ? `${tag}|${value.toString('latin1')}` : `${tag}x|${value.toString('hex')}`;
  }
  return `${tag}|${String(value)}`;
}
