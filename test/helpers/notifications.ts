import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { PRISCAN_SIM, SNMPV2 } from '../../src/profiles/oids.js';
import { encodeMessage, PduType, VarType, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';

/** The notification shapes the intake meets: v1 Trap, v2c TrapV2, v2c Inform. */
export type NotificationShape = 'v1-trap' | 'v2c-trap' | 'v2c-inform';

export interface NotificationOptions {
  community: string | Buffer;
  requestId?: number;
  /** v1 agent-addr: the address the trap claims to come from (never trusted). */
  agentAddr?: string;
  trapOid?: string;
  extra?: VarBind[];
}

/** An alert-present notification (or `trapOid`) as a device would send it. */
export function notificationMessage(shape: NotificationShape, options: NotificationOptions): SnmpMessage {
  const community = Buffer.isBuffer(options.community) ? options.community : Buffer.from(options.community);
  const trapOid = options.trapOid ?? PRISCAN_SIM.alertPresent;
  const extra = options.extra ?? [];
  if (shape === 'v1-trap') {
    const arcs = trapOid.split('.');
    const specificTrap = Number(arcs.pop());
    if (arcs.at(-1) === '0') arcs.pop();
    return {
      version: 0,
      community,
      pdu: { type: PduType.TrapV1, enterprise: arcs.join('.'), agentAddr: options.agentAddr ?? '127.0.0.1', genericTrap: 6, specificTrap, timestamp: 4200, varbinds: extra },
    };
  }
  return {
    version: 1,
    community,
    pdu: {
      type: shape === 'v2c-inform' ? PduType.InformRequest : PduType.TrapV2,
      requestId: options.requestId ?? 1,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [{ oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 4200 }, { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: trapOid }, ...extra],
    },
  };
}

export function encodeNotification(shape: NotificationShape, options: NotificationOptions): Buffer {
  return encodeMessage(notificationMessage(shape, options));
}

/** One BER TLV (definite length, shortest form). */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), berLength(body.length), body]);
}

export function berLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const int = (value: number): Buffer => tlv(0x02, Buffer.from([value & 0xff]));
const octets = (value: string | Buffer): Buffer => tlv(0x04, Buffer.isBuffer(value) ? value : Buffer.from(value));

/**
 * An SNMPv3 message (RFC 3412 header, USM parameters, a scoped TrapV2 PDU), noAuthNoPriv.
 * priscan speaks v1/v2c only: the intake must count it and drop it.
 */
export function v3TrapMessage(user = 'priscan', engineId = Buffer.from('80001f8880e9bd0c1d12667a5100000000', 'hex')): Buffer {
  const header = tlv(0x30, tlv(0x02, Buffer.from([0x12, 0x34])), tlv(0x02, Buffer.from([0x00, 0xff, 0xe3])), octets(Buffer.from([0x00])), int(3));
  const usm = tlv(0x30, octets(engineId), int(1), int(42), octets(user), octets(''), octets(''));
  const trap = encodeNotification('v2c-trap', { community: 'x' });
  // The PDU of that short v2c message: after its SEQUENCE header (2), version (3) and community (3).
  const pdu = trap.subarray(8);
  const scoped = tlv(0x30, octets(engineId), octets(''), pdu);
  return tlv(0x30, int(3), header, octets(usm), scoped);
}

/** A UDP socket bound to one loopback address, for sending as if from a device (or a stranger). */
export class LoopbackSender {
  private constructor(
    readonly address: string,
    private readonly socket: dgram.Socket,
  ) {}

  static async open(address: string): Promise<LoopbackSender> {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new LoopbackSender(address, socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends every datagram; resolves with how many the kernel accepted. */
  async send(datagrams: readonly Buffer[], port: number, host = '127.0.0.1'): Promise<number> {
    const results = await Promise.all(
      datagrams.map((datagram) => new Promise<boolean>((resolve) => this.socket.send(datagram, port, host, (error) => resolve(!error)))),
    );
    return results.filter(Boolean).length;
  }

  /** Datagrams that arrive at this socket within `ms` (e.g. inform acknowledgements). */
  async receiveFor(ms: number): Promise<Buffer[]> {
    const received: Buffer[] = [];
    const listener = (datagram: Buffer) => received.push(datagram);
    this.socket.on('message', listener);
    await new Promise((r) => setTimeout(r, ms));
    this.socket.off('message', listener);
    return received;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Datagrams the kernel dropped for the IPv4 UDP socket bound to `port` (the `drops` column of
 * /proc/net/udp): a receive buffer that overflowed loses datagrams before the process sees them.
 * undefined when the socket is not found (not Linux, or another network namespace).
 */
export function socketDrops(port: number, address = '127.0.0.1'): number | undefined {
  // The kernel prints the address in host byte order (little-endian here) and the port big-endian.
  const hexAddress = address.split('.').reverse().map((o) => Number(o).toString(16).padStart(2, '0')).join('').toUpperCase();
  const local = `${hexAddress}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let table: string;
  try {
    table = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local) return Number(fields.at(-1));
  }
  return undefined;
}

/**
 * The host's UDP counters from /proc/net/snmp (every socket in this network namespace):
 * RcvbufErrors counts datagrams a full receive buffer dropped, InErrors those and every other
 * datagram the kernel could not deliver. undefined when not on Linux.
 */
export function kernelUdpCounters(): { inErrors: number; rcvbufErrors: number } | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const field = (name: string) => (names.indexOf(name) > 0 ? Number(values[names.indexOf(name)]) : NaN);
    const counters = { inErrors: field('InErrors'), rcvbufErrors: field('RcvbufErrors') };
    return Number.isFinite(counters.inErrors) && Number.isFinite(counters.rcvbufErrors) ? counters : undefined;
  } catch {
    return undefined;
  }
}

/** The host's UDP RcvbufErrors counter (every socket in this network namespace), for reporting. */
export function udpReceiveBufferErrors(): number | undefined {
  return kernelUdpCounters()?.rcvbufErrors;
}

/** Sends one v2c notification (alert-present unless `trapOid` says otherwise) as if from `from`. */
export async function sendAlertPresent(options: { from: string; port: number; community: string; trapOid?: string; count?: number }): Promise<void> {
  const sender = await LoopbackSender.open(options.from);
  try {
    const datagram = encodeNotification('v2c-trap', { community: options.community, trapOid: options.trapOid });
    await sender.send(Array.from({ length: options.count ?? 1 }, () => datagram), options.port);
  } finally {
    sender.close();
  }
}
