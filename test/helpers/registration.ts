import snmp from 'net-snmp';
import { APC, PRISCAN_SIM, RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import type { openSession } from './snmp-client.js';

type Session = ReturnType<typeof openSession>;
const NAME = [...Buffer.from('priscan')].join('.');

/** 6-byte snmpUDPDomain TAddress: IPv4 then port, network order. */
export function tAddress(ip: string, port: number): Buffer {
  const b = Buffer.alloc(6);
  ip.split('.').forEach((o, i) => b.writeUInt8(Number(o), i));
  b.writeUInt16BE(port, 4);
  return b;
}

/** Registers a manager the way each registration method expects. */
export async function registerHidden(session: Session, ip: string, port: number, community: string, inform = false): Promise<void> {
  const idx = `${ip}.${port}`;
  const e = PRISCAN_SIM.regEntry;
  const c = PRISCAN_SIM.regCol;
  await session.set([
    { oid: `${e}.${c.community}.${idx}`, type: snmp.ObjectType.OctetString, value: community },
    { oid: `${e}.${c.notifyType}.${idx}`, type: snmp.ObjectType.Integer, value: inform ? 2 : 1 },
    { oid: `${e}.${c.rowStatus}.${idx}`, type: snmp.ObjectType.Integer, value: ROW_STATUS.createAndGo },
  ]);
}

export async function registerRfc3413(session: Session, ip: string, port: number, community: string, type: 'trap' | 'inform' = 'trap', mp: 'v1' | 'v2c' = 'v2c'): Promise<void> {
  const P = RFC3413.targetParamsCol;
  const A = RFC3413.targetAddrCol;
  const N = RFC3413.notifyCol;
  const p = RFC3413.targetParamsEntry;
  const a = RFC3413.targetAddrEntry;
  const n = RFC3413.notifyEntry;
  const I = snmp.ObjectType.Integer;
  const S = snmp.ObjectType.OctetString;
  await session.set([
    { oid: `${p}.${P.mpModel}.${NAME}`, type: I, value: RFC3413.mpModel[mp] },
    { oid: `${p}.${P.securityModel}.${NAME}`, type: I, value: RFC3413.securityModel[mp] },
    { oid: `${p}.${P.securityName}.${NAME}`, type: S, value: community },
    { oid: `${p}.${P.securityLevel}.${NAME}`, type: I, value: 1 },
    { oid: `${p}.${P.rowStatus}.${NAME}`, type: I, value: ROW_STATUS.createAndGo },
  ]);
  await session.set([
    { oid: `${a}.${A.tAddress}.${NAME}`, type: S, value: tAddress(ip, port) },
    { oid: `${a}.${A.tagList}.${NAME}`, type: S, value: 'priscan' },
    { oid: `${a}.${A.params}.${NAME}`, type: S, value: 'priscan' },
    { oid: `${a}.${A.rowStatus}.${NAME}`, type: I, value: ROW_STATUS.createAndGo },
  ]);
  await session.set([
    { oid: `${n}.${N.tag}.${NAME}`, type: S, value: 'priscan' },
    { oid: `${n}.${N.type}.${NAME}`, type: I, value: RFC3413.notifyType[type] },
    { oid: `${n}.${N.rowStatus}.${NAME}`, type: I, value: ROW_STATUS.createAndGo },
  ]);
}

export async function registerApc(session: Session, row: number, ip: string, community: string): Promise<void> {
  const e = APC.trapReceiverEntry;
  const c = APC.trapReceiverCol;
  await session.set([
    { oid: `${e}.${c.receiverAddr}.${row}`, type: snmp.ObjectType.IpAddress, value: ip },
    { oid: `${e}.${c.communityString}.${row}`, type: snmp.ObjectType.OctetString, value: community },
    { oid: `${e}.${c.acceptThisReceiver}.${row}`, type: snmp.ObjectType.Integer, value: APC.acceptThisReceiver.yes },
  ]);
}
