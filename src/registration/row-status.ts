// Registration rows created, repaired and destroyed with RFC 2579 RowStatus:
// the hidden table and the RFC 3413 tables both work this way.
import { ROW_STATUS } from '../profiles/oids.js';
import type { SnmpClient } from '../snmp/client.js';
import { holds, lookup, readCellValues, refusesActiveRowChange, verifyCells, writeCells, type Cell, type CellValues } from './cells.js';
import { RegistrationError, type RegistrationOutcome } from './method.js';

/** One conceptual row priscan owns: the cells it must hold and its RowStatus instance. */
export interface OwnedRow {
  cells: readonly Cell[];
  rowStatus: { name: string; oid: string };
}

const statusCell = (row: OwnedRow, value: number): Cell => ({ ...row.rowStatus, type: 'Integer', value });

/**
 * Ensures every row, in the order given (a row others refer to comes first).
 * One GET reads them all; rows already intact cost nothing more. Anything
 * written is read back.
 */
export async function ensureRows(client: SnmpClient, rows: readonly OwnedRow[]): Promise<RegistrationOutcome> {
  const wanted = rows.flatMap((row) => [...row.cells, statusCell(row, ROW_STATUS.active)]);
  const found = await readCellValues(client, wanted);
  const outcomes: RegistrationOutcome[] = [];
  for (const row of rows) outcomes.push(await ensureRow(client, row, found));
  if (outcomes.every((o) => o === 'verified')) return 'verified';
  await verifyCells(client, wanted);
  return outcomes.every((o) => o === 'created') ? 'created' : 'repaired';
}

async function ensureRow(client: SnmpClient, row: OwnedRow, found: CellValues): Promise<RegistrationOutcome> {
  const status = lookup(found, statusCell(row, ROW_STATUS.active))?.value;
  if (typeof status !== 'number') {
    await create(client, row);
    return 'created';
  }
  if (status !== ROW_STATUS.active) {
    // notInService or notReady: someone took it out of service or never finished it. Start over.
    await writeCells(client, [statusCell(row, ROW_STATUS.destroy)]);
    await create(client, row);
    return 'repaired';
  }
  const drifted = row.cells.filter((cell) => !holds(lookup(found, cell), cell));
  if (drifted.length === 0) return 'verified';
  await modifyActiveRow(client, row, drifted);
  return 'repaired';
}

/** RowStatus last: agents that check the row at activation see every column of the same SET first. */
function create(client: SnmpClient, row: OwnedRow): Promise<void> {
  return writeCells(client, [...row.cells, statusCell(row, ROW_STATUS.createAndGo)]);
}

/**
 * Writes the drifted cells of an active row. Some agents refuse changes to an
 * active row (net-snmp's target tables answer inconsistentValue): then the
 * row is taken out of service, changed, and activated again.
 */
async function modifyActiveRow(client: SnmpClient, row: OwnedRow, drifted: readonly Cell[]): Promise<void> {
  try {
    await writeCells(client, drifted);
    return;
  } catch (error) {
    if (!refusesActiveRowChange(error)) throw error;
  }
  await writeCells(client, [statusCell(row, ROW_STATUS.notInService)]);
  try {
    await writeCells(client, drifted);
  } catch (error) {
    // Leave the row as it was found rather than out of service; the refusal is what matters.
    await writeCells(client, [statusCell(row, ROW_STATUS.active)]).catch(() => undefined);
    throw error;
  }
  await writeCells(client, [statusCell(row, ROW_STATUS.active)]);
}

/** Destroys each row that exists, in the order given (a row others refer to goes last); absent rows are fine. */
export async function removeRows(client: SnmpClient, rows: readonly OwnedRow[]): Promise<void> {
  const statuses = rows.map((row) => statusCell(row, ROW_STATUS.destroy));
  const found = await readCellValues(client, statuses);
  const present = rows.filter((_, i) => lookup(found, statuses[i] as Cell) !== undefined);
  if (present.length === 0) return;
  for (const row of present) await writeCells(client, [statusCell(row, ROW_STATUS.destroy)]);
  const after = await readCellValues(client, statuses);
  const left = statuses.filter((cell) => lookup(after, cell) !== undefined);
  if (left.length > 0) {
    throw new RegistrationError('read-back-mismatch', `device still holds rows after destroy: ${left.map((c) => c.name).join(', ')}`);
  }
}
