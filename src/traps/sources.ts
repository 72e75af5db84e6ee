import { addressKey } from '../snmp/address.js';
import type { UsmUser } from '../snmp/usm.js';
import type { NotificationSource } from './intake.js';

/**
 * Known devices by address, held in memory so a storm of notifications never
 * waits on the database. Kept in step with the store by the device service.
 * Keyed by the canonical spelling the store keeps, so the spelling a socket
 * reports (`::ffff:10.0.0.5` on a dual-stack socket) finds the device.
 *
 * One device per address: shadows (units behind a lead's address, such as
 * daisy-chained PDUs) share their lead's and have no entry here. A notification
 * from that address is the lead's; the scheduler scans the lead's shadows too.
 */
export class NotificationSources {
  private readonly byAddress = new Map<string, NotificationSource>();

  /** `onUsmUser`: told each v3 user set, so its keys are derived before its first message. */
  constructor(private readonly deps: { onUsmUser?: (user: UsmUser) => void } = {}) {}

  /** `usm`: the v3 user the device's v3 notifications must come from. */
  set(address: string, source: { deviceId: number; community: string; usm?: UsmUser; scanOn?: readonly string[] }): void {
    const { deviceId, community, usm, scanOn } = source;
    this.byAddress.set(addressKey(address), { deviceId, community: Buffer.from(community, 'utf8'), ...(usm ? { usm } : {}), ...(scanOn ? { scanOn } : {}) });
    if (usm) this.deps.onUsmUser?.(usm);
  }

  delete(address: string): void {
    this.byAddress.delete(addressKey(address));
  }

  lookup(address: string): NotificationSource | undefined {
    return this.byAddress.get(addressKey(address));
  }

  get size(): number {
    return this.byAddress.size;
  }
}
