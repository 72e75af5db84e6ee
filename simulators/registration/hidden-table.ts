import { PRISCAN_SIM, ROW_STATUS } from '../../src/profiles/oids.js';
import type { DeviceMib } from '../agent/mib.js';
import type { NotificationTarget } from '../agent/notification.js';
import { requireWhenActive, rowStatusColumn, SimTable } from '../agent/table.js';
import type { RegistrationModel } from '../devices/device.js';
import { VarType } from '../../src/snmp/message.js';

const C = PRISCAN_SIM.regCol;

/**
 * PRISCAN-SIM-MIB priscanRegTable: a manager registers by creating the row
 * indexed by its own address and port. Indexing by the manager means a
 * manager can never overwrite another's registration.
 */
export class HiddenRegistrationTable implements RegistrationModel {
  readonly method = 'hidden-table' as const;
  readonly table = new SimTable(
    PRISCAN_SIM.regEntry,
    [
      { col: C.address, name: 'priscanRegAddress', type: VarType.IpAddress, access: 'not-accessible' },
      { col: C.port, name: 'priscanRegPort', type: VarType.Gauge32, access: 'not-accessible' },
      { col: C.community, name: 'priscanRegCommunity', type: VarType.OctetString, access: 'read-create', size: [1, 32] },
      {
        col: C.version,
        name: 'priscanRegVersion',
        type: VarType.Integer,
        access: 'read-create',
        values: Object.values(PRISCAN_SIM.regVersion),
        defVal: PRISCAN_SIM.regVersion.v2c,
      },
      {
        col: C.notifyType,
        name: 'priscanRegNotifyType',
        type: VarType.Integer,
        access: 'read-create',
        values: Object.values(PRISCAN_SIM.regNotifyType),
        defVal: PRISCAN_SIM.regNotifyType.trap,
      },
      rowStatusColumn(C.rowStatus, 'priscanRegRowStatus'),
    ],
    {
      rowStatusCol: C.rowStatus,
      maxRows: PRISCAN_SIM.regMaxRows,
      isValidIndex: (index) =>
        index.length === 5 &&
        index.slice(0, 4).every((a) => a <= 255) &&
        index.slice(0, 4).some((a) => a !== 0) &&
        (index[4] as number) >= 1 &&
        (index[4] as number) <= 65535,
      validateRow: requireWhenActive(C.rowStatus, { [C.community]: 'priscanRegCommunity' }),
    },
  );

  install(mib: DeviceMib): void {
    mib.addTable(this.table);
  }

  targets(): NotificationTarget[] {
    return this.table
      .rows()
      .filter((row) => row.values.get(C.rowStatus) === ROW_STATUS.active)
      .map((row) => ({
        address: row.index.slice(0, 4).join('.'),
        port: row.index[4] as number,
        community: (row.values.get(C.community) as Buffer).toString('utf8'),
        version: row.values.get(C.version) === PRISCAN_SIM.regVersion.v1 ? 'v1' : 'v2c',
        type: row.values.get(C.notifyType) === PRISCAN_SIM.regNotifyType.inform ? 'inform' : 'trap',
      }));
  }

  clear(): void {
    this.table.clear();
  }
}
