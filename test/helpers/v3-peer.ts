// SNMPv3 peers for simulator tests, built from priscan's own codec: a command generator that
// discovers a device's engine and sends it requests, and a notification receiver that is
// authoritative for informs (discovery, reports, acknowledgements) as snmptrapd is.
import dgram from 'node:dgram';
import { PduType, SnmpDecodeError, VarType, type RequestPdu } from '../../src/snmp/message.js';
import { KeyCache, type SecurityLevel, type UsmUser } from '../../src/snmp/usm.js';
import {
  emptyUsmStats,
  encodeResponse,
  encodeV3,
  peekV3,
  receiveAuthoritative,
  receiveReply,
  UsmRejection,
  type AuthoritativeContext,
  type LocalEngine,
  type UsmRejectionReason,
  type V3Message,
} from '../../src/snmp/v3.js';


export const getPdu = (oids: string[], requestId = 1): RequestPdu => ({
  type: PduType.GetRequest,
  requestId,
  errorStatus: 0,
  errorIndex: 0,
  varbinds: oids.map((oid) => ({ oid, type: VarType.Null, value: null })),
});

/** A UDP socket that sends one datagram and waits a bounded time for the next one to arrive. */
export class UdpPeer {
  private readonly socket = dgram.createSocket('udp4');
  private waiting: ((datagram: Buffer | undefined) => void) | undefined;

  async start(address = '127.0.0.1'): Promise<void> {
    this.socket.on('message', (datagram) => {
      const wake = this.waiting;
      this.waiting = undefined;
      wake?.(datagram);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, address, resolve));
  }

  /** The next datagram after sending this one, or undefined after `timeoutMs`. */
  exchange(datagram: Buffer, to: { address: string; port: number }, timeoutMs = 1000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.socket.send(datagram, to.port, to.address);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

export interface RequestOptions {
  /** Level of the message (default: the user's). */
  level?: SecurityLevel;
  /** Sign and encrypt as this user (default: the requester's), to send wrong keys. */
  signAs?: UsmUser;
  userName?: string;
  boots?: number;
  time?: number;
  reportable?: boolean;
}

/** A v3 command generator (what a manager's scanner is) talking to one device. */
export class V3Requester {
  engine: { engineId: Buffer; boots: number; time: number } | undefined;
  private nextMsgId = 100;
  private readonly keys = new KeyCache();

  constructor(
    private readonly peer: UdpPeer,
    private readonly device: { address: string; port: number },
    readonly user: UsmUser,
  ) {}

  /** RFC 3414 4: a probe with no engine and no user; the report names the engine and its clock. */
  async discover(): Promise<V3Message> {
    const reply = await this.peer.exchange(this.probe(), this.device);
    if (!reply) throw new Error(`no discovery report from ${this.device.address}`);
    const report = receiveReply(reply, { user: { name: '', level: 'noAuthNoPriv' }, level: 'noAuthNoPriv', keys: this.keys });
    this.engine = { engineId: report.engineId, boots: report.boots, time: report.time };
    return report;
  }

  probe(): Buffer {
    const msgId = this.nextMsgId++;
    const none = Buffer.alloc(0);
    return encodeV3({ msgId, reportable: true, level: 'noAuthNoPriv', userName: '', engineId: none, clock: { boots: 0, time: 0 }, contextEngineId: none, pdu: { ...getPdu([]), requestId: msgId } });
  }

  /** One request to the discovered engine. */
  message(pdu: RequestPdu, options: RequestOptions = {}): { msgId: number; datagram: Buffer } {
    if (!this.engine) throw new Error('discover() first');
    const level = options.level ?? this.user.level;
    const signer = options.signAs ?? this.user;
    const msgId = this.nextMsgId++;
    const datagram = encodeV3({
      msgId,
      reportable: options.reportable ?? true,
      level,
      userName: options.userName ?? this.user.name,
      keys: level === 'noAuthNoPriv' ? undefined : this.keys.localize(signer, this.engine.engineId),
      engineId: this.engine.engineId,
      clock: { boots: options.boots ?? this.engine.boots, time: options.time ?? this.engine.time },
      contextEngineId: this.engine.engineId,
      pdu,
    });
    return { msgId, datagram };
  }

  /** Sends a request and reads the answer (a Response or a Report) as its sender; undefined when none came. */
  async request(pdu: RequestPdu, options: RequestOptions = {}, timeoutMs?: number): Promise<V3Message | undefined> {
    const { msgId, datagram } = this.message(pdu, options);
    const reply = await this.peer.exchange(datagram, this.device, timeoutMs);
    if (!reply) return undefined;
    if (peekV3(reply).msgId !== msgId) throw new Error('the reply answers another message');
    return receiveReply(reply, { user: options.signAs ?? this.user, level: options.level ?? this.user.level, keys: this.keys });
  }

  /** The raw answer to a datagram, for garbage and faults. */
  raw(datagram: Buffer, timeoutMs?: number): Promise<Buffer | undefined> {
    return this.peer.exchange(datagram, this.device, timeoutMs);
  }
}

/** A mutable engine, so a test can reboot a manager or give it another engine ID. */
export class TestEngine implements LocalEngine {
  constructor(
    public engineId: Buffer,
    public boots = 1,
    public clockTime = 100,
  ) {}

  time(): number {
    return this.clockTime;
  }
}

/**
 * A notification receiver authoritative for informs: it answers discovery and refuses with
 * reports exactly as receiveAuthoritative says, and acknowledges accepted informs.
 */
export class FakeV3Manager {
  readonly engine: TestEngine;
  readonly informs: V3Message[] = [];
  readonly traps: Buffer[] = [];
  /** Every datagram that arrived, in order. */
  readonly datagrams: Buffer[] = [];
  readonly stats = emptyUsmStats();
  /** While false, accepted informs go unanswered. */
  acknowledge = true;
  private readonly socket = dgram.createSocket('udp4');
  private readonly context: AuthoritativeContext<KeyCache>;

  constructor(engineId: Buffer, users: UsmUser[]) {
    this.engine = new TestEngine(engineId);
    this.context = { engine: this.engine, keys: new KeyCache(), userFor: (name) => users.find((u) => u.name === name), stats: this.stats };
  }

  async start(address = '127.0.0.1'): Promise<number> {
    this.socket.on('message', (datagram, rinfo) => this.receive(datagram, rinfo));
    await new Promise<void>((resolve) => this.socket.bind(0, address, resolve));
    return this.port;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Forgets what arrived so far; the engine and counters stay. */
  clear(): void {
    this.informs.length = 0;
    this.traps.length = 0;
    this.datagrams.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private receive(datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    this.datagrams.push(datagram);
    let message: V3Message;
    try {
      message = receiveAuthoritative(datagram, this.context);
    } catch (error) {
      if (error instanceof UsmRejection && error.report) this.socket.send(error.report, rinfo.port, rinfo.address);
      // A trap is authoritative at its sender: this engine cannot judge it, so keep it raw.
      else if (error instanceof UsmRejection) this.traps.push(datagram);
      else if (!(error instanceof SnmpDecodeError)) throw error;
      return;
    }
    if (message.pdu.type !== PduType.InformRequest) return;
    this.informs.push(message);
    if (!this.acknowledge) return;
    const keys = this.context.keys.localize(this.context.userFor(message.userName)!, this.engine.engineId);
    this.socket.send(encodeResponse(message, this.engine, keys, { ...message.pdu, type: PduType.Response }), rinfo.port, rinfo.address);
  }
}
