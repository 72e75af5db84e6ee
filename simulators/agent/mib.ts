import { ROW_STATUS } from '../../src/profiles/oids.js';
import { ErrorStatus, VarType, type VarBind, type VarValue } from '../../src/snmp/message.js';
import { compareArcs, formatOid, parseOid, startsWith, type Arcs } from './oid.js';
import { checkColumnValue, SetError, SimTable, type ColumnDef, type Row } from './table.js';

export interface TypedValue {
  type: VarType;
  value: VarValue;
}

interface Scalar {
  readonly arcs: Arcs;
  readonly type: VarType;
  read: () => VarValue;
  writable?: { def: ColumnDef; onSet: (value: VarValue) => void };
}

interface Instance {
  readonly arcs: Arcs;
  readonly read: () => TypedValue;
}

interface StagedRow {
  table: SimTable;
  index: Arcs;
  existing: Row | undefined;
  values: Map<number, VarValue>;
  firstVarbind: number;
  rowStatusVarbind: number;
  creating?: boolean;
}

/** A SET refused at one varbind (1-based errorIndex as on the wire). */
export class SetFailure extends Error {
  constructor(readonly status: number, readonly errorIndex: number, message: string) {
    super(message);
  }
}

/**
 * The management information of one simulated device: scalars and tables,
 * answered in lexicographic order. Each device has its own small store; the
 * fleet never shares one large tree.
 */
export class DeviceMib {
  private readonly scalars = new Map<string, Scalar>();
  private readonly tables: SimTable[] = [];
  private scalarVersion = 0;
  private builtVersion = -1;
  private instances: Instance[] = [];
  private instanceByOid = new Map<string, Instance>();
  /** OIDs of objects (scalar objects and table columns) for noSuchInstance vs noSuchObject. */
  private objectPrefixes: Arcs[] = [];

  addScalar(oid: string, type: VarType, value: VarValue | (() => VarValue)): void {
    const read = typeof value === 'function' ? value : () => value;
    this.scalars.set(oid, { arcs: parseOid(oid), type, read });
    this.scalarVersion++;
  }

  /** A scalar a manager may SET; `onSet` receives the checked value. */
  addWritableScalar(oid: string, def: ColumnDef, read: () => VarValue, onSet: (value: VarValue) => void): void {
    this.scalars.set(oid, { arcs: parseOid(oid), type: def.type, read, writable: { def, onSet } });
    this.scalarVersion++;
  }

  removeScalar(oid: string): void {
    if (this.scalars.delete(oid)) this.scalarVersion++;
  }

  hasScalar(oid: string): boolean {
    return this.scalars.has(oid);
  }

  /** OIDs of the scalars below `prefix`, in no particular order. */
  scalarsUnder(prefix: Arcs): string[] {
    return [...this.scalars.entries()].filter(([, s]) => startsWith(s.arcs, prefix) && s.arcs.length > prefix.length).map(([oid]) => oid);
  }

  /** The table whose entry holds `arcs`, if the device serves one there. */
  tableAt(arcs: Arcs): SimTable | undefined {
    return this.tables.find((t) => startsWith(arcs, t.entry) && arcs.length > t.entry.length);
  }

  addTable(table: SimTable): SimTable {
    this.tables.push(table);
    this.scalarVersion++;
    return table;
  }

  get(oid: string): TypedValue {
    this.refresh();
    const instance = this.instanceByOid.get(oid);
    if (instance) return instance.read();
    const arcs = parseOid(oid);
    const underObject = this.objectPrefixes.some((p) => startsWith(arcs, p) && arcs.length > p.length);
    return { type: underObject ? VarType.NoSuchInstance : VarType.NoSuchObject, value: null };
  }

  /** The first instance after `oid`, or undefined at the end of the MIB view. */
  next(oid: Arcs): VarBind | undefined {
    this.refresh();
    let lo = 0;
    let hi = this.instances.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareArcs((this.instances[mid] as Instance).arcs, oid) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const found = this.instances[lo];
    if (!found) return undefined;
    return { oid: formatOid(found.arcs), ...found.read() };
  }

  /** Every instance in order (for dumps and tests). */
  walk(): VarBind[] {
    this.refresh();
    return this.instances.map((i) => ({ oid: formatOid(i.arcs), ...i.read() }));
  }

  /**
   * Applies a SET as one unit: every varbind is checked first, then all are
   * committed, or none is (RFC 3416 4.2.5).
   */
  set(varbinds: readonly VarBind[]): void {
    const scalarWrites: Array<{ scalar: Scalar; value: VarValue }> = [];
    const staged = new Map<string, StagedRow>();
    varbinds.forEach((vb, i) => {
      try {
        this.stage(vb, i, scalarWrites, staged);
      } catch (error) {
        if (error instanceof SetError) throw new SetFailure(error.status, i + 1, error.message);
        throw error;
      }
    });
    const rows = [...staged.values()];
    for (const row of rows) this.finishRow(row);
    this.commit(scalarWrites, rows);
  }

