import { isIP, SocketAddress } from 'node:net';
import type { UsmUser } from '../snmp/usm.js';
import type { NotificationSource } from './intake.js';

/**
 * One spelling per address, so a device configured as `2001:DB8::1` or
 * `::ffff:10.0.0.5` is found under the form the socket reports
 * (`2001:db8::1`, `10.0.0.5`).
 */
function canonicalAddress(address: string): string {
  // isIP accepts only the dotted quad without leading zeros, which is already canonical.
  if (isIP(address) !== 6) return address;
  const text = new SocketAddress({ address, family: 'ipv6' }).address;
  const mapped = text.startsWith('::ffff:') ? text.slice(7) : '';
  return isIP(mapped) === 4 ? mapped : text;
}

/**
 * Known devices by address, held in memory so a storm of notifications never
 * waits on the database. Kept in step with the store by the device service.
 */
export class NotificationSources {
  private readonly byAddress = new Map<string, NotificationSource>();

  /** `usm`: the v3 user the device's v3 notifications must come from. */
  set(address: string, source: { deviceId: number; community: string; usm?: UsmUser; scanOn?: readonly string[] }): void {
    const { deviceId, community, usm, scanOn } = source;
    this.byAddress.set(canonicalAddress(address), { deviceId, community: Buffer.from(community, 'utf8'), ...(usm ? { usm } : {}), ...(scanOn ? { scanOn } : {}) });
  }

  delete(address: string): void {
    this.byAddress.delete(canonicalAddress(address));
  }

  lookup(address: string): NotificationSource | undefined {
    return this.byAddress.get(canonicalAddress(address));
  }

  get size(): number {
    return this.byAddress.size;
  }
}
