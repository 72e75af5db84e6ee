import { RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import type { DeviceMib } from '../agent/mib.js';
import type { NotificationTarget } from '../agent/notification.js';
import { arcsToImpliedString, type Arcs } from '../agent/oid.js';
import { requireWhenActive, rowStatusColumn, SetError, SimTable, type Row } from '../agent/table.js';
import type { RegistrationModel } from '../devices/device.js';
import { ErrorStatus, VarType } from '../../src/snmp/message.js';
import { SECURITY_LEVELS, type SecurityLevel, type UsmUser } from '../../src/snmp/usm.js';

const A = RFC3413.targetAddrCol;
const P = RFC3413.targetParamsCol;
const N = RFC3413.notifyCol;
/** Rows of each table a manager may create on one device. */
const MAX_ROWS = 16;

/** SnmpAdminString (SIZE(1..32)) used as an IMPLIED index. */
function isAdminStringIndex(index: Arcs): boolean {
  return index.length >= 1 && index.length <= 32 && index.every((a) => a >= 0x20 && a <= 0x7e);
}

/** snmpTargetParamsSecurityLevel (SnmpSecurityLevel: 1, 2, 3) as a level name. */
function levelOf(value: unknown): SecurityLevel | undefined {
  return typeof value === 'number' ? SECURITY_LEVELS[value - 1] : undefined;
}

/**
 * Why a v3 params row names nothing this device can send as, or undefined. The device has one
 * USM user: the row must name it, under USM, at a level the user's keys allow.
 */
function v3ParamsProblem(row: Row, user: UsmUser | undefined): string | undefined {
  if (!user) return 'this device has no SNMPv3 user, so it cannot send v3 notifications';
  if (row.values.get(P.securityModel) !== RFC3413.securityModel.usm) return 'an SNMPv3 params row needs snmpTargetParamsSecurityModel 3 (USM)';
  if ((row.values.get(P.securityName) as Buffer).toString('utf8') !== user.name) return 'snmpTargetParamsSecurityName must be the device\'s SNMPv3 user';
  const level = levelOf(row.values.get(P.securityLevel));
  if (!level || SECURITY_LEVELS.indexOf(level) > SECURITY_LEVELS.indexOf(user.level)) return `snmpTargetParamsSecurityLevel is above the user's level (${user.level})`;
  return undefined;
}

/**
 * RFC 3413 notification targets: snmpTargetAddrTable, snmpTargetParamsTable
 * and snmpNotifyTable, created with RowStatus as a standards agent does.
 * v3 params rows name the device's own USM user.
 */
export class Rfc3413Targets implements RegistrationModel {
  readonly method = 'rfc3413' as const;

  /** `v3User`: the device's SNMPv3 user, which v3 params rows must name; none refuses them. */
  constructor(private readonly v3User?: UsmUser) {}

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
      validateRow: (row) => {
        requireParams(row);
        if (row.values.get(P.rowStatus) !== ROW_STATUS.active || row.values.get(P.mpModel) !== RFC3413.mpModel.v3) return;
        const problem = v3ParamsProblem(row, this.v3User);
        if (problem) throw new SetError(ErrorStatus.inconsistentValue, problem);
      },
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
        const as = target?.version === 'v3' ? `${target.securityName}:${target.securityLevel}` : target?.community;
        if (target) targets.set(`${target.address}:${target.port}:${target.version}:${target.type}:${as}`, target);
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
    const securityName = (params.values.get(P.securityName) as Buffer).toString('utf8');
    const where = {
      address: [...tAddress.subarray(0, 4)].join('.'),
      port: tAddress.readUInt16BE(4),
      timeoutMs: (addr.values.get(A.timeout) as number) * 10,
      retries: addr.values.get(A.retryCount) as number,
    };
    if (mpModel === RFC3413.mpModel.v3) {
      // Checked when the row went active; the level is read back from the same row.
      if (v3ParamsProblem(params, this.v3User)) return undefined;
      return { ...where, version: 'v3', securityName, securityLevel: levelOf(params.values.get(P.securityLevel))!, type };
    }
    // Other message processing models name no target these devices can serve.
    if (mpModel !== RFC3413.mpModel.v1 && mpModel !== RFC3413.mpModel.v2c) return undefined;
    const version = mpModel === RFC3413.mpModel.v1 ? 'v1' : 'v2c';
    // net-snmp, too, sends a v1/v2c target's SecurityName as the community.
    return { ...where, community: securityName, version, type: version === 'v1' ? 'trap' : type };
  }
}

const requireParams = requireWhenActive(P.rowStatus, {
  [P.mpModel]: 'snmpTargetParamsMPModel',
  [P.securityModel]: 'snmpTargetParamsSecurityModel',
  [P.securityName]: 'snmpTargetParamsSecurityName',
  [P.securityLevel]: 'snmpTargetParamsSecurityLevel',
});

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
