import dgram from 'node:dgram';
import type { Clock } from '../../src/clock.js';
import { decodeMessage, encodeMessage, PduType, peekVersion, SnmpDecodeError, SnmpVersion, type RequestPdu } from '../../src/snmp/message.js';
import type { KeyCache, UsmUser } from '../../src/snmp/usm.js';
import {
  emptyUsmStats,
  encodeResponse,
  encodeV3,
  peekV3,
  receiveAuthoritative,
  UsmRejection,
  type AuthoritativeContext,
  type UsmRejectionReason,
  type V3Message,
} from '../../src/snmp/v3.js';
import type { DeviceEngine } from './engine.js';
import { checkFault, DEFAULT_SLOW_MS, faultyAnswer, faultyCommandAnswer, faultyReport, type Fault, type FaultMode } from './faults.js';
import type { DeviceMib } from './mib.js';
import { notificationMessage, notificationPdu, type Notification, type NotificationTarget, type V3Target } from './notification.js';
import type { Access, CommandRequest } from './responder.js';
import { V3InformSender } from './v3-informs.js';

export interface AgentCounters {
  requests: number;
  badCommunity: number;
  malformed: number;
  notificationsSent: number;
  notificationsDropped: number;
  informsAcknowledged: number;
  informsUnacknowledged: number;
  /** usmStats (RFC 3414): v3 messages refused, by reason. */
  usm: Record<UsmRejectionReason, number>;
}

/** The device's SNMPv3 side: one USM user, who has write access, and the device's own engine. */
export interface AgentV3 {
  user: UsmUser;
  /** Shared across a fleet: deriving a key from a password hashes 1 MiB. */
  keys: KeyCache;
  engine: DeviceEngine;
}

interface V3Face extends AgentV3 {
  context: AuthoritativeContext;
  informs: V3InformSender;
}

export interface AgentOptions {
  address: string;
  port: number;
  readCommunity: string;
  writeCommunity: string;
  mib: DeviceMib;
  /** Values put into outgoing notifications. */
  uptime: () => number;
  sysObjectId: () => string;
  clock: Pick<Clock, 'now'>;
  v3?: AgentV3;
}

interface PendingInform {
  target: NotificationTarget;
  message: Buffer;
  attemptsLeft: number;
  timer: NodeJS.Timeout;
}

/**
 * The UDP face of one simulated device: answers requests on its own address
 * and sends notifications from that same address and port, so a manager can
 * tell devices apart by source address.
 */
export class DeviceAgent {
  readonly counters: AgentCounters = {
    requests: 0,
    badCommunity: 0,
    malformed: 0,
    notificationsSent: 0,
    notificationsDropped: 0,
    informsAcknowledged: 0,
    informsUnacknowledged: 0,
    usm: emptyUsmStats(),
  };
  /** While false the device neither answers nor sends, like a card that lost power. */
  responding = true;
  private socket: dgram.Socket | undefined;
  private nextRequestId: number;
  private readonly pendingInforms = new Map<number, PendingInform>();
  private faultState: Fault = { mode: 'none', delayMs: 0 };
  /** Responses a `slow` agent holds back, cleared on stop. */
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly v3: V3Face | undefined;

