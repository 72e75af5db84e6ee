import { normalizeOid, valueText } from '../profiles/cells.js';
import type { ChainLocator, RowCell, RowFilter } from '../profiles/schema.js';
import { isException, type SnmpValue, type SnmpVarbind } from '../snmp/client.js';

/** What one scan read off the wire: scalar varbinds by OID, table columns by column OID (`entry.col`). */
export interface ScanData {
  scalars: Map<string, SnmpVarbind>;
  columns: Map<string, SnmpVarbind[]>;
}

/** A table row: its index (the OID suffix after the column) and its cells by column number. */
export interface Row {
  index: string;
  cells: ReadonlyMap<number, SnmpValue>;
}

export function columnOid(entry: string, column: number): string {
  return `${entry}.${column}`;
}

/** The column OIDs a row cell reference reads, for the read plan. */
export function cellColumn(ref: RowCell, ownTable: string): string {
  return columnOid(ref.table ?? ownTable, ref.column);
}

/** Rows of a table, in index order, assembled from the walked columns by the OID suffix after `entry.col`. */
export function tableRows(data: ScanData, entry: string, columns: readonly number[]): Row[] {
  const rows = new Map<string, Map<number, SnmpValue>>();
  for (const column of columns) {
    for (const [index, value] of columnCells(data, columnOid(entry, column))) {
      let cells = rows.get(index);
      if (!cells) rows.set(index, (cells = new Map()));
      cells.set(column, value);
    }
  }
  return [...rows].sort(([a], [b]) => compareIndex(a, b)).map(([index, cells]) => ({ index, cells }));
}

/** One walked column's values by row index; exceptions and varbinds outside the column left out. */
function columnCells(data: ScanData, column: string): Map<string, SnmpValue> {
  const prefix = `${column}.`;
  const cells = new Map<string, SnmpValue>();
  for (const varbind of data.columns.get(column) ?? []) {
    const oid = normalizeOid(varbind.oid);
    if (isException(varbind.type) || !oid.startsWith(prefix)) continue;
    cells.set(oid.slice(prefix.length), varbind.value);
  }
  return cells;
}

export function compareIndex(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/**
 * Cells looked up by a row's index, in the row's own table or another one indexed like it (the
 * whole index, or its first `indexArcs` arcs). Each column is indexed once per scan.
 */
export class RowCells {
  private readonly byColumn = new Map<string, Map<string, SnmpValue>>();

  constructor(private readonly data: ScanData) {}

  get(ref: RowCell, ownTable: string, row: Row): SnmpValue | undefined {
    const index = joinIndex(row.index, ref.indexArcs);
    if (index === undefined) return undefined;
    const column = cellColumn(ref, ownTable);
    let cells = this.byColumn.get(column);
    if (!cells) this.byColumn.set(column, (cells = columnCells(this.data, column)));
    return cells.get(index);
  }

  /** Whether the row passes the filter; a row the filter cannot read (no such arc, no such cell) does not. */
  selected(filter: RowFilter | undefined, ownTable: string, row: Row): boolean {
    if (!filter) return true;
    const value = this.locate(filter, ownTable, row);
    if (typeof value !== 'number') return false;
    return filter.in ? filter.in.includes(value) : !filter.notIn!.includes(value);
  }

  /** Whether the row is of the unit at `position` of a chain (every row is, for a device without a position). */
  ofUnit(locator: ChainLocator | undefined, position: number | undefined, ownTable: string, row: Row): boolean {
    if (!locator || position === undefined) return true;
    return this.locate(locator, ownTable, row) === position;
  }

  private locate(at: { cell?: RowCell | undefined; indexArc?: number | undefined }, ownTable: string, row: Row): SnmpValue | undefined {
    return at.cell ? this.get(at.cell, ownTable, row) : indexArc(row.index, at.indexArc!);
  }

  /** The first non-empty text among the cells, else the row index. */
  label(refs: readonly RowCell[], ownTable: string, row: Row): string {
    for (const ref of refs) {
      const text = valueText(this.get(ref, ownTable, row));
      if (text) return text;
    }
    return row.index;
  }
}

function joinIndex(index: string, arcs: number | undefined): string | undefined {
  if (arcs === undefined) return index;
  const parts = index.split('.');
  return parts.length < arcs ? undefined : parts.slice(0, arcs).join('.');
}

function indexArc(index: string, position: number): number | undefined {
  const arc = index.split('.')[position - 1];
  return arc === undefined || arc === '' ? undefined : Number(arc);
}
