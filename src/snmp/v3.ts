/**
 * SNMPv3 messages (RFC 3412) under the User-based Security Model (RFC 3414) on receipt:
 * authentication, timeliness, decryption and reports (their layout and encoding:
 * v3-message.ts). Shared by the simulated agents (authoritative for requests) and the
 * notification intake (authoritative for informs, not for traps).
 */
import { USM_STATS } from '../profiles/oids.js';
import { SnmpDecodeError } from './ber.js';
import { PduType, VarType, type RequestPdu } from './message.js';
import { decryptScopedPdu, verifyMessage, type LocalizedUser, type SecurityLevel, type UsmKeys, type UsmUser } from './usm.js';
import { decodeEnvelope, decodeScoped, encodeV3, FLAG, LEVEL_RANK, levelOf, MAX_ENGINE_VALUE, type Envelope, type V3Message } from './v3-message.js';

export { encodeV3, MAX_ENGINE_VALUE, MAX_MESSAGE_SIZE, peekV3, USM_SECURITY_MODEL, type V3Header, type V3Message, type V3Outgoing } from './v3-message.js';

/** RFC 3414 3.2.7: messages more than 150 s away from the engine's clock are refused. */
export const TIME_WINDOW_S = 150;

/** Why USM refused a message: the usmStats counter it increments. */
export type UsmRejectionReason = keyof typeof USM_STATS;

/** The usmStats counters, all at zero. */
export function emptyUsmStats(): Record<UsmRejectionReason, number> {
  return Object.fromEntries(Object.keys(USM_STATS).map((reason) => [reason, 0])) as Record<UsmRejectionReason, number>;
}

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

/**
 * A message whose user's keys are still being derived (UsmKeyStore): nothing about it is known
 * yet. The receiver holds it and tries again once UsmKeyStore.whenDerived says they are ready.
 */
export class KeysNotReady extends Error {
  override readonly name = 'KeysNotReady';

  constructor(readonly user: UsmUser) {
    super('the SNMPv3 keys of this message\'s user are still being derived');
  }
}

function keysFor(keys: UsmKeys, user: UsmUser, engineId: Buffer): LocalizedUser {
  const localized = keys.localize(user, engineId);
  if (!localized) throw new KeysNotReady(user);
  return localized;
}

/** This process's own engine, for the messages it is authoritative for. */
export interface LocalEngine {
  readonly engineId: Buffer;
  readonly boots: number;
  /** snmpEngineTime: seconds since the engine last booted. */
  time(): number;
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
export interface AuthoritativeContext<Keys extends UsmKeys = UsmKeys> {
  engine: LocalEngine;
  userFor(name: string): UsmUser | undefined;
  keys: Keys;
  /** The usmStats counters, reported back in each report. */
  stats: Record<UsmRejectionReason, number>;
}

/**
 * Receives a message this engine is authoritative for (a request to an agent, an inform to a
 * receiver). Throws SnmpDecodeError for garbage, UsmRejection, with the report to send back
 * if the sender asked for one, for anything USM refuses, and KeysNotReady while the keys it
 * needs are being derived.
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
  const keys = keysFor(ctx.keys, user, engine.engineId);
  if (keys.auth && !verifyMessage(keys.auth, datagram, envelope.authAt, envelope.authParams)) refuse('wrongDigests');
  if (keys.auth) {
    const now = engine.time();
    if (engine.boots >= MAX_ENGINE_VALUE || envelope.boots !== engine.boots || Math.abs(envelope.time - now) > TIME_WINDOW_S) refuse('notInTimeWindows', keys);
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
      if (known.boots >= MAX_ENGINE_VALUE || boots < known.boots || (boots === known.boots && time < estimate - TIME_WINDOW_S)) return false;
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
  keys: UsmKeys;
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
  const keys = keysFor(ctx.keys, user, envelope.engineId);
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

/** The request a reply answers, as its non-authoritative sender remembers it. */
export interface SentRequest {
  /** The user it was sent as, and the level it was sent at. */
  user: UsmUser;
  level: SecurityLevel;
  keys: UsmKeys;
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
    const localized = keysFor(sent.keys, sent.user, envelope.engineId);
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
