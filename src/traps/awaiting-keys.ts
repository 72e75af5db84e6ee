/**
 * SNMPv3 datagrams held while their device's user keys are derived, unauthenticated: bounded per
 * device and in total bytes, so a storm (or a sender forging a device's address) can only fill
 * this, never memory. What does not fit is refused at once; the caller counts it.
 */

export interface HeldDatagram {
  datagram: Buffer;
  rinfo: { address: string; port: number };
  /** Times it has waited for keys already: it is not held a third time. */
  waits: number;
}

export interface AwaitingKeysLimits {
  perDevice: number;
  totalBytes: number;
}

/** One device's burst fits (a trap, its repeats, an inform and its retries); 4 MiB in all. */
export const AWAITING_KEYS_LIMITS: AwaitingKeysLimits = { perDevice: 32, totalBytes: 4 * 1024 * 1024 };

export class AwaitingKeys {
  private readonly byDevice = new Map<number, HeldDatagram[]>();
  private bytes = 0;

  constructor(private readonly limits: AwaitingKeysLimits = AWAITING_KEYS_LIMITS) {}

  /** Whether the device has datagrams held (someone is already waiting for its keys). */
  has(deviceId: number): boolean {
    return this.byDevice.has(deviceId);
  }

  /** Holds a datagram for the device; false, holding nothing, when its queue or the total is full. */
  hold(deviceId: number, held: HeldDatagram): boolean {
    const queue = this.byDevice.get(deviceId) ?? [];
    if (queue.length >= this.limits.perDevice || this.bytes + held.datagram.length > this.limits.totalBytes) return false;
    queue.push(held);
    this.byDevice.set(deviceId, queue);
    this.bytes += held.datagram.length;
    return true;
  }

  /** The device's datagrams in arrival order, no longer held. */
  take(deviceId: number): HeldDatagram[] {
    const queue = this.byDevice.get(deviceId) ?? [];
    this.byDevice.delete(deviceId);
    for (const held of queue) this.bytes -= held.datagram.length;
    return queue;
  }

  /** Every device's datagrams, no longer held. */
  takeAll(): HeldDatagram[] {
    return [...this.byDevice.keys()].flatMap((deviceId) => this.take(deviceId));
  }

  /** Datagrams held. */
  get size(): number {
    let count = 0;
    for (const queue of this.byDevice.values()) count += queue.length;
    return count;
  }
}
