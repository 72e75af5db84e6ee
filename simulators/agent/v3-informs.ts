import type { Clock } from '../../src/clock.js';
import { USM_STATS } from '../../src/profiles/oids.js';
import { PduType, SnmpDecodeError, type RequestPdu } from '../../src/snmp/message.js';
import type { KeyCache, UsmUser } from '../../src/snmp/usm.js';
import { encodeV3, MAX_ENGINE_VALUE, receiveReply, UsmRejection, type LocalEngine, type UsmRejectionReason, type V3Header, type V3Message } from '../../src/snmp/v3.js';
import type { V3Target } from './notification.js';

/** What RFC 3414 4 discovery sends: no engine, no user, no authentication. */
const PROBE_USER: UsmUser = { name: '', level: 'noAuthNoPriv' };
/**
 * Resends one inform may make on a report (discovery answered, clock resync, engine change):
 * a receiver whose reports never let it through must not keep the device sending.
 */
const MAX_RESYNCS = 4;
const REASON_OF_OID = new Map<string, UsmRejectionReason>(Object.entries(USM_STATS).map(([reason, oid]) => [oid, reason as UsmRejectionReason]));

/** A manager's engine as the device learned it from a report: informs are authoritative there. */
interface ManagerEngine {
  engineId: Buffer;
  boots: number;
  time: number;
  learnedAt: number;
}

interface InformInFlight {
  target: V3Target;
  pdu: RequestPdu;
  attemptsLeft: number;
  resyncsLeft: number;
  timer: NodeJS.Timeout | undefined;
  /** Every msgID sent for this inform, and whether it was the discovery probe or the inform. */
  sent: Map<number, 'probe' | 'inform'>;
}

export interface InformCounters {
  informsAcknowledged: number;
  informsUnacknowledged: number;
  malformed: number;
  usm: Record<UsmRejectionReason, number>;
}

export interface V3InformSenderOptions {
  user: UsmUser;
  keys: KeyCache;
  /** The device's own engine: an inform's contextEngineID is its sender's. */
  engine: LocalEngine;
  clock: Pick<Clock, 'now'>;
  counters: InformCounters;
  /** Sends one datagram to the target; `notification` is false for discovery probes. */
  transmit(target: V3Target, message: Buffer, notification: boolean): void;
  takeMsgId(): number;
  /** While false (device offline) an inform that times out is given up. */
  responding(): boolean;
}

/**
 * The sending side of SNMPv3 informs (RFC 3413 3.3, RFC 3414 4): the receiver is authoritative,
 * so the device first discovers its engine ID and clock with a probe, then sends the inform
 * with keys localized to that engine. A notInTimeWindow report resyncs the clock and an
 * unknownEngineID report (the receiver's engine changed) adopts the new engine; either way the
 * inform goes again at once. Timeouts retry as the target says; each inform ends acknowledged
 * or unacknowledged.
 */
export class V3InformSender {
  private readonly managers = new Map<string, ManagerEngine>();
  private readonly byMsgId = new Map<number, InformInFlight>();

  constructor(private readonly options: V3InformSenderOptions) {}

  /** Whether any inform waits for an answer (only then can a datagram be a reply). */
  get inFlight(): boolean {
    return this.byMsgId.size > 0;
  }

  send(target: V3Target, pdu: RequestPdu): void {
    this.attempt({ target, pdu, attemptsLeft: target.retries ?? 2, resyncsLeft: MAX_RESYNCS, timer: undefined, sent: new Map() });
  }

  /** Whether a datagram with this header, from there, answers an inform in flight. */
  answers(header: V3Header, from: { address: string; port: number }): boolean {
    const inform = this.byMsgId.get(header.msgId);
    return inform !== undefined && inform.target.address === from.address && inform.target.port === from.port;
  }

  /** Handles a reply `answers` accepted. */
  receive(header: V3Header, datagram: Buffer): void {
    const inform = this.byMsgId.get(header.msgId);
    const sentAs = inform?.sent.get(header.msgId);
    if (!inform || !sentAs) return;
    const { user, keys, counters } = this.options;
    let reply: V3Message;
    try {
      reply = receiveReply(datagram, sentAs === 'probe' ? { user: PROBE_USER, level: 'noAuthNoPriv', keys } : { user, level: inform.target.securityLevel, keys });
    } catch (error) {
      if (error instanceof UsmRejection) counters.usm[error.reason]++;
      else if (error instanceof SnmpDecodeError) counters.malformed++;
      else throw error;
      return;
    }
    if (reply.pdu.type === PduType.Report) this.onReport(inform, reply);
    else if (sentAs === 'inform' && reply.pdu.requestId === inform.pdu.requestId) this.finish(inform, true);
  }

