/**
 * The layout of SNMPv3 messages (RFC 3412) under USM (RFC 3414): the envelope read before any
 * security check, the scopedPDU, and encoding with privacy and a MAC. What a message may do,
 * who may send it and reports are v3.ts's.
 */
import { BerReader, BerWriter, SnmpDecodeError, Tag } from './ber.js';
import { readPdu, SnmpVersion, writePdu, type RequestPdu } from './message.js';
import { authParamsLength, encryptScopedPdu, signMessage, type EngineClock, type LocalizedUser, type SecurityLevel } from './usm.js';

export const USM_SECURITY_MODEL = 3;
export const FLAG = { auth: 0x01, priv: 0x02, reportable: 0x04 } as const;
/** Engine boots, engine time and msgID stop at 2^31-1 (RFC 3414 2.2, RFC 3412 6). */
export const MAX_ENGINE_VALUE = 0x7fffffff;
/** What we put in msgMaxSize: the largest UDP payload. */
export const MAX_MESSAGE_SIZE = 65_507;

/** A message that passed USM, with its PDU decoded. */
export interface V3Message {
  msgId: number;
  maxSize: number;
  reportable: boolean;
  level: SecurityLevel;
  /** msgAuthoritativeEngineID and that engine's clock as the message states them. */
  engineId: Buffer;
  boots: number;
  time: number;
  userName: string;
  contextEngineId: Buffer;
  contextName: Buffer;
  pdu: RequestPdu;
}

export interface V3Outgoing {
  msgId: number;
  reportable: boolean;
  level: SecurityLevel;
  userName: string;
  /** Keys localized to `engineId`; required unless level is noAuthNoPriv. */
  keys?: LocalizedUser;
  /** The authoritative engine and its clock. */
  engineId: Buffer;
  clock: EngineClock;
  contextEngineId: Buffer;
  contextName?: Buffer;
  pdu: RequestPdu;
}

export interface Envelope {
  msgId: number;
  maxSize: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  authParams: Buffer;
  /** Offset of the authentication parameters' content in the datagram. */
  authAt: number;
  privParams: Buffer;
  /** The scopedPDU as sent: ciphertext when the priv flag is set. */
  scoped: Buffer;
}

export const LEVEL_RANK: Record<SecurityLevel, number> = { noAuthNoPriv: 0, authNoPriv: 1, authPriv: 2 };

export function levelOf(flags: number): SecurityLevel {
  return flags & FLAG.priv ? 'authPriv' : flags & FLAG.auth ? 'authNoPriv' : 'noAuthNoPriv';
}

export function decodeEnvelope(datagram: Buffer): Envelope {
  const top = new BerReader(datagram);
  const msg = top.enter(Tag.Sequence, 'message SEQUENCE');
  top.expectEnd('message');
  const version = msg.readInt32(Tag.Integer, 'version');
  if (version !== SnmpVersion.v3) throw new SnmpDecodeError(`not an SNMPv3 message (version ${version})`);

  const header = msg.enter(Tag.Sequence, 'msgGlobalData');
  const msgId = header.readInt32(Tag.Integer, 'msgID');
  const maxSize = header.readInt32(Tag.Integer, 'msgMaxSize');
  const flagsAt = header.readFixed(Tag.OctetString, 1, 'msgFlags');
  const flags = header.byteAt(flagsAt);
  const securityModel = header.readInt32(Tag.Integer, 'msgSecurityModel');
  header.expectEnd('msgGlobalData');
  if (msgId < 0) throw new SnmpDecodeError(`msgID ${msgId} is negative`);
  if (maxSize < 484) throw new SnmpDecodeError(`msgMaxSize ${maxSize} is below the minimum of 484`);
  if (flags & FLAG.priv && !(flags & FLAG.auth)) throw new SnmpDecodeError('msgFlags asks for privacy without authentication');
  if (securityModel !== USM_SECURITY_MODEL) throw new SnmpDecodeError(`security model ${securityModel} is not USM (3)`);

  // msgSecurityParameters is an OCTET STRING holding a BER SEQUENCE: read it in place, so the
  // offset of the MAC is an offset into the datagram.
  const paramsLength = msg.header(Tag.OctetString, 'msgSecurityParameters');
  const holder = new BerReader(datagram, msg.pos, msg.pos + paramsLength, 2);
  msg.pos += paramsLength;
  const usm = holder.enter(Tag.Sequence, 'UsmSecurityParameters');
  holder.expectEnd('msgSecurityParameters');
  const engineId = usm.readOctets(Tag.OctetString, 'msgAuthoritativeEngineID');
  const boots = usm.readInt32(Tag.Integer, 'msgAuthoritativeEngineBoots');
  const time = usm.readInt32(Tag.Integer, 'msgAuthoritativeEngineTime');
  const userName = usm.readOctets(Tag.OctetString, 'msgUserName');
  const authLength = usm.header(Tag.OctetString, 'msgAuthenticationParameters');
  const authAt = usm.pos;
  const authParams = Buffer.from(datagram.subarray(authAt, authAt + authLength));
  usm.pos += authLength;
  const privParams = usm.readOctets(Tag.OctetString, 'msgPrivacyParameters');
  usm.expectEnd('UsmSecurityParameters');
  if (engineId.length > 32) throw new SnmpDecodeError(`msgAuthoritativeEngineID is ${engineId.length} bytes (max 32)`);
  if (boots < 0 || time < 0) throw new SnmpDecodeError('engine boots and time must not be negative');
  if (userName.length > 32) throw new SnmpDecodeError(`msgUserName is ${userName.length} bytes (max 32)`);

  let scoped: Buffer;
  if (flags & FLAG.priv) {
    scoped = msg.readOctets(Tag.OctetString, 'encryptedPDU');
  } else {
    const start = msg.pos;
    msg.enter(Tag.Sequence, 'ScopedPDU');
    scoped = Buffer.from(datagram.subarray(start, msg.pos));
  }
  msg.expectEnd('msgData');
  return { msgId, maxSize, flags, engineId, boots, time, userName, authParams, authAt, privParams, scoped };
}

