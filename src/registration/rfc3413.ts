import { RFC3413 } from '../profiles/oids.js';
import type { SnmpClient } from '../snmp/client.js';
import { isPort, parseIpv4, requireIpv4, type Cell } from './cells.js';
import { RegistrationError, type ManagerRegistration, type RegistrationMethod, type RegistrationOutcome } from './method.js';
import { ensureRows, removeRows, type OwnedRow } from './row-status.js';

const A = RFC3413.targetAddrCol;
const P = RFC3413.targetParamsCol;
const N = RFC3413.notifyCol;

/** The name of each of priscan's rows, the params name the addr row points at, and the tag that joins notify to addr. */
const ROW_NAME = 'priscan';
/** IMPLIED SnmpAdminString index: one arc per byte, no length prefix. */
const ROW_INDEX = [...Buffer.from(ROW_NAME, 'ascii')].join('.');
/**
 * snmpTargetAddrTimeout (centiseconds) and RetryCount matter only for
 * informs; priscan registers for traps. They match priscan's own request
 * defaults (3000 ms, 1 retry) so a later switch to informs behaves the same.
 */
const TIMEOUT_CENTISECONDS = 300;
const RETRY_COUNT = 1;

/**
 * snmpUDPDomain TAddress: 4 octets of IPv4 then the port, network order
 * (127.0.0.1:162 is 7F00000100A2). Validated here because net-snmp's snmpd
 * accepts a 4-byte TAddress at SET time and then silently sends nothing.
 */
export function encodeTAddress(ip: string, port: number): Buffer {
  const octets = parseIpv4(ip);
  if (!octets) {
    const v6 = ip.includes(':') ? ': IPv6 manager addresses are not supported (snmpUDPDomain carries IPv4 only)' : '';
    throw new RegistrationError('invalid-address', `"${ip}" is not an IPv4 dotted quad with octets 0..255${v6}`);
  }
  if (!isPort(port)) throw new RegistrationError('invalid-address', `port ${port} is not 1..65535`);
  const buf = Buffer.alloc(6);
  octets.forEach((octet, i) => buf.writeUInt8(octet, i));
  buf.writeUInt16BE(port, 4);
  return buf;
}

/** The address and port of a snmpUDPDomain TAddress; undefined unless exactly 6 octets. */
export function decodeTAddress(buf: Buffer): { address: string; port: number } | undefined {
  if (buf.length !== 6) return undefined;
  return { address: [...buf.subarray(0, 4)].join('.'), port: buf.readUInt16BE(4) };
}

const text = (value: string): Buffer => Buffer.from(value, 'utf8');
const p = (col: number): string => `${RFC3413.targetParamsEntry}.${col}.${ROW_INDEX}`;
const a = (col: number): string => `${RFC3413.targetAddrEntry}.${col}.${ROW_INDEX}`;
const n = (col: number): string => `${RFC3413.notifyEntry}.${col}.${ROW_INDEX}`;

const ROW_STATUS_OF = {
  params: { name: 'snmpTargetParamsRowStatus', oid: p(P.rowStatus) },
  addr: { name: 'snmpTargetAddrRowStatus', oid: a(A.rowStatus) },
  notify: { name: 'snmpNotifyRowStatus', oid: n(N.rowStatus) },
};

/** priscan's three rows, in the order they are created: each row refers only to rows before it. */
function targetRows(manager: ManagerRegistration): OwnedRow[] {
  requireIpv4(manager.address, 'snmpUDPDomain TAddress carries IPv4 only', manager.port);
  const tAddress = encodeTAddress(manager.address, manager.port);
  const nonVolatile = RFC3413.storageType.nonVolatile;
  const { usm } = manager;
  const params: Cell[] = usm
    ? [
        // The agent sends as this user from its own engine (a user it must already have).
        { name: 'snmpTargetParamsMPModel', oid: p(P.mpModel), type: 'Integer', value: RFC3413.mpModel.v3 },
        { name: 'snmpTargetParamsSecurityModel', oid: p(P.securityModel), type: 'Integer', value: RFC3413.securityModel.usm },
        { name: 'snmpTargetParamsSecurityName', oid: p(P.securityName), type: 'OctetString', value: text(usm.user) },
        { name: 'snmpTargetParamsSecurityLevel', oid: p(P.securityLevel), type: 'Integer', value: RFC3413.securityLevel[usm.level] },
        { name: 'snmpTargetParamsStorageType', oid: p(P.storageType), type: 'Integer', value: nonVolatile },
      ]
    : [
        { name: 'snmpTargetParamsMPModel', oid: p(P.mpModel), type: 'Integer', value: RFC3413.mpModel.v2c },
        { name: 'snmpTargetParamsSecurityModel', oid: p(P.securityModel), type: 'Integer', value: RFC3413.securityModel.v2c },
        // For v1/v2c targets net-snmp sends the security name as the community.
        { name: 'snmpTargetParamsSecurityName', oid: p(P.securityName), type: 'OctetString', value: text(manager.community), secret: true },
        { name: 'snmpTargetParamsSecurityLevel', oid: p(P.securityLevel), type: 'Integer', value: RFC3413.securityLevel.noAuthNoPriv },
        { name: 'snmpTargetParamsStorageType', oid: p(P.storageType), type: 'Integer', value: nonVolatile },
      ];
  const addr: Cell[] = [
    { name: 'snmpTargetAddrTDomain', oid: a(A.tDomain), type: 'OID', value: RFC3413.snmpUDPDomain },
    { name: 'snmpTargetAddrTAddress', oid: a(A.tAddress), type: 'OctetString', value: tAddress },
    { name: 'snmpTargetAddrTimeout', oid: a(A.timeout), type: 'Integer', value: TIMEOUT_CENTISECONDS },
    { name: 'snmpTargetAddrRetryCount', oid: a(A.retryCount), type: 'Integer', value: RETRY_COUNT },
    { name: 'snmpTargetAddrTagList', oid: a(A.tagList), type: 'OctetString', value: text(ROW_NAME) },
    { name: 'snmpTargetAddrParams', oid: a(A.params), type: 'OctetString', value: text(ROW_NAME) },
    { name: 'snmpTargetAddrStorageType', oid: a(A.storageType), type: 'Integer', value: nonVolatile },
  ];
  const notify: Cell[] = [
    { name: 'snmpNotifyTag', oid: n(N.tag), type: 'OctetString', value: text(ROW_NAME) },
    { name: 'snmpNotifyType', oid: n(N.type), type: 'Integer', value: RFC3413.notifyType.trap },
    { name: 'snmpNotifyStorageType', oid: n(N.storageType), type: 'Integer', value: nonVolatile },
  ];
  return [
    { cells: params, rowStatus: ROW_STATUS_OF.params },
    { cells: addr, rowStatus: ROW_STATUS_OF.addr },
    { cells: notify, rowStatus: ROW_STATUS_OF.notify },
  ];
}

/**
 * RFC 3413 notification targets (any standards agent, e.g. net-snmp snmpd):
 * a params row, an addr row and a notify row, all named "priscan".
 */
export const rfc3413: RegistrationMethod = {
  name: 'rfc3413',
  async ensure(client: SnmpClient, manager: ManagerRegistration): Promise<RegistrationOutcome> {
    return ensureRows(client, targetRows(manager));
  },
  // The rows are found by name, so removal needs nothing from the manager.
  async remove(client: SnmpClient): Promise<void> {
    // The notify row first: no notification is ever routed to a half-removed target.
    const { notify, addr, params } = ROW_STATUS_OF;
    await removeRows(client, [notify, addr, params].map((rowStatus) => ({ cells: [], rowStatus })));
  },
};
