import type { DeviceMib } from '../agent/mib.js';
import { formatOid, oidProblem, parseOid, type Arcs } from '../agent/oid.js';
import { VarType, type VarBind, type VarValue } from '../../src/snmp/message.js';
import { parseRecordedValue, SnmprecError } from './snmprec.js';

/**
 * Value types a change names, as the SMI spells them (Unsigned32 is Gauge32 on the wire).
 * `numeric`: the value may be a JSON number; `hex`: the value may be given as hex octets.
 */
export const VALUE_TYPES = {
  Integer32: { type: VarType.Integer, numeric: true, hex: false },
  OctetString: { type: VarType.OctetString, numeric: false, hex: true },
  ObjectIdentifier: { type: VarType.OID, numeric: false, hex: false },
  IpAddress: { type: VarType.IpAddress, numeric: false, hex: false },
  Counter32: { type: VarType.Counter32, numeric: true, hex: false },
  Gauge32: { type: VarType.Gauge32, numeric: true, hex: false },
  Unsigned32: { type: VarType.Gauge32, numeric: true, hex: false },
  TimeTicks: { type: VarType.TimeTicks, numeric: true, hex: false },
  Counter64: { type: VarType.Counter64, numeric: true, hex: false },
  Opaque: { type: VarType.Opaque, numeric: false, hex: true },
  Null: { type: VarType.Null, numeric: false, hex: false },
} as const;
export type ValueTypeName = keyof typeof VALUE_TYPES;
export const VALUE_TYPE_NAMES = Object.keys(VALUE_TYPES) as ValueTypeName[];

/** Largest OCTET STRING the SMI allows (RFC 2578 7.1.2). */
const MAX_OCTETS = 65535;
const MAX_ARC = 0xffffffff;

/** A value as a change gives it: `value` (text, or a number for numeric types) or `hex` octets. */
export interface ValueInput {
  type: ValueTypeName;
  value?: string | number;
  hex?: string;
}

/** A table row as a change gives it: the entry OID, the index after the column, and cells by column. */
export interface RowInput {
  entry: string;
  /** Dotted numbers, e.g. `7` or `1.1.4`. */
  index: string;
  columns: Readonly<Record<string, ValueInput>>;
}

export interface RowRef {
  entry: string;
  index: string;
}

/** Changes applied as one unit: every one is checked first; removals go before writes. */
export interface RecordingChanges {
  set?: ReadonlyArray<{ oid: string } & ValueInput>;
  delete?: readonly string[];
  setRows?: readonly RowInput[];
  deleteRows?: readonly RowRef[];
}

export interface ChangeSummary {
  changed: boolean;
  written: number;
  removed: number;
}

/** A change refused before anything changed; its message says which part and why. */
export class RecordingChangeError extends Error {}

export interface ChangePlan {
  removals: string[];
  writes: VarBind[];
}

/** The typed value a ValueInput stands for, checked as a recording's values are. */
export function typedValue(input: ValueInput, where: string): { type: VarType; value: VarValue } {
  const spec = Object.hasOwn(VALUE_TYPES, input.type) ? VALUE_TYPES[input.type] : undefined;
  if (!spec) throw new RecordingChangeError(`${where}: type must be one of ${VALUE_TYPE_NAMES.join(', ')}, got "${String(input.type)}"`);
  const named = `${where} (${input.type})`;
  if (input.type === 'Null') {
    if (input.value !== undefined || input.hex !== undefined) throw new RecordingChangeError(`${named}: a Null has no value`);
    return { type: VarType.Null, value: null };
  }
  if (input.value !== undefined && input.hex !== undefined) throw new RecordingChangeError(`${named}: give value or hex, not both`);
  let text: string;
  if (input.hex !== undefined) {
    if (!spec.hex) throw new RecordingChangeError(`${named}: only OctetString and Opaque take hex`);
    text = input.hex;
  } else if (input.value !== undefined) {
    if (typeof input.value === 'number' && !spec.numeric) throw new RecordingChangeError(`${named}: the value must be a string`);
    text = String(input.value);
  } else {
    throw new RecordingChangeError(`${named}: needs a value${spec.hex ? ' (or hex)' : ''}`);
  }
  try {
    const value = parseRecordedValue(spec.type, text, input.hex !== undefined, named);
    if (Buffer.isBuffer(value) && value.length > MAX_OCTETS) throw new RecordingChangeError(`${named}: ${value.length} octets is more than ${MAX_OCTETS}`);
    return { type: spec.type, value };
  } catch (error) {
    if (error instanceof SnmprecError) throw new RecordingChangeError(error.message);
    throw error;
  }
}