  /** A rebooted device has forgotten the engines it learned. */
  forgetManagers(): void {
    this.managers.clear();
  }

  stop(): void {
    for (const inform of new Set(this.byMsgId.values())) clearTimeout(inform.timer);
    this.byMsgId.clear();
  }

  private onReport(inform: InformInFlight, report: V3Message): void {
    const reason = REASON_OF_OID.get(report.pdu.varbinds[0]?.oid ?? '');
    // Some other report: nothing to act on; the timeout retries.
    if (!reason) return;
    if (reason !== 'unknownEngineIDs' && reason !== 'notInTimeWindows') {
      // The receiver refuses the user itself (unknown, wrong key, level): sending again cannot help.
      this.finish(inform, false);
      return;
    }
    // A clock to adopt must be authentic when the inform is (RFC 3414 3.2.7), or a forged report
    // could hold the device off; discovery (unknownEngineIDs) is unauthenticated by nature.
    const authentic = report.level !== 'noAuthNoPriv' || inform.target.securityLevel === 'noAuthNoPriv';
    if (report.engineId.length === 0 || (reason === 'notInTimeWindows' && !authentic)) return;
    this.managers.set(managerKey(inform.target), { engineId: report.engineId, boots: report.boots, time: report.time, learnedAt: this.options.clock.now() });
    if (inform.resyncsLeft-- > 0) this.attempt(inform);
  }

  private attempt(inform: InformInFlight): void {
    clearTimeout(inform.timer);
    const manager = this.managers.get(managerKey(inform.target));
    const msgId = this.options.takeMsgId();
    inform.sent.set(msgId, manager ? 'inform' : 'probe');
    this.byMsgId.set(msgId, inform);
    this.options.transmit(inform.target, manager ? this.informMessage(inform, manager, msgId) : this.probe(inform, msgId), manager !== undefined);
    inform.timer = setTimeout(() => this.timedOut(inform), inform.target.timeoutMs ?? 1500);
  }

  private timedOut(inform: InformInFlight): void {
    if (inform.attemptsLeft <= 0 || !this.options.responding()) {
      this.finish(inform, false);
      return;
    }
    inform.attemptsLeft--;
    this.attempt(inform);
  }

  private finish(inform: InformInFlight, acknowledged: boolean): void {
    clearTimeout(inform.timer);
    for (const msgId of inform.sent.keys()) this.byMsgId.delete(msgId);
    if (acknowledged) this.options.counters.informsAcknowledged++;
    else this.options.counters.informsUnacknowledged++;
  }

  private probe(inform: InformInFlight, msgId: number): Buffer {
    const none = Buffer.alloc(0);
    return encodeV3({
      msgId,
      reportable: true,
      level: 'noAuthNoPriv',
      userName: '',
      engineId: none,
      clock: { boots: 0, time: 0 },
      contextEngineId: none,
      pdu: { type: PduType.GetRequest, requestId: inform.pdu.requestId, errorStatus: 0, errorIndex: 0, varbinds: [] },
    });
  }

  private informMessage(inform: InformInFlight, manager: ManagerEngine, msgId: number): Buffer {
    const { user, keys, engine, clock } = this.options;
    const level = inform.target.securityLevel;
    const elapsed = Math.floor((clock.now() - manager.learnedAt) / 1000);
    return encodeV3({
      msgId,
      reportable: true,
      level,
      userName: user.name,
      keys: level === 'noAuthNoPriv' ? undefined : keys.localize(user, manager.engineId),
      engineId: manager.engineId,
      clock: { boots: manager.boots, time: Math.min(MAX_ENGINE_VALUE, manager.time + Math.max(0, elapsed)) },
      contextEngineId: engine.engineId,
      pdu: inform.pdu,
    });
  }
}

function managerKey(target: V3Target): string {
  return `${target.address}:${target.port}`;
}
