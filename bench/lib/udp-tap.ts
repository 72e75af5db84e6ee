// A counting UDP relay between a manager and one device: the manager talks to the tap's address,
// the tap forwards to the device and back, and counts the datagrams and bytes each way. What it
// counts is what crossed the wire, whatever the client or the agent believe they sent.
import dgram from 'node:dgram';

export interface TapCounters {
  requests: number;
  requestBytes: number;
  responses: number;
  responseBytes: number;
}

export class UdpTap {
  readonly counters: TapCounters = { requests: 0, requestBytes: 0, responses: 0, responseBytes: 0 };
  private readonly front = dgram.createSocket('udp4');
  private readonly back = dgram.createSocket('udp4');
  /** One manager at a time: answers go back to whoever asked last. */
  private manager: dgram.RemoteInfo | undefined;

  constructor(
    private readonly listen: { address: string; port: number },
    private readonly device: { address: string; port: number },
  ) {}

  async start(): Promise<void> {
    this.front.on('message', (datagram, from) => {
      this.manager = from;
      this.counters.requests++;
      this.counters.requestBytes += datagram.length;
      this.back.send(datagram, this.device.port, this.device.address);
    });
    this.back.on('message', (datagram) => {
      const to = this.manager;
      if (!to) return;
      this.counters.responses++;
      this.counters.responseBytes += datagram.length;
      this.front.send(datagram, to.port, to.address);
    });
    await bind(this.front, this.listen.address, this.listen.port);
    // The device answers the tap's own address, like a manager on the same host.
    await bind(this.back, this.listen.address, 0);
  }

  snapshot(): TapCounters {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    await Promise.all([this.front, this.back].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function bind(socket: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Counter differences: after minus before. */
export function tapDelta(before: TapCounters, after: TapCounters): TapCounters {
  return {
    requests: after.requests - before.requests,
    requestBytes: after.requestBytes - before.requestBytes,
    responses: after.responses - before.responses,
    responseBytes: after.responseBytes - before.responseBytes,
  };
}
