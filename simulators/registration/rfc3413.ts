import { RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import type { DeviceMib } from '../agent/mib.js';
import type { NotificationTarget } from '../agent/notification.js';
import { arcsToImpliedString, type Arcs } from '../agent/oid.js';
import { requireWhenActive, rowStatusColumn, SimTable, type Row } from '../agent/table.js';
import type { RegistrationModel } from '../devices/device.js';
import { VarType } from '../../src/snmp/message.js';

const A = RFC3413.targetAddrCol;
const P = RFC3413.targetParamsCol;
const N = RFC3413.notifyCol;
/** Rows of each table a manager may create on one device. */
const MAX_ROWS = 16;

/** SnmpAdminString (SIZE(1..32)) used as an IMPLIED index. */
function isAdminStringIndex(index: Arcs): boolean {
  return index.length >= 1 && index.length <= 32 && index.every((a) => a >= 0x20 && a <= 0x7e);
}

/**
 * RFC 3413 notification targets: snmpTargetAddrTable, snmpTargetParamsTable
 * and snmpNotifyTable, created with RowStatus as a standards agent does.
 */
export class Rfc3413Targets implements RegistrationModel {
  readonly method = 'rfc3413' as const;

  readonly addrTable = new SimTable(
    RFC3413.targetAddrEntry,
    [
      { col: A.tDomain, name: 'snmpTargetAddrTDomain', type: VarType.OID, access: 'read-create', defVal: RFC3413.snmpUDPDomain },
      // snmpUDPDomain addresses are exactly 4 octets of IPv4 and 2 of port; anything else is wrongLength.
      { col: A.tAddress, name: 'snmpTargetAddrTAddress', type: VarType.OctetString, access: 'read-create', size: [6, 6] },
      { col: A.timeout, name: 'snmpTargetAddrTimeout', type: VarType.Integer, access: 'read-create', range: [0, 2147483647], defVal: 1500 },
      { col: A.retryCount, name: 'snmpTargetAddrRetryCount', type: VarType.Integer, access: 'read-create', range: [0, 255], defVal: 3 },
      { col: A.tagList, name: 'snmpTargetAddrTagList', type: VarType.OctetString, access: 'read-create', size: [0, 255], defVal: Buffer.alloc(0) },
      { col: A.params, name: 'snmpTargetAddrParams', type: VarType.OctetString, access: 'read-create', size: [1, 32] },
      storageTypeColumn(A.storageType, 'snmpTargetAddrStorageType'),
      rowStatusColumn(A.rowStatus, 'snmpTargetAddrRowStatus'),
    ],
    {
      rowStatusCol: A.rowStatus,
      maxRows: MAX_ROWS,
      isValidIndex: isAdminStringIndex,
      validateRow: requireWhenActive(A.rowStatus, {
        [A.tAddress]: 'snmpTargetAddrTAddress',
        [A.params]: 'snmpTargetAddrParams',
      }),
    },
  );

  readonly paramsTable = new SimTable(
    RFC3413.targetParamsEntry,
    [
      { col: P.mpModel, name: 'snmpTargetParamsMPModel', type: VarType.Integer, access: 'read-create', range: [0, 2147483647] },
      { col: P.securityModel, name: 'snmpTargetParamsSecurityModel', type: VarType.Integer, access: 'read-create', range: [1, 2147483647] },
      { col: P.securityName, name: 'snmpTargetParamsSecurityName', type: VarType.OctetString, access: 'read-create', size: [0, 255] },
      { col: P.securityLevel, name: 'snmpTargetParamsSecurityLevel', type: VarType.Integer, access: 'read-create', values: [1, 2, 3] },
      storageTypeColumn(P.storageType, 'snmpTargetParamsStorageType'),
      rowStatusColumn(P.rowStatus, 'snmpTargetParamsRowStatus'),
    ],
    {
      rowStatusCol: P.rowStatus,
      maxRows: MAX_ROWS,
      isValidIndex: isAdminStringIndex,
      validateRow: requireWhenActive(P.rowStatus, {
        [P.mpModel]: 'snmpTargetParamsMPModel',
        [P.securityModel]: 'snmpTargetParamsSecurityModel',
        [P.securityName]: 'snmpTargetParamsSecurityName',
        [P.securityLevel]: 'snmpTargetParamsSecurityLevel',
      }),
    },
  );

  readonly notifyTable = new SimTable(
    RFC3413.notifyEntry,
    [
      { col: N.tag, name: 'snmpNotifyTag', type: VarType.OctetString, access: 'read-create', size: [0, 255], defVal: Buffer.alloc(0) },
      { col: N.type, name: 'snmpNotifyType', type: VarType.Integer, access: 'read-create', values: [1, 2], defVal: RFC3413.notifyType.trap },
      storageTypeColumn(N.storageType, 'snmpNotifyStorageType'),
      rowStatusColumn(N.rowStatus, 'snmpNotifyRowStatus'),
    ],
    { rowStatusCol: N.rowStatus, maxRows: MAX_ROWS, isValidIndex: isAdminStringIndex },
  );

  install(mib: DeviceMib): void {
    mib.addTable(this.addrTable);
    mib.addTable(this.paramsTable);
    mib.addTable(this.notifyTable);
  }

  /** Resolves notify tags to addresses and params, as an RFC 3413 notification originator does. */
  targets(): NotificationTarget[] {
    const targets = new Map<string, NotificationTarget>();
    for (const notify of activeRows(this.notifyTable, N.rowStatus)) {
      const tag = (notify.values.get(N.tag) as Buffer).toString('utf8');
      // RFC 3413 snmpNotifyTag: a zero-length tag selects no targets.
      if (tag === '') continue;
      const type = notify.values.get(N.type) === RFC3413.notifyType.inform ? 'inform' : 'trap';
      for (const addr of activeRows(this.addrTable, A.rowStatus)) {
        const tags = (addr.values.get(A.tagList) as Buffer).toString('utf8').split(/\s+/).filter(Boolean);
        if (!tags.includes(tag) || addr.values.get(A.tDomain) !== RFC3413.snmpUDPDomain) continue;
        const target = this.resolve(addr, type);
        if (target) targets.set(`${target.address}:${target.port}:${target.version}:${target.type}:${target.community}`, target);
      }
    }
    return [...targets.values()];
  }

  clear(): void {
    this.addrTable.clear();
    this.paramsTable.clear();
    this.notifyTable.clear();
  }

  private resolve(addr: Row, type: 'trap' | 'inform'): NotificationTarget | undefined {
    const tAddress = addr.values.get(A.tAddress) as Buffer;
    const paramsName = (addr.values.get(A.params) as Buffer).toString('utf8');
    const params = activeRows(this.paramsTable, P.rowStatus).find((row) => arcsToImpliedString(row.index) === paramsName);
    if (!params) return undefined;
    const mpModel = params.values.get(P.mpModel);
    // The simulators speak v1 and v2c; a v3 params row names no target they can serve.
    if (mpModel !== RFC3413.mpModel.v1 && mpModel !== RFC3413.mpModel.v2c) return undefined;
    const version = mpModel === RFC3413.mpModel.v1 ? 'v1' : 'v2c';
    return {
      address: [...tAddress.subarray(0, 4)].join('.'),
      port: tAddress.readUInt16BE(4),
      community: (params.values.get(P.securityName) as Buffer).toString('utf8'),
      version,
      type: version === 'v1' ? 'trap' : type,
      timeoutMs: (addr.values.get(A.timeout) as number) * 10,
      retries: addr.values.get(A.retryCount) as number,
    };
  }
}

function activeRows(table: SimTable, statusCol: number): Row[] {
  return table.rows().filter((row) => row.values.get(statusCol) === ROW_STATUS.active);
}

function storageTypeColumn(col: number, name: string) {
  return {
    col,
    name,
    type: VarType.Integer,
    access: 'read-create' as const,
    values: Object.values(RFC3413.storageType),
    defVal: RFC3413.storageType.nonVolatile,
  };
}
