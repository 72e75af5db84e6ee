/**
 * SNMPv3 messages (RFC 3412) under the User-based Security Model (RFC 3414): decoding,
 * authentication, timeliness, decryption and reports on receipt; encoding with privacy and
 * a MAC on the way out. Shared by the simulated agents (authoritative for requests) and the
 * notification intake (authoritative for informs, not for traps).
 */
import { USM_STATS } from '../profiles/oids.js';
import { BerReader, BerWriter, SnmpDecodeError, Tag } from './ber.js';
import { PduType, readPdu, SnmpVersion, VarType, writePdu, type RequestPdu } from './message.js';
import {
  authParamsLength,
  decryptScopedPdu,
  encryptScopedPdu,
  signMessage,
  verifyMessage,
  type EngineClock,
  type KeyCache,
  type LocalizedUser,
  type SecurityLevel,
  type UsmUser,
} from './usm.js';

export const USM_SECURITY_MODEL = 3;
const FLAG = { auth: 0x01, priv: 0x02, reportable: 0x04 } as const;
/** RFC 3414 3.2.7: messages more than 150 s away from the engine's clock are refused. */
export const TIME_WINDOW_S = 150;
const MAX_INT = 0x7fffffff;
/** What we put in msgMaxSize: the largest UDP payload. */
const MAX_MESSAGE_SIZE = 65_507;

/** Why USM refused a message: the usmStats counter it increments. */
export type UsmRejectionReason = keyof typeof USM_STATS;

/** A refused message; `report` is the Report to send back, when the sender asked for one. */
export class UsmRejection extends Error {
  override readonly name = 'UsmRejection';

  constructor(
    readonly reason: UsmRejectionReason,
    readonly report?: Buffer,
  ) {
    super(`SNMPv3 message refused: ${reason}`);
  }
}

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