  constructor(private readonly options: AgentOptions) {
    this.nextRequestId = Math.floor(Math.random() * 0x3fffffff) + 1;
    const v3 = options.v3;
    if (v3) {
      const { user, keys, engine } = v3;
      this.v3 = {
        ...v3,
        context: { engine, keys, userFor: (name) => (name === user.name ? user : undefined), stats: this.counters.usm },
        informs: new V3InformSender({
          user,
          keys,
          engine,
          clock: options.clock,
          counters: this.counters,
          transmit: (target, message, notification) => this.transmit(target, message, notification),
          takeMsgId: () => this.takeRequestId(),
          responding: () => this.responding,
        }),
      };
    }
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.options.address, port: this.options.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      socket.close();
      throw new Error(`cannot listen on ${this.options.address}:${this.options.port}: ${describeBindError(error)}`);
    });
    // After binding, a socket error (e.g. ICMP unreachable surfacing on send) must not crash the fleet.
    socket.on('error', () => undefined);
    socket.on('message', (datagram, rinfo) => this.receive(datagram, rinfo));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    this.v3?.informs.stop();
    for (const pending of this.pendingInforms.values()) clearTimeout(pending.timer);
    this.pendingInforms.clear();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** The port actually bound (differs from the option when it was 0). */
  get port(): number {
    return this.socket?.address().port ?? this.options.port;
  }

  /** How this agent answers requests: correctly ('none') or like a broken one (see FaultMode). */
  get fault(): Fault {
    return { ...this.faultState };
  }

  /** `delayMs` applies to `slow` only. */
  setFault(mode: FaultMode, delayMs = DEFAULT_SLOW_MS): void {
    this.faultState = checkFault(mode, mode === 'slow' ? delayMs : 0);
  }

  send(target: NotificationTarget, notification: Notification): void {
    const socket = this.socket;
    if (!socket || !this.responding) return;
    const requestId = this.takeRequestId();
    if (target.version === 'v3') {
      this.sendV3(target, notificationPdu(target.type, notification, { uptime: this.options.uptime(), requestId }));
      return;
    }
    const message = encodeMessage(
      notificationMessage(target, notification, {
        uptime: this.options.uptime(),
        sysObjectId: this.options.sysObjectId(),
        agentAddress: this.options.address,
        requestId,
      }),
    );
    this.transmit(target, message);
    if (target.type === 'inform' && target.version === 'v2c') {
      this.pendingInforms.set(requestId, {
        target,
        message,
        attemptsLeft: target.retries ?? 2,
        timer: this.informTimer(requestId, target),
      });
    }
  }

  private informTimer(requestId: number, target: NotificationTarget): NodeJS.Timeout {
    return setTimeout(() => this.retryInform(requestId), target.timeoutMs ?? 1500);
  }

  private retryInform(requestId: number): void {
    const pending = this.pendingInforms.get(requestId);
    if (!pending) return;
    if (pending.attemptsLeft <= 0 || !this.responding) {
      this.pendingInforms.delete(requestId);
      this.counters.informsUnacknowledged++;
      return;
    }
    pending.attemptsLeft--;
    this.transmit(pending.target, pending.message);
    pending.timer = this.informTimer(requestId, pending.target);
  }

  /** A v3 notification goes as the device's user; the device is authoritative for a trap, not an inform. */
  private sendV3(target: V3Target, pdu: RequestPdu): void {
    const v3 = this.v3;
    if (!v3 || target.securityName !== v3.user.name) {
      this.counters.notificationsDropped++;
      return;
    }
    if (target.type === 'inform') {
      v3.informs.send(target, pdu);
      return;
    }
    const { user, keys, engine } = v3;
    const level = target.securityLevel;
    const message = encodeV3({
      msgId: this.takeRequestId(),
      reportable: false,
      level,
      userName: user.name,
      keys: level === 'noAuthNoPriv' ? undefined : keys.localize(user, engine.engineId),
      engineId: engine.engineId,
      clock: { boots: engine.boots, time: engine.time() },
      contextEngineId: engine.engineId,
      pdu,
    });
    this.transmit(target, message);
  }

  /** After a reboot the device no longer knows the managers' engines. */
  rebooted(): void {
    this.v3?.informs.forgetManagers();
  }

  private transmit(target: NotificationTarget, message: Buffer, notification = true): void {
    this.socket?.send(message, target.port, target.address);
    if (notification) this.counters.notificationsSent++;
  }

  private receive(datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.responding) return;
    let request;
    try {
      request = decodeMessage(datagram);
    } catch (error) {
      if (!(error instanceof SnmpDecodeError)) throw error;
      // v1/v2c first: the common case pays nothing for v3.
      if (this.v3 && peekVersion(datagram) === SnmpVersion.v3) this.receiveV3(this.v3, datagram, rinfo);
      else this.counters.malformed++;
      return;
    }
    const pdu = request.pdu;
    if (pdu.type === PduType.Response) {
      this.acknowledgeInform(pdu.requestId, rinfo);
      return;
    }
    const access = this.accessFor(request.community);
    if (!access) {
      this.counters.badCommunity++;
      return;
    }
    this.counters.requests++;
    this.answer(faultyAnswer(this.options.mib, request, access, this.faultState.mode, datagram), rinfo);
  }

  /** A request to this engine (or discovery), or a reply to one of the device's informs. */
  private receiveV3(v3: V3Face, datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    if (v3.informs.inFlight) {
      let header;
      try {
        header = peekV3(datagram);
      } catch (error) {
        if (!(error instanceof SnmpDecodeError)) throw error;
        this.counters.malformed++;
        return;
      }
      if (v3.informs.answers(header, rinfo)) {
        v3.informs.receive(header, datagram);
        return;
      }
    }
    let message: V3Message;
    try {
      message = receiveAuthoritative(datagram, v3.context);
    } catch (error) {
      if (error instanceof UsmRejection) this.answer(error.report && faultyReport(error.report, this.faultState.mode, datagram), rinfo);
      else if (error instanceof SnmpDecodeError) this.counters.malformed++;
      else throw error;
      return;
    }
    this.counters.requests++;
    const keys = v3.keys.localize(v3.user, v3.engine.engineId);
    const request: CommandRequest = { pdu: message.pdu, v1: false, maxSize: message.maxSize, encode: (pdu) => encodeResponse(message, v3.engine, keys, pdu) };
    // The v3 user is the device's administrator.
    this.answer(faultyCommandAnswer(this.options.mib, { request, access: 'write', mode: this.faultState.mode, datagram }), rinfo);
  }

  /** Sends a response (or report) back, held back first when the agent is `slow`. */
  private answer(response: Buffer | undefined, rinfo: dgram.RemoteInfo): void {
    if (!response) return;
    const { mode, delayMs } = this.faultState;
    if (mode !== 'slow') {
      this.socket?.send(response, rinfo.port, rinfo.address);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.socket?.send(response, rinfo.port, rinfo.address);
    }, delayMs);
    this.delayed.add(timer);
  }

  private acknowledgeInform(requestId: number, rinfo: dgram.RemoteInfo): void {
    const pending = this.pendingInforms.get(requestId);
    if (!pending || pending.target.address !== rinfo.address || pending.target.port !== rinfo.port) return;
    clearTimeout(pending.timer);
    this.pendingInforms.delete(requestId);
    this.counters.informsAcknowledged++;
  }

  private accessFor(community: Buffer): Access | undefined {
    const text = community.toString('utf8');
    if (text === this.options.writeCommunity) return 'write';
    if (text === this.options.readCommunity) return 'read';
    return undefined;
  }

  private takeRequestId(): number {
    this.nextRequestId = this.nextRequestId >= 0x7fffffff ? 1 : this.nextRequestId + 1;
    return this.nextRequestId;
  }
}

function describeBindError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'address already in use (another simulator or agent is bound there)';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; choose --port 1161)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host (use a 127.x.y.z loopback address)';
    default:
      return error.message;
  }
}
