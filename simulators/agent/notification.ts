import { SNMPV2 } from '../../src/profiles/oids.js';
import { PduType, SnmpVersion, VarType, type Pdu, type RequestPdu, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';
import type { SecurityLevel } from '../../src/snmp/usm.js';

interface TargetBase {
  address: string;
  port: number;
  type: 'trap' | 'inform';
  /** Inform retransmission timeout and retries (RFC 3413 targets carry their own). */
  timeoutMs?: number;
  retries?: number;
}

/** A v1/v2c manager: notifications carry its community. */
export interface CommunityTarget extends TargetBase {
  version: 'v1' | 'v2c';
  community: string;
}

/** A v3 manager: notifications go as the device's USM user, at a level up to the user's. */
export interface V3Target extends TargetBase {
  version: 'v3';
  securityName: string;
  securityLevel: SecurityLevel;
  /** v3 sends no community; declared so `target.community` reads as undefined. */
  community?: undefined;
}

/** A manager a device sends notifications to, as its registration says. */
export type NotificationTarget = CommunityTarget | V3Target;

/** One notification in SNMPv2 form; v1 targets get it translated (RFC 3584 3.2). */
export interface Notification {
  trapOid: string;
  varbinds: VarBind[];
}

const GENERIC_TRAPS = new Map<string, number>([
  [SNMPV2.coldStart, 0],
  [SNMPV2.warmStart, 1],
  ['1.3.6.1.6.3.1.1.5.3', 2],
  ['1.3.6.1.6.3.1.1.5.4', 3],
  ['1.3.6.1.6.3.1.1.5.5', 4],
  ['1.3.6.1.6.3.1.1.5.6', 5],
]);

export interface V1TrapFields {
  enterprise: string;
  genericTrap: number;
  specificTrap: number;
}

/** RFC 3584 3.2: the v1 Trap-PDU fields for an SNMPv2 notification OID. */
export function v1TrapFields(trapOid: string, sysObjectId: string): V1TrapFields {
  const generic = GENERIC_TRAPS.get(trapOid);
  if (generic !== undefined) return { enterprise: sysObjectId, genericTrap: generic, specificTrap: 0 };
  const arcs = trapOid.split('.');
  const specificTrap = Number(arcs.pop());
  // enterprise.0.N is the v2 form of a v1 enterprise-specific trap N.
  if (arcs[arcs.length - 1] === '0') arcs.pop();
  return { enterprise: arcs.join('.'), genericTrap: 6, specificTrap };
}

export interface NotificationContext {
  /** sysUpTime in hundredths of a second. */
  uptime: number;
  sysObjectId: string;
  agentAddress: string;
  requestId: number;
}

/** Builds the message for one v1/v2c target. */
export function notificationMessage(target: CommunityTarget, notification: Notification, ctx: NotificationContext): SnmpMessage {
  const community = Buffer.from(target.community, 'utf8');
  if (target.version === 'v1') {
    const pdu: Pdu = {
      type: PduType.TrapV1,
      ...v1TrapFields(notification.trapOid, ctx.sysObjectId),
      agentAddr: ctx.agentAddress,
      timestamp: ctx.uptime,
      varbinds: notification.varbinds,
    };
    return { version: SnmpVersion.v1, community, pdu };
  }
  return { version: SnmpVersion.v2c, community, pdu: notificationPdu(target.type, notification, ctx) };
}

/** The SNMPv2 notification PDU (v2c and v3): sysUpTime.0 and snmpTrapOID.0 come first. */
export function notificationPdu(type: NotificationTarget['type'], notification: Notification, ctx: Pick<NotificationContext, 'uptime' | 'requestId'>): RequestPdu {
  return {
    type: type === 'inform' ? PduType.InformRequest : PduType.TrapV2,
    requestId: ctx.requestId,
    errorStatus: 0,
    errorIndex: 0,
    varbinds: [
      { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: ctx.uptime },
      { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: notification.trapOid },
      ...notification.varbinds,
    ],
  };
}
