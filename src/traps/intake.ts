import { timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { SNMPV2 } from '../profiles/oids.js';
import { decodeMessage, encodeMessage, PduType, peekVersion, SnmpDecodeError, SnmpVersion, type Pdu, type SnmpMessage } from '../snmp/message.js';
import { WorkerKeyDeriver } from '../snmp/key-derivation.js';
import { KeyCache, type UsmUser } from '../snmp/usm.js';
import { UsmKeyStore } from '../snmp/usm-keys.js';
import { emptyUsmStats, encodeResponse, EngineTimeWindows, KeysNotReady, receiveNotification, UsmRejection, type LocalEngine, type UsmRejectionReason, type V3Message } from '../snmp/v3.js';
import { AwaitingKeys, type HeldDatagram } from './awaiting-keys.js';

export const NOTIFICATION_RESULTS = [
  'accepted',
  'unknown_source',
  'bad_community',
  'malformed',
  'unexpected_pdu',
  // Authentic, but not one of the notifications the device's profile scans on.
  'ignored',
  // SNMPv3 only:
  'discovery',
  'unknown_user',
  'bad_auth',
  'not_in_time_window',
  // held while its user's keys were derived, and no room left to hold it:
  'dropped_awaiting_keys',
] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];
export type NotificationKind = 'trap' | 'inform' | 'unknown';
export type NotificationVersion = 'v1' | 'v2c' | 'v3' | 'unknown';

/** How each USM refusal is counted; a discovery probe is a normal first step of a v3 inform. */
const V3_RESULT: Record<UsmRejectionReason, NotificationResult> = {
  unknownEngineIDs: 'discovery',
  unknownUserNames: 'unknown_user',
  unsupportedSecLevels: 'bad_auth',
  wrongDigests: 'bad_auth',
  decryptionErrors: 'bad_auth',
  notInTimeWindows: 'not_in_time_window',
};

/** A notification from a known device with the right community. Its content is not trusted. */
export interface AcceptedNotification {
  deviceId: number;
  /** coldStart/warmStart: the device restarted and may have lost its registration. */
  restart: boolean;
  receivedAt: number;
}

export interface NotificationSource {
  deviceId: number;
  community: Buffer;
  /** The user the device's v3 notifications must come from; none: v3 from it is refused. */
  usm?: UsmUser;
  /** Notification OIDs (or prefixes) that mean "scan now"; absent: every notification does. */
  scanOn?: readonly string[];
}

/** The v3 keys the intake checks messages with: UsmKeyStore's shape. */
export type IntakeKeys = Pick<UsmKeyStore, 'localize' | 'prepare' | 'whenDerived' | 'stop'>;

/** What receive() did: counted with a result, or held until the user's keys are derived. */
export type ReceiveOutcome = NotificationResult | 'awaiting_keys';

/** A datagram waits for keys at most twice (a derivation that failed is tried once more). */
const MAX_KEY_WAITS = 2;

export interface IntakeObserver {
  notification(version: NotificationVersion, kind: NotificationKind, result: NotificationResult): void;
}

export interface IntakeDeps {
  address: string;
  port: number;
  receiveBufferBytes: number;
  now: () => number;
  /** Known devices by source address, with the community their notifications must carry. */
  sourceFor: (address: string) => NotificationSource | undefined;
  onNotification: (notification: AcceptedNotification) => void;
  /** This installation's SNMPv3 engine: informs and their discovery are addressed to it. */
  engine: LocalEngine;
  observer?: IntakeObserver;
  /** Default: keys derived in a worker thread. The intake stops them when it stops. */
  usmKeys?: IntakeKeys;
}

const RESTART_TRAPS = new Set<string>([SNMPV2.coldStart, SNMPV2.warmStart]);