/**
 * Checks every change against the device's MIB without touching it: OIDs must be valid and
 * outside the tables the device emulates (its registration table answers SETs itself), no OID
 * may be written twice, and each value must fit its type.
 */
export function planChanges(changes: RecordingChanges, mib: DeviceMib): ChangePlan {
  const count = (changes.set?.length ?? 0) + (changes.delete?.length ?? 0) + (changes.setRows?.length ?? 0) + (changes.deleteRows?.length ?? 0);
  if (count === 0) throw new RecordingChangeError('no changes given: name values to set or delete, or rows to set or delete');
  const recorded = (text: string, where: string): Arcs => {
    const arcs = checkedOid(text, where);
    const table = mib.tableAt(arcs);
    if (table) {
      throw new RecordingChangeError(`${where}: ${formatOid(arcs)} is in ${table.entryOid}, the table the device's registration emulates; managers change it with SET`);
    }
    return arcs;
  };
  const removals = new Set<string>();
  (changes.deleteRows ?? []).forEach((row, i) => {
    const where = `deleteRows[${i}]`;
    const entry = recorded(row.entry, `${where}.entry`);
    const index = checkedIndex(row.index, `${where}.index`);
    for (const oid of mib.scalarsUnder(entry)) {
      const arcs = parseOid(oid);
      if (arcs.length === entry.length + 1 + index.length && formatOid(arcs.slice(entry.length + 1)) === formatOid(index)) removals.add(oid);
    }
  });
  (changes.delete ?? []).forEach((text, i) => {
    const oid = formatOid(recorded(text, `delete[${i}]`));
    if (mib.hasScalar(oid)) removals.add(oid);
  });
  const writes = new Map<string, VarBind>();
  const write = (oid: string, input: ValueInput, where: string) => {
    if (writes.has(oid)) throw new RecordingChangeError(`${where}: ${oid} is written twice in one change`);
    writes.set(oid, { oid, ...typedValue(input, `${where} ${oid}`) });
  };
  (changes.setRows ?? []).forEach((row, i) => {
    const where = `setRows[${i}]`;
    const entry = formatOid(checkedOid(row.entry, `${where}.entry`));
    const index = formatOid(checkedIndex(row.index, `${where}.index`));
    const columns = Object.entries(row.columns ?? {});
    if (columns.length === 0) throw new RecordingChangeError(`${where}: a row needs at least one column`);
    for (const [col, input] of columns) {
      if (!/^[1-9]\d{0,9}$/.test(col) || Number(col) > MAX_ARC) throw new RecordingChangeError(`${where}: column "${col}" must be a whole number from 1 to ${MAX_ARC}`);
      write(formatOid(recorded(`${entry}.${col}.${index}`, where)), input, `${where}.columns.${col}`);
    }
  });
  (changes.set ?? []).forEach((change, i) => {
    const where = `set[${i}]`;
    write(formatOid(recorded(change.oid, `${where}.oid`)), change, where);
  });
  return { removals: [...removals], writes: [...writes.values()] };
}

/** The arcs of a valid OID, or a RecordingChangeError naming `where` and the reason. */
export function checkedOid(text: string, where: string): Arcs {
  const problem = oidProblem(String(text));
  if (problem) throw new RecordingChangeError(`${where}: "${String(text)}" is not a valid OID: ${problem}`);
  return parseOid(String(text));
}

function checkedIndex(text: string, where: string): Arcs {
  const valid = /^\d{1,10}(\.\d{1,10})*$/.test(String(text));
  const arcs = valid ? String(text).split('.').map(Number) : [];
  if (!valid || arcs.some((a) => a > MAX_ARC)) throw new RecordingChangeError(`${where}: "${String(text)}" is not a row index: dotted numbers, e.g. 7 or 1.1.4`);
  return arcs;
}
