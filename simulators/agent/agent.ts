import dgram from 'node:dgram';
import { decodeMessage, encodeMessage, PduType, SnmpDecodeError } from '../../src/snmp/message.js';
import { checkFault, DEFAULT_SLOW_MS, faultyAnswer, type Fault, type FaultMode } from './faults.js';
import type { DeviceMib } from './mib.js';
import { notificationMessage, type Notification, type NotificationTarget } from './notification.js';
import type { Access } from './responder.js';

export interface AgentCounters {
  requests: number;
  badCommunity: number;
  malformed: number;
  notificationsSent: number;
  notificationsDropped: number;
  informsAcknowledged: number;
  informsUnacknowledged: number;
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
  };
  /** While false the device neither answers nor sends, like a card that lost power. */
  responding = true;
  private socket: dgram.Socket | undefined;
  private nextRequestId: number;
  private readonly pendingInforms = new Map<number, PendingInform>();
  private faultState: Fault = { mode: 'none', delayMs: 0 };
  /** Responses a `slow` agent holds back, cleared on stop. */
  private readonly delayed = new Set<NodeJS.Timeout>();

  constructor(private readonly options: AgentOptions) {
    this.nextRequestId = Math.floor(Math.random() * 0x3fffffff) + 1;
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

  private transmit(target: NotificationTarget, message: Buffer): void {
    this.socket?.send(message, target.port, target.address);
    this.counters.notificationsSent++;
  }

  private receive(datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.responding) return;
    let request;
    try {
      request = decodeMessage(datagram);
    } catch (error) {
      if (!(error instanceof SnmpDecodeError)) throw error;
      this.counters.malformed++;
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
    const { mode, delayMs } = this.faultState;
    const response = faultyAnswer(this.options.mib, request, access, mode, datagram);
    if (!response) return;
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