/** This process's own engine, for the messages it is authoritative for. */
export interface LocalEngine {
  readonly engineId: Buffer;
  readonly boots: number;
  /** snmpEngineTime: seconds since the engine last booted. */
  time(): number;
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

interface Envelope {
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

const LEVEL_RANK: Record<SecurityLevel, number> = { noAuthNoPriv: 0, authNoPriv: 1, authPriv: 2 };

function levelOf(flags: number): SecurityLevel {
  return flags & FLAG.priv ? 'authPriv' : flags & FLAG.auth ? 'authNoPriv' : 'noAuthNoPriv';
}

function decodeEnvelope(datagram: Buffer): Envelope {
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
function decodeScoped(plaintext: Buffer): { contextEngineId: Buffer; contextName: Buffer; pdu: RequestPdu } {
  const top = new BerReader(plaintext);
  const scoped = top.enter(Tag.Sequence, 'ScopedPDU');
  const contextEngineId = scoped.readOctets(Tag.OctetString, 'contextEngineID');
  const contextName = scoped.readOctets(Tag.OctetString, 'contextName');
  const pdu = readPdu(scoped, SnmpVersion.v3);
  scoped.expectEnd('ScopedPDU');
  return { contextEngineId, contextName, pdu: pdu as RequestPdu };
}

/** The request id of a plaintext scopedPDU, for a report about it; 0 when unreadable. */
function requestIdOf(envelope: Envelope): number {
  if (envelope.flags & FLAG.priv) return 0;
  try {
    return decodeScoped(envelope.scoped).pdu.requestId;
  } catch {
    return 0;
  }
}

/** What an engine needs to judge messages addressed to it. */
export interface AuthoritativeContext {
  engine: LocalEngine;
  userFor(name: string): UsmUser | undefined;
  keys: KeyCache;
  /** The usmStats counters, reported back in each report. */
  stats: Record<UsmRejectionReason, number>;
}

/**
 * Receives a message this engine is authoritative for (a request to an agent, an inform to a
 * receiver). Throws SnmpDecodeError for garbage and UsmRejection, with the report to send back
 * if the sender asked for one, for anything USM refuses.
 */
export function receiveAuthoritative(datagram: Buffer, ctx: AuthoritativeContext): V3Message {
  return authoritative(datagram, decodeEnvelope(datagram), ctx);
}

function authoritative(datagram: Buffer, envelope: Envelope, ctx: AuthoritativeContext): V3Message {
  const { engine } = ctx;
  const refuse = (reason: UsmRejectionReason, reportKeys?: LocalizedUser): never => {
    ctx.stats[reason]++;
    throw new UsmRejection(reason, envelope.flags & FLAG.reportable ? reportOf(envelope, engine, reason, ctx.stats[reason], reportKeys) : undefined);
  };
  if (!envelope.engineId.equals(engine.engineId)) refuse('unknownEngineIDs');
  const user = ctx.userFor(envelope.userName.toString('utf8'));
  if (!user) return refuse('unknownUserNames');
  const level = levelOf(envelope.flags);
  // Below the user's own level would let anyone who knows the name skip authentication.
  if (LEVEL_RANK[level] !== LEVEL_RANK[user.level]) refuse('unsupportedSecLevels');
  const keys = ctx.keys.localize(user, engine.engineId);
  if (keys.auth && !verifyMessage(keys.auth, datagram, envelope.authAt, envelope.authParams)) refuse('wrongDigests');
  if (keys.auth) {
    const now = engine.time();
    if (engine.boots >= MAX_INT || envelope.boots !== engine.boots || Math.abs(envelope.time - now) > TIME_WINDOW_S) refuse('notInTimeWindows', keys);
  }
  return open(envelope, keys, level, () => refuse('decryptionErrors'));
}

/**
 * The notion a non-authoritative engine keeps of other engines' clocks (RFC 3414 2.3): the
 * latest boots and time each authentic message showed, to refuse replays of older ones.
 */
export class EngineTimeWindows {
  private readonly engines = new Map<string, { boots: number; time: number; seenAt: number }>();

  constructor(
    private readonly nowMs: () => number,
    private readonly maxEngines = 100_000,
  ) {}

  /** Whether a message stating `boots`/`time` is timely; if so, and newer, remembers it. */
  accept(engineId: Buffer, boots: number, time: number): boolean {
    const id = engineId.toString('hex');
    const known = this.engines.get(id);
    const now = this.nowMs();
    if (known) {
      const estimate = known.time + Math.floor((now - known.seenAt) / 1000);
      if (known.boots >= MAX_INT || boots < known.boots || (boots === known.boots && time < estimate - TIME_WINDOW_S)) return false;
      if (boots === known.boots && time <= known.time) return true;
      this.engines.delete(id);
    } else if (this.engines.size >= this.maxEngines) {
      this.engines.delete(this.engines.keys().next().value as string);
    }
    this.engines.set(id, { boots, time, seenAt: now });
    return true;
  }
}

export interface NonAuthoritativeContext {
  /** The user a message names, as known for the sender; undefined when not known. */
  userFor(name: string): UsmUser | undefined;
  keys: KeyCache;
  windows: EngineTimeWindows;
}

/**
 * Receives a message whose sender is authoritative (a trap at a receiver). Nothing is reported
 * back: notifications are not reportable. Throws like receiveAuthoritative.
 */
export function receiveNonAuthoritative(datagram: Buffer, ctx: NonAuthoritativeContext): V3Message {
  return nonAuthoritative(datagram, decodeEnvelope(datagram), ctx);
}

function nonAuthoritative(datagram: Buffer, envelope: Envelope, ctx: NonAuthoritativeContext): V3Message {
  if (envelope.engineId.length === 0) throw new UsmRejection('unknownEngineIDs');
  const user = ctx.userFor(envelope.userName.toString('utf8'));
  if (!user) throw new UsmRejection('unknownUserNames');
  const level = levelOf(envelope.flags);
  if (LEVEL_RANK[level] !== LEVEL_RANK[user.level]) throw new UsmRejection('unsupportedSecLevels');
  const keys = ctx.keys.localize(user, envelope.engineId);
  if (keys.auth) {
    if (!verifyMessage(keys.auth, datagram, envelope.authAt, envelope.authParams)) throw new UsmRejection('wrongDigests');
    if (!ctx.windows.accept(envelope.engineId, envelope.boots, envelope.time)) throw new UsmRejection('notInTimeWindows');
  }
  return open(envelope, keys, level, () => {
    throw new UsmRejection('decryptionErrors');
  });
}

/**
 * A notification receiver's entry point: an inform (and the discovery before it) names this
 * engine, which is authoritative for it; a trap names its sender's engine. Throws like the two.
 */
export function receiveNotification(datagram: Buffer, ctx: AuthoritativeContext & NonAuthoritativeContext): V3Message {
  const envelope = decodeEnvelope(datagram);
  if (envelope.engineId.length === 0 || envelope.engineId.equals(ctx.engine.engineId)) return authoritative(datagram, envelope, ctx);
  const message = nonAuthoritative(datagram, envelope, ctx);
  // An inform must be addressed to this engine (RFC 3414 3.2 step 3): its sender skipped discovery.
  if (message.pdu.type === PduType.InformRequest) throw new UsmRejection('unknownEngineIDs');
  return message;
}

function open(envelope: Envelope, keys: LocalizedUser, level: SecurityLevel, decryptionFailed: () => never): V3Message {
  let plaintext = envelope.scoped;
  // The message's own flags say whether it is encrypted, whatever keys the user has.
  const priv = level === 'authPriv' ? keys.priv : undefined;
  if (level === 'authPriv') {
    if (!priv) return decryptionFailed();
    try {
      plaintext = decryptScopedPdu(priv, envelope, envelope.privParams, envelope.scoped);
    } catch {
      decryptionFailed();
    }
  }
  let scoped;
  try {
    scoped = decodeScoped(plaintext);
  } catch (error) {
    // Undecodable after decryption is what a wrong privacy key looks like.
    if (priv && error instanceof SnmpDecodeError) decryptionFailed();
    throw error;
  }
  return {
    msgId: envelope.msgId,
    maxSize: envelope.maxSize,
    reportable: (envelope.flags & FLAG.reportable) !== 0,
    level,
    engineId: envelope.engineId,
    boots: envelope.boots,
    time: envelope.time,
    userName: envelope.userName.toString('utf8'),
    ...scoped,
  };
}

/** RFC 3412 7.1.3 and RFC 3414 3.2: the report naming the counter that refused a message. */
function reportOf(envelope: Envelope, engine: LocalEngine, reason: UsmRejectionReason, count: number, keys?: LocalizedUser): Buffer {
  // Only notInTimeWindow is reported authenticated: it carries the clock the sender must adopt.
  return encodeV3({
    msgId: envelope.msgId,
    reportable: false,
    level: keys ? 'authNoPriv' : 'noAuthNoPriv',
    userName: envelope.userName.toString('utf8'),
    ...(keys ? { keys } : {}),
    engineId: engine.engineId,
    clock: { boots: engine.boots, time: engine.time() },
    contextEngineId: engine.engineId,
    pdu: {
      type: PduType.Report,
      requestId: requestIdOf(envelope),
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [{ oid: USM_STATS[reason], type: VarType.Counter32, value: count >>> 0 }],
    },
  });
}

/** Encodes, encrypts and signs one v3 message. Throws TypeError/RangeError for bad input. */
export function encodeV3(out: V3Outgoing): Buffer {
  const auth = out.level !== 'noAuthNoPriv';
  const priv = out.level === 'authPriv';
  if (auth && !out.keys?.auth) throw new TypeError(`security level ${out.level} needs authentication keys`);
  if (priv && !out.keys?.priv) throw new TypeError('security level authPriv needs privacy keys');
  for (const [what, value] of [['msgID', out.msgId], ['engine boots', out.clock.boots], ['engine time', out.clock.time]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_INT) throw new RangeError(`${what} ${value} is outside 0..2^31-1`);
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

/**
 * The response to a message this engine is authoritative for: same msgID, user, level and
 * context (an inform's contextEngineID is its sender's; net-snmp drops a response that differs).
 */
export function encodeResponse(request: V3Message, engine: LocalEngine, keys: LocalizedUser, pdu: RequestPdu): Buffer {
  return encodeV3({
    msgId: request.msgId,
    reportable: false,
    level: request.level,
    userName: request.userName,
    keys,
    engineId: engine.engineId,
    clock: { boots: engine.boots, time: engine.time() },
    contextEngineId: request.contextEngineId,
    contextName: request.contextName,
    pdu,
  });
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

/** The request a reply answers, as its non-authoritative sender remembers it. */
export interface SentRequest {
  /** The user it was sent as, and the level it was sent at. */
  user: UsmUser;
  level: SecurityLevel;
  keys: KeyCache;
}

/**
 * Receives the answer to a request this engine sent to an authoritative one (an inform to its
 * receiver, a discovery probe): a Response at the request's own level, or a Report, which may be
 * at a lower one (RFC 3412 7.1.3: unauthenticated for discovery and most refusals, authNoPriv
 * for notInTimeWindow). An authenticated reply must name the request's user and carry a MAC made
 * with the user's keys localized to the replying engine. Time windows are not applied: the caller
 * matched the msgID to a request it has outstanding, and a notInTimeWindow report carries the
 * clock the sender must adopt. Throws SnmpDecodeError for garbage and for any other PDU, and
 * UsmRejection (never with a report: replies are not reportable) for what USM refuses.
 */
export function receiveReply(datagram: Buffer, sent: SentRequest): V3Message {
  const envelope = decodeEnvelope(datagram);
  const level = levelOf(envelope.flags);
  if (LEVEL_RANK[level] > LEVEL_RANK[sent.level]) throw new UsmRejection('unsupportedSecLevels');
  let keys: LocalizedUser = { user: sent.user, engineId: envelope.engineId };
  if (level !== 'noAuthNoPriv') {
    if (envelope.userName.toString('utf8') !== sent.user.name) throw new UsmRejection('unknownUserNames');
    const localized = sent.keys.localize(sent.user, envelope.engineId);
    if (!localized.auth || !verifyMessage(localized.auth, datagram, envelope.authAt, envelope.authParams)) throw new UsmRejection('wrongDigests');
    keys = { ...keys, auth: localized.auth };
    // An authNoPriv report to an authPriv request is plaintext: open() decrypts authPriv messages only.
    if (level === 'authPriv') keys.priv = localized.priv;
  }
  const message = open(envelope, keys, level, () => {
    throw new UsmRejection('decryptionErrors');
  });
  if (message.pdu.type === PduType.Report) return message;
  if (message.pdu.type !== PduType.Response) throw new SnmpDecodeError(`expected a Response or Report, got PDU type 0x${message.pdu.type.toString(16)}`);
  if (level !== sent.level) throw new UsmRejection('unsupportedSecLevels');
  return message;
}