function sameCommunity(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** The notification's OID: snmpTrapOID.0, or for a v1 trap its RFC 3584 translation. */
function notificationOid(pdu: Pdu): string | undefined {
  if (pdu.type === PduType.TrapV1) {
    if (pdu.genericTrap === 6) return `${pdu.enterprise}.0.${pdu.specificTrap}`;
    return `${SNMPV2.snmpTraps}.${pdu.genericTrap + 1}`;
  }
  const trapOid = pdu.varbinds.find((vb) => vb.oid === SNMPV2.snmpTrapOID)?.value;
  return typeof trapOid === 'string' ? trapOid : undefined;
}

/** The request a notification makes: re-register after a restart; scan when its profile says so. */
function meaningOf(pdu: Pdu, source: NotificationSource): { restart: boolean; scan: boolean } {
  const oid = notificationOid(pdu);
  const restart = oid !== undefined && RESTART_TRAPS.has(oid);
  if (restart || !source.scanOn) return { restart, scan: true };
  return { restart, scan: oid !== undefined && source.scanOn.some((prefix) => oid === prefix || oid.startsWith(`${prefix}.`)) };
}

/** IPv4 senders on a dual-stack socket arrive as ::ffff:a.b.c.d. */
function senderAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The UDP listener for device notifications: v1 traps, v2c and v3 traps and
 * informs. It decides only who sent a notification and whether to believe
 * them; what the notification says is never used as alarm state.
 */
export class NotificationIntake {
  private socket: dgram.Socket | undefined;
  private readonly v3: {
    keys: IntakeKeys;
    windows: EngineTimeWindows;
    /** usmStats, as reported back to senders. */
    stats: Record<UsmRejectionReason, number>;
    /** Datagrams from devices whose keys are being derived. */
    awaiting: AwaitingKeys;
  };

  constructor(private readonly deps: IntakeDeps) {
    this.v3 = {
      keys: deps.usmKeys ?? new UsmKeyStore({ cache: new KeyCache(), deriver: new WorkerKeyDeriver() }),
      windows: new EngineTimeWindows(deps.now),
      stats: emptyUsmStats(),
      awaiting: new AwaitingKeys(),
    };
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket({ type: this.deps.address.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.deps.address, port: this.deps.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      socket.close();
      const reason =
        error.code === 'EADDRINUSE' ? 'address already in use' : error.code === 'EACCES' ? 'permission denied (port 162 needs root or CAP_NET_BIND_SERVICE)' : error.message;
      throw new Error(`cannot listen for notifications on ${this.deps.address}:${this.deps.port}: ${reason}`);
    });
    // The default buffer drops datagrams under a storm; ask for more (the kernel may cap it at rmem_max).
    try {
      socket.setRecvBufferSize(this.deps.receiveBufferBytes);
    } catch {
      // keep the default; the size actually granted is visible through receiveBufferSize
    }
    socket.on('error', () => undefined);
    socket.on('message', (datagram, rinfo) => this.guarded(() => this.receive(datagram, rinfo)));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    for (const _held of this.v3.awaiting.takeAll()) this.count('v3', 'unknown', 'dropped_awaiting_keys');
    await this.v3.keys.stop();
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Starts deriving a v3 user's keys (a device was added), so its first message finds them ready. */
  prepareKeys(user: UsmUser): void {
    this.v3.keys.prepare(user);
  }

  get port(): number {
    return this.socket?.address().port ?? this.deps.port;
  }

  get receiveBufferSize(): number {
    return this.socket?.getRecvBufferSize() ?? 0;
  }

  /** Handles one datagram; nothing in it can throw out of here. */
  receive(datagram: Buffer, rinfo: { address: string; port: number }): ReceiveOutcome {
    if (peekVersion(datagram) === SnmpVersion.v3) return this.receiveV3({ datagram, rinfo, waits: 0 });
    let message: SnmpMessage;
    try {
      message = decodeMessage(datagram);
    } catch (error) {
      if (!(error instanceof SnmpDecodeError)) throw error;
      return this.count('unknown', 'unknown', 'malformed');
    }
    const version: NotificationVersion = message.version === 0 ? 'v1' : 'v2c';
    const pdu = message.pdu;
    const kind: NotificationKind =
      pdu.type === PduType.InformRequest ? 'inform' : pdu.type === PduType.TrapV1 || pdu.type === PduType.TrapV2 ? 'trap' : 'unknown';
    if (kind === 'unknown') return this.count(version, kind, 'unexpected_pdu');
    const source = this.deps.sourceFor(senderAddress(rinfo.address));
    if (!source) return this.count(version, kind, 'unknown_source');
    if (!sameCommunity(message.community, source.community)) return this.count(version, kind, 'bad_community');
    if (kind === 'inform' && pdu.type === PduType.InformRequest) {
      const ack = encodeMessage({ ...message, pdu: { ...pdu, type: PduType.Response, errorStatus: 0, errorIndex: 0 } });
      this.socket?.send(ack, rinfo.port, rinfo.address);
    }
    return this.deliver(source, pdu, version, kind);
  }

  /**
   * v3: the source address names the device, the device names the one user its notifications
   * must come from, and USM checks keys and time. Reports (discovery, resync) go to known devices
   * only: strangers learn nothing, not even the engine ID.
   */
  private receiveV3(held: HeldDatagram): ReceiveOutcome {
    const { datagram, rinfo } = held;
    const source = this.deps.sourceFor(senderAddress(rinfo.address));
    const usm = source?.usm;
    const { keys, windows, stats } = this.v3;
    let message: V3Message;
    try {
      message = receiveNotification(datagram, { engine: this.deps.engine, keys, windows, stats, userFor: (name) => (usm && usm.name === name ? usm : undefined) });
    } catch (error) {
      if (error instanceof SnmpDecodeError) return this.count('v3', 'unknown', 'malformed');
      // Only a known device's own user gets this far: a stranger cannot make the intake derive keys.
      if (error instanceof KeysNotReady && source) return this.awaitKeys(source.deviceId, error.user, held);
      if (!(error instanceof UsmRejection)) throw error;
      if (!source) return this.count('v3', 'unknown', 'unknown_source');
      if (error.report) this.socket?.send(error.report, rinfo.port, rinfo.address);
      return this.count('v3', 'unknown', V3_RESULT[error.reason]);
    }
    const pdu = message.pdu;
    const kind: NotificationKind = pdu.type === PduType.InformRequest ? 'inform' : pdu.type === PduType.TrapV2 ? 'trap' : 'unknown';
    if (!source || !usm) return this.count('v3', kind, 'unknown_source');
    if (kind === 'unknown') return this.count('v3', kind, 'unexpected_pdu');
    if (kind === 'inform') {
      // The inform was just checked with these keys: they are cached.
      const ack = encodeResponse(message, this.deps.engine, keys.localize(usm, this.deps.engine.engineId)!, { ...pdu, type: PduType.Response, errorStatus: 0, errorIndex: 0 });
      this.socket?.send(ack, rinfo.port, rinfo.address);
    }
    return this.deliver(source, pdu, 'v3', kind);
  }

  private deliver(source: NotificationSource, pdu: Pdu, version: NotificationVersion, kind: NotificationKind): NotificationResult {
    const { restart, scan } = meaningOf(pdu, source);
    if (!scan) return this.count(version, kind, 'ignored');
    this.deps.onNotification({ deviceId: source.deviceId, restart, receivedAt: this.deps.now() });
    return this.count(version, kind, 'accepted');
  }

  /**
   * Holds a datagram until its user's keys are derived, then receives it again from the start
   * (the device may have changed or gone meanwhile). The first one held for a device waits for
   * the keys on behalf of all; what does not fit is dropped, and counted.
   */
  private awaitKeys(deviceId: number, user: UsmUser, held: HeldDatagram): ReceiveOutcome {
    const waiting = this.v3.awaiting.has(deviceId);
    if (held.waits >= MAX_KEY_WAITS || !this.v3.awaiting.hold(deviceId, held)) return this.count('v3', 'unknown', 'dropped_awaiting_keys');
    if (!waiting) {
      void this.v3.keys.whenDerived(user).then(() => {
        for (const next of this.v3.awaiting.take(deviceId)) this.guarded(() => this.receiveV3({ ...next, waits: next.waits + 1 }));
      });
    }
    return 'awaiting_keys';
  }

  private guarded(receive: () => ReceiveOutcome): void {
    try {
      receive();
    } catch {
      // A bug must not take the listener down with it; the datagram is counted as malformed.
      this.count('unknown', 'unknown', 'malformed');
    }
  }

  private count(version: NotificationVersion, kind: NotificationKind, result: NotificationResult): NotificationResult {
    this.deps.observer?.notification(version, kind, result);
    return result;
  }
}