  private stage(vb: VarBind, i: number, scalarWrites: Array<{ scalar: Scalar; value: VarValue }>, staged: Map<string, StagedRow>): void {
    const scalar = this.scalars.get(vb.oid);
    if (scalar) {
      if (!scalar.writable) throw new SetError(ErrorStatus.notWritable, `${vb.oid} is not writable`);
      checkColumnValue(scalar.writable.def, vb.type, vb.value);
      scalarWrites.push({ scalar, value: vb.value });
      return;
    }
    const arcs = parseOid(vb.oid);
    const table = this.tableAt(arcs);
    if (!table) throw new SetError(ErrorStatus.notWritable, `${vb.oid} names no writable object`);
    const col = arcs[table.entry.length] as number;
    const def = table.column(col);
    if (!def) throw new SetError(ErrorStatus.notWritable, `${vb.oid} names no column of ${table.entryOid}`);
    const index = arcs.slice(table.entry.length + 1);
    checkColumnValue(def, vb.type, vb.value);
    const key = `${table.entryOid}|${formatOid(index)}`;
    let row = staged.get(key);
    if (!row) {
      row = { table, index, existing: table.getRow(index), values: new Map(), firstVarbind: i, rowStatusVarbind: i };
      staged.set(key, row);
    }
    if (row.values.has(col)) throw new SetError(ErrorStatus.inconsistentValue, `${def.name} set twice in one request`);
    if (col === table.options.rowStatusCol) {
      row.rowStatusVarbind = i;
      const creatingInThisSet = [...staged.values()].filter((r) => r !== row && r.table === table && r.creating).length;
      this.checkRowStatusTransition(table, row, vb.value as number, creatingInThisSet);
      row.creating = vb.value === ROW_STATUS.createAndGo || vb.value === ROW_STATUS.createAndWait;
    }
    row.values.set(col, vb.value);
  }

  private checkRowStatusTransition(table: SimTable, row: StagedRow, status: number, creatingInThisSet: number): void {
    const exists = row.existing !== undefined;
    switch (status) {
      case ROW_STATUS.createAndGo:
      case ROW_STATUS.createAndWait:
        if (exists) throw new SetError(ErrorStatus.inconsistentValue, 'row already exists');
        if (index0(row.index) || !(table.options.isValidIndex?.(row.index) ?? true)) {
          throw new SetError(ErrorStatus.noCreation, `no row can exist at index ${formatOid(row.index) || '(none)'}`);
        }
        if (table.options.maxRows !== undefined && table.size + creatingInThisSet >= table.options.maxRows) {
          throw new SetError(ErrorStatus.resourceUnavailable, `table is full (${table.options.maxRows} rows)`);
        }
        return;
      case ROW_STATUS.active:
      case ROW_STATUS.notInService:
        if (!exists) throw new SetError(ErrorStatus.inconsistentValue, 'row does not exist');
        return;
      case ROW_STATUS.destroy:
        return;
      default:
        throw new SetError(ErrorStatus.wrongValue, `RowStatus cannot be set to ${status}`);
    }
  }

  private finishRow(row: StagedRow): void {
    const { table } = row;
    const statusCol = table.options.rowStatusCol;
    const requested = statusCol === undefined ? undefined : row.values.get(statusCol);
    if (requested === ROW_STATUS.destroy) return;
    const creating = requested === ROW_STATUS.createAndGo || requested === ROW_STATUS.createAndWait;
    if (!row.existing && !creating) {
      throw new SetFailure(ErrorStatus.noCreation, row.firstVarbind + 1, `no row ${formatOid(row.index)} in ${table.entryOid}`);
    }
    const merged = new Map<number, VarValue>(row.existing?.values ?? []);
    if (creating) {
      for (const def of table.columns) {
        if (!merged.has(def.col) && def.defVal !== undefined) merged.set(def.col, def.defVal);
      }
    }
    for (const [col, value] of row.values) merged.set(col, value);
    if (creating && statusCol !== undefined) {
      merged.set(statusCol, requested === ROW_STATUS.createAndGo ? ROW_STATUS.active : ROW_STATUS.notInService);
    }
    try {
      table.options.validateRow?.({ index: row.index, values: merged }, creating);
    } catch (error) {
      if (error instanceof SetError) throw new SetFailure(error.status, row.rowStatusVarbind + 1, error.message);
      throw error;
    }
    row.values = merged;
  }

  private commit(scalarWrites: Array<{ scalar: Scalar; value: VarValue }>, rows: StagedRow[]): void {
    for (const { scalar, value } of scalarWrites) scalar.writable?.onSet(value);
    const changed = new Set<SimTable>();
    for (const row of rows) {
      const statusCol = row.table.options.rowStatusCol;
      if (statusCol !== undefined && row.values.get(statusCol) === ROW_STATUS.destroy) {
        row.table.deleteRow(row.index);
      } else {
        row.table.setRow(row.index, Object.fromEntries(row.values));
      }
      changed.add(row.table);
    }
    for (const table of changed) table.options.onChange?.();
  }

  private refresh(): void {
    const version = this.tables.reduce((sum, t) => sum + t.structureVersion, this.scalarVersion);
    if (version === this.builtVersion) return;
    const instances: Instance[] = [];
    const prefixes: Arcs[] = [];
    for (const scalar of this.scalars.values()) {
      instances.push({ arcs: scalar.arcs, read: () => ({ type: scalar.type, value: scalar.read() }) });
      prefixes.push(scalar.arcs.slice(0, -1));
    }
    for (const table of this.tables) {
      for (const def of table.columns) {
        // A not-accessible column is no object a request can reach: noSuchObject, not noSuchInstance.
        if (def.access === 'not-accessible') continue;
        prefixes.push([...table.entry, def.col]);
        for (const row of table.rows()) {
          if (!table.readable(row, def.col)) continue;
          instances.push({
            arcs: [...table.entry, def.col, ...row.index],
            read: () => ({ type: def.type, value: row.values.get(def.col) ?? null }),
          });
        }
      }
    }
    instances.sort((a, b) => compareArcs(a.arcs, b.arcs));
    this.instances = instances;
    this.instanceByOid = new Map(instances.map((i) => [formatOid(i.arcs), i]));
    this.objectPrefixes = prefixes;
    this.builtVersion = version;
  }
}

function index0(index: Arcs): boolean {
  return index.length === 0;
}
