import { APC } from '../profiles/oids.js';
import { addressKey } from '../snmp/address.js';
import { isException, type SnmpClient, type SnmpVarbind } from '../snmp/client.js';
import { holds, lookup, registrationError, requireIpv4, verifyCells, writeCells, type Cell } from './cells.js';
import { RegistrationError, type ManagerRegistration, type RegistrationMethod, type RegistrationOutcome } from './method.js';

const C = APC.trapReceiverCol;
/** receiverAddr of a row no manager holds. */
const FREE_ADDRESS = '0.0.0.0';
const ENTRY_ARCS = APC.trapReceiverEntry.split('.').length;

/** One row of mconfigTrapReceiverTable as read: its trapIndex, receiverAddr and every cell by OID. */
interface ReceiverRow {
  index: number;
  address: unknown;
  found: Map<string, SnmpVarbind>;
}

const cellOid = (col: number, index: number): string => `${APC.trapReceiverEntry}.${col}.${index}`;

const receiverAddr = (index: number, address: string): Cell => ({
  name: 'receiverAddr',
  oid: cellOid(C.receiverAddr, index),
  type: 'IpAddress',
  value: address,
});
const communityString = (index: number, community: string): Cell => ({
  name: 'communityString',
  oid: cellOid(C.communityString, index),
  type: 'OctetString',
  value: Buffer.from(community, 'utf8'),
  secret: true,
});
const acceptThisReceiver = (index: number, accept: number): Cell => ({
  name: 'acceptThisReceiver',
  oid: cellOid(C.acceptThisReceiver, index),
  type: 'Integer',
  value: accept,
});

/** What our row must hold. */
function ownedCells(index: number, manager: ManagerRegistration): Cell[] {
  return [
    receiverAddr(index, manager.address),
    communityString(index, manager.community),
    acceptThisReceiver(index, APC.acceptThisReceiver.yes),
  ];
}

/** The whole table in one walk, rows in index order. */
async function readReceivers(client: SnmpClient): Promise<ReceiverRow[]> {
  let varbinds: SnmpVarbind[];
  try {
    varbinds = await client.subtree(APC.trapReceiverEntry);
  } catch (error) {
    throw registrationError(error, ['mconfigTrapReceiverTable'], 'read');
  }
  const rows = new Map<number, ReceiverRow>();
  for (const vb of varbinds) {
    if (isException(vb.type)) continue;
    const oid = vb.oid.replace(/^\./, '');
    const [col, index, ...rest] = oid.split('.').slice(ENTRY_ARCS).map(Number);
    // Fixed rows are indexed by one integer, trapIndex.
    if (col === undefined || index === undefined || rest.length > 0) continue;
    const row = rows.get(index) ?? { index, address: undefined, found: new Map() };
    row.found.set(oid, vb);
    // Compared with ours in the one spelling priscan keeps of an address, whatever spelling the card reports.
    if (col === C.receiverAddr) row.address = typeof vb.value === 'string' ? addressKey(vb.value) : vb.value;
    rows.set(index, row);
  }
  return [...rows.values()].sort((a, b) => a.index - b.index);
}

/** The manager with its address as the card shows an IpAddress (no leading zeros). */
function canonical(manager: ManagerRegistration): ManagerRegistration {
  return { ...manager, address: requireIpv4(manager.address, 'receiverAddr is an IpAddress').join('.') };
}

/**
 * PowerNet mconfigTrapReceiverTable: fixed rows, no RowStatus. priscan uses
 * the row that already holds its address, or else the first free (0.0.0.0)
 * row, and never writes a row that holds another address.
 *
 * The table has no port column: the card always sends to port 162, so
 * ensure() ignores manager.port (the notification listener must be reachable
 * on 162 for these devices).
 */
export const apcReceiverTable: RegistrationMethod = {
  name: 'apc-receiver-table',

  async ensure(client: SnmpClient, given: ManagerRegistration): Promise<RegistrationOutcome> {
    const manager = canonical(given);
    const rows = await readReceivers(client);
    const ours = rows.find((row) => row.address === manager.address);
    if (ours) {
      const wanted = ownedCells(ours.index, manager);
      const drifted = wanted.filter((cell) => !holds(lookup(ours.found, cell), cell));
      if (drifted.length === 0) return 'verified';
      await writeCells(client, drifted);
      await verifyCells(client, wanted);
      return 'repaired';
    }
    const free = rows.find((row) => row.address === FREE_ADDRESS);
    if (!free) {
      const others = rows.map((row) => String(row.address ?? '?'));
      throw new RegistrationError(
        'no-free-row',
        `the card has ${rows.length} trap receiver rows and every row belongs to another manager (${others.join(', ') || 'none'}); ` +
          'free one on the card (set its receiver address to 0.0.0.0) so priscan can register',
      );
    }
    const wanted = ownedCells(free.index, manager);
    await writeCells(client, wanted);
    await verifyCells(client, wanted);
    return 'created';
  },

  async remove(client: SnmpClient, given: ManagerRegistration): Promise<void> {
    const manager = canonical(given);
    const ours = (await readReceivers(client)).filter((row) => row.address === manager.address);
    for (const row of ours) {
      // communityString is SIZE(0..15): the empty string leaves no secret behind.
      const freed = [receiverAddr(row.index, FREE_ADDRESS), communityString(row.index, ''), acceptThisReceiver(row.index, APC.acceptThisReceiver.no)];
      await writeCells(client, freed);
      await verifyCells(client, freed);
    }
  },
};
