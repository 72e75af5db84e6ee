import { ROW_STATUS } from '../../src/profiles/oids.js';
import { ErrorStatus, VarType, type VarValue } from '../../src/snmp/message.js';
import { formatOid, parseOid, type Arcs } from './oid.js';

export type Access = 'not-accessible' | 'read-only' | 'read-write' | 'read-create';

export interface ColumnDef {
  col: number;
  name: string;
  type: VarType;
  access: Access;
  /** Allowed OCTET STRING lengths, inclusive. */
  size?: readonly [number, number];
  /** Allowed integer range, inclusive. */
  range?: readonly [number, number];
  /** Allowed enumerated values. */
  values?: readonly number[];
  /** Value a row created by RowStatus gets when the SET does not supply one. */
  defVal?: VarValue;
}

export interface Row {
  readonly index: Arcs;
  readonly values: Map<number, VarValue>;
}

/** A rejected SET: the RFC 3416 error status (v2c names; mapped for v1 on the wire). */
export class SetError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface TableOptions {
  /** Column holding RowStatus; rows can then be created and destroyed by SET. */
  rowStatusCol?: number;
  /** Most rows a manager may create; more is resourceUnavailable. */
  maxRows?: number;
  /** Whether an index names a row that may exist (checked before creation). */
  isValidIndex?: (index: Arcs) => boolean;
  /** Device rules checked on the row as it would be after the SET; throw SetError to refuse. */
  validateRow?: (row: Row, created: boolean) => void;
  /** Called once after a SET changed rows of this table. */
  onChange?: () => void;
}

/**
 * One conceptual table of a simulated device. Rows are kept sorted by index so
 * walks are cheap; tables here hold tens of rows, never thousands.
 */
export class SimTable {
  readonly entry: Arcs;
  readonly entryOid: string;
  private readonly columnsByNumber: Map<number, ColumnDef>;
  private rowsByKey = new Map<string, Row>();
  private sorted: Row[] | undefined;
  /** Bumped whenever rows are added or removed, so the store can re-sort. */
  structureVersion = 0;

  constructor(
    entryOid: string,
    readonly columns: readonly ColumnDef[],
    readonly options: TableOptions = {},
  ) {
    this.entryOid = entryOid;
    this.entry = parseOid(entryOid);
    this.columnsByNumber = new Map(columns.map((c) => [c.col, c]));
  }

  column(col: number): ColumnDef | undefined {
    return this.columnsByNumber.get(col);
  }

  get size(): number {
    return this.rowsByKey.size;
  }

  rows(): readonly Row[] {
    if (!this.sorted) {
      this.sorted = [...this.rowsByKey.values()].sort((a, b) => compareIndex(a.index, b.index));
    }
    return this.sorted;
  }

  getRow(index: Arcs): Row | undefined {
    return this.rowsByKey.get(formatOid(index));
  }

  /** Adds or replaces a row (agent-side; no access checks). */
  setRow(index: Arcs, values: Record<number, VarValue>): Row {
    const key = formatOid(index);
    const existing = this.rowsByKey.get(key);
    const row: Row = existing ?? { index: [...index], values: new Map() };
    for (const [col, value] of Object.entries(values)) row.values.set(Number(col), value);
    if (!existing) {
      this.rowsByKey.set(key, row);
      this.structureChanged();
    }
    return row;
  }

  setCell(index: Arcs, col: number, value: VarValue): void {
    const row = this.getRow(index);
    if (!row) throw new RangeError(`no row ${formatOid(index)} in ${this.entryOid}`);
    row.values.set(col, value);
  }

  deleteRow(index: Arcs): boolean {
    const deleted = this.rowsByKey.delete(formatOid(index));
    if (deleted) this.structureChanged();
    return deleted;
  }

  clear(): void {
    if (this.rowsByKey.size === 0) return;
    this.rowsByKey.clear();
    this.structureChanged();
  }

  /** Value served for column `col` of a row, if that instance exists and is readable. */
  readable(row: Row, col: number): boolean {
    const def = this.columnsByNumber.get(col);
    return def !== undefined && def.access !== 'not-accessible' && row.values.has(col);
  }

  private structureChanged(): void {
    this.sorted = undefined;
    this.structureVersion++;
  }
}

function compareIndex(a: Arcs, b: Arcs): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Checks one SET value against its column's type and constraints. */
export function checkColumnValue(def: ColumnDef, type: VarType, value: VarValue): void {
  if (def.access === 'not-accessible' || def.access === 'read-only') {
    throw new SetError(ErrorStatus.notWritable, `${def.name} is not writable`);
  }
  if (type !== def.type) {
    throw new SetError(ErrorStatus.wrongType, `${def.name} takes type 0x${def.type.toString(16)}, got 0x${type.toString(16)}`);
  }
  if (def.size && Buffer.isBuffer(value)) {
    const [min, max] = def.size;
    if (value.length < min || value.length > max) {
      throw new SetError(ErrorStatus.wrongLength, `${def.name} must be ${min === max ? min : `${min}..${max}`} octets, got ${value.length}`);
    }
  }
  if (typeof value === 'number') {
    if (def.values && !def.values.includes(value)) {
      throw new SetError(ErrorStatus.wrongValue, `${def.name} does not take ${value}`);
    }
    if (def.range && (value < def.range[0] || value > def.range[1])) {
      throw new SetError(ErrorStatus.wrongValue, `${def.name} must be ${def.range[0]}..${def.range[1]}, got ${value}`);
    }
  }
}

export const ROW_STATUS_VALUES = Object.values(ROW_STATUS);

/** The RowStatus column definition every creatable table uses. */
export function rowStatusColumn(col: number, name: string): ColumnDef {
  return { col, name, type: VarType.Integer, access: 'read-create', values: ROW_STATUS_VALUES };
}

/** A row rule: these columns must hold values before the row may be active (RFC 2579 notReady). */
export function requireWhenActive(statusCol: number, required: Record<number, string>): (row: Row) => void {
  return (row) => {
    if (row.values.get(statusCol) !== ROW_STATUS.active) return;
    for (const [col, name] of Object.entries(required)) {
      if (!row.values.has(Number(col))) {
        throw new SetError(ErrorStatus.inconsistentValue, `${name} must be set before the row is active`);
      }
    }
  };
}
