import dgram from 'node:dgram';
import snmp from 'net-snmp';
import { decodeMessage, encodeMessage, PduType, type SnmpMessage } from '../../src/snmp/message.js';

export interface ClientVarbind {
  oid: string;
  type: number;
  value: unknown;
}

/** A net-snmp session with the error listener every session needs. */
export function openSession(address: string, port: number, community: string, version: 'v1' | 'v2c' = 'v2c') {
  const session = snmp.createSession(address, community, {
    port,
    version: version === 'v1' ? snmp.Version1 : snmp.Version2c,
    retries: 0,
    timeout: 1000,
  });
  session.on('error', () => undefined);
  return {
    get: (oids: string[]) =>
      new Promise<ClientVarbind[]>((resolve, reject) =>
        session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds as ClientVarbind[]))),
      ),
    set: (varbinds: ClientVarbind[]) =>
      new Promise<ClientVarbind[]>((resolve, reject) =>
        session.set(varbinds as snmp.Varbind[], (error, result) => (error ? reject(error) : resolve(result as ClientVarbind[]))),
      ),
    /** Every varbind below `oid`, using GETBULK (v2c) or GETNEXT (v1). */
    subtree: (oid: string) =>
      new Promise<ClientVarbind[]>((resolve, reject) => {
        const rows: ClientVarbind[] = [];
        session.subtree(
          oid,
          20,
          (varbinds) => {
            rows.push(...(varbinds as ClientVarbind[]));
            return false as unknown as true;
          },
          (error: Error | null) => (error ? reject(error) : resolve(rows)),
        );
      }),
    close: () => session.close(),
  };
}

export interface ReceivedNotification {
  from: { address: string; port: number };
  message: SnmpMessage;
}

/**
 * A manager-side UDP listener that records every notification, answers
 * informs, and lets a test wait for the n-th one.
 */
export class NotificationSink {
  readonly received: ReceivedNotification[] = [];
  private socket = dgram.createSocket('udp4');
  private waiters: Array<() => void> = [];
  /** When false, informs go unanswered (to watch the device retry). */
  acknowledgeInforms = true;

  async start(address = '127.0.0.1'): Promise<number> {
    this.socket.on('message', (datagram, rinfo) => {
      const message = decodeMessage(datagram);
      this.received.push({ from: { address: rinfo.address, port: rinfo.port }, message });
      const pdu = message.pdu;
      if (pdu.type === PduType.InformRequest && this.acknowledgeInforms) {
        const ack = encodeMessage({ ...message, pdu: { ...pdu, type: PduType.Response } });
        this.socket.send(ack, rinfo.port, rinfo.address);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    await new Promise<void>((resolve) => this.socket.bind(0, address, resolve));
    return this.socket.address().port;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /**
   * Resolves once at least `count` notifications arrived (from `fromAddress`
   * only, when given), or rejects after `timeoutMs`.
   */
  async waitFor(count: number, fromAddress?: string, timeoutMs = 3000): Promise<ReceivedNotification[]> {
    const matching = () => this.received.filter((n) => fromAddress === undefined || n.from.address === fromAddress);
    const deadline = Date.now() + timeoutMs;
    while (matching().length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} notifications${fromAddress ? ` from ${fromAddress}` : ''}, got ${matching().length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return matching().slice(0, count);
  }

  clear(): void {
    this.received.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** snmpTrapOID.0 of a v2c notification, or enterprise.0.specific of a v1 trap. */
export function trapOidOf(message: SnmpMessage): string {
  const pdu = message.pdu;
  if (pdu.type === PduType.TrapV1) return `${pdu.enterprise}.0.${pdu.specificTrap}`;
  return String(pdu.varbinds[1]?.value);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