/** A plaintext scopedPDU; a DES plaintext may carry padding after it, which is ignored. */
export function decodeScoped(plaintext: Buffer): { contextEngineId: Buffer; contextName: Buffer; pdu: RequestPdu } {
  const top = new BerReader(plaintext);
  const scoped = top.enter(Tag.Sequence, 'ScopedPDU');
  const contextEngineId = scoped.readOctets(Tag.OctetString, 'contextEngineID');
  const contextName = scoped.readOctets(Tag.OctetString, 'contextName');
  const pdu = readPdu(scoped, SnmpVersion.v3);
  scoped.expectEnd('ScopedPDU');
  return { contextEngineId, contextName, pdu: pdu as RequestPdu };
}

/** Encodes, encrypts and signs one v3 message. Throws TypeError/RangeError for bad input. */
export function encodeV3(out: V3Outgoing): Buffer {
  const auth = out.level !== 'noAuthNoPriv';
  const priv = out.level === 'authPriv';
  if (auth && !out.keys?.auth) throw new TypeError(`security level ${out.level} needs authentication keys`);
  if (priv && !out.keys?.priv) throw new TypeError('security level authPriv needs privacy keys');
  for (const [what, value] of [['msgID', out.msgId], ['engine boots', out.clock.boots], ['engine time', out.clock.time]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_ENGINE_VALUE) throw new RangeError(`${what} ${value} is outside 0..2^31-1`);
  }

  const scopedWriter = new BerWriter(512);
  writePdu(scopedWriter, out.pdu, SnmpVersion.v3);
  scopedWriter.writeOctets(Tag.OctetString, out.contextName ?? Buffer.alloc(0));
  scopedWriter.writeOctets(Tag.OctetString, out.contextEngineId);
  scopedWriter.wrap(Tag.Sequence, 0);
  const scoped = scopedWriter.toBuffer();

  const w = new BerWriter(scoped.length + 256);
  let privParams: Buffer = Buffer.alloc(0);
  if (priv) {
    const encrypted = encryptScopedPdu(out.keys!.priv!, out.clock, scoped);
    privParams = encrypted.privParams;
    w.writeOctets(Tag.OctetString, encrypted.data);
  } else {
    w.writeRaw(scoped);
  }

  const paramsMark = w.mark();
  w.writeOctets(Tag.OctetString, privParams);
  const authLength = auth ? authParamsLength(out.keys!.auth!.protocol) : 0;
  const afterAuth = w.mark();
  w.writeOctets(Tag.OctetString, Buffer.alloc(authLength));
  w.writeOctets(Tag.OctetString, Buffer.from(out.userName, 'utf8'));
  w.writeInteger(Tag.Integer, out.clock.time);
  w.writeInteger(Tag.Integer, out.clock.boots);
  w.writeOctets(Tag.OctetString, out.engineId);
  w.wrap(Tag.Sequence, paramsMark);
  w.wrap(Tag.OctetString, paramsMark);

  const headerMark = w.mark();
  w.writeInteger(Tag.Integer, USM_SECURITY_MODEL);
  w.writeOctets(Tag.OctetString, Buffer.from([(auth ? FLAG.auth : 0) | (priv ? FLAG.priv : 0) | (out.reportable ? FLAG.reportable : 0)]));
  w.writeInteger(Tag.Integer, MAX_MESSAGE_SIZE);
  w.writeInteger(Tag.Integer, out.msgId);
  w.wrap(Tag.Sequence, headerMark);
  w.writeInteger(Tag.Integer, SnmpVersion.v3);
  w.wrap(Tag.Sequence, 0);
  const message = w.toBuffer();
  if (auth) signMessage(out.keys!.auth!, message, message.length - afterAuth - authLength);
  return message;
}

/** What a v3 message's header says, read before any USM check. */
export interface V3Header {
  msgId: number;
  /** msgAuthoritativeEngineID: whose engine the message is addressed to or comes from. */
  engineId: Buffer;
  userName: string;
  level: SecurityLevel;
  reportable: boolean;
}

/**
 * The header of a v3 message, unauthenticated: enough to route it (a request for this engine,
 * or a reply to a request this engine sent) and to find the request a reply answers.
 * Throws SnmpDecodeError for garbage.
 */
export function peekV3(datagram: Buffer): V3Header {
  const envelope = decodeEnvelope(datagram);
  return {
    msgId: envelope.msgId,
    engineId: envelope.engineId,
    userName: envelope.userName.toString('utf8'),
    level: levelOf(envelope.flags),
    reportable: (envelope.flags & FLAG.reportable) !== 0,
  };
}
