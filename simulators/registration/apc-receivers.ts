import { APC } from '../../src/profiles/oids.js';
import type { DeviceMib } from '../agent/mib.js';
import type { NotificationTarget } from '../agent/notification.js';
import { SimTable } from '../agent/table.js';
import type { RegistrationModel } from '../devices/device.js';
import { VarType } from '../../src/snmp/message.js';

const C = APC.trapReceiverCol;
/** Rows an APC network management card offers. */
export const APC_RECEIVER_ROWS = 4;
const FREE_ADDRESS = '0.0.0.0';

/**
 * PowerNet mconfigTrapReceiverTable: fixed rows, no RowStatus. A manager
 * registers by writing its address into a free (0.0.0.0) row.
 */
export class ApcTrapReceivers implements RegistrationModel {
  readonly method = 'apc-receiver-table' as const;
  readonly table = new SimTable(APC.trapReceiverEntry, [
    { col: C.index, name: 'trapIndex', type: VarType.Integer, access: 'read-only' },
    { col: C.receiverAddr, name: 'receiverAddr', type: VarType.IpAddress, access: 'read-write' },
    { col: C.communityString, name: 'communityString', type: VarType.OctetString, access: 'read-write', size: [0, 15] },
    {
      col: C.acceptThisReceiver,
      name: 'acceptThisReceiver',
      type: VarType.Integer,
      access: 'read-write',
      values: Object.values(APC.acceptThisReceiver),
    },
  ]);

  constructor(private readonly trapPort: number) {
    this.reset();
  }

  install(mib: DeviceMib): void {
    mib.addTable(this.table);
  }

  targets(): NotificationTarget[] {
    return this.table
      .rows()
      .filter(
        (row) =>
          row.values.get(C.acceptThisReceiver) === APC.acceptThisReceiver.yes &&
          row.values.get(C.receiverAddr) !== FREE_ADDRESS,
      )
      .map((row) => ({
        address: row.values.get(C.receiverAddr) as string,
        port: this.trapPort,
        community: (row.values.get(C.communityString) as Buffer).toString('utf8'),
        version: 'v1',
        type: 'trap',
      }));
  }

  clear(): void {
    this.reset();
  }

  private reset(): void {
    for (let i = 1; i <= APC_RECEIVER_ROWS; i++) {
      this.table.setRow([i], {
        [C.index]: i,
        [C.receiverAddr]: FREE_ADDRESS,
        [C.communityString]: Buffer.from('public'),
        [C.acceptThisReceiver]: APC.acceptThisReceiver.no,
      });
    }
  }
}
