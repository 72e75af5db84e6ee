import type { NotificationSource } from './intake.js';

/**
 * Known devices by address, held in memory so a storm of notifications never
 * waits on the database. Kept in step with the store by the device service.
 */
export class NotificationSources {
  private readonly byAddress = new Map<string, NotificationSource>();

  set(address: string, deviceId: number, community: string): void {
    this.byAddress.set(address, { deviceId, community: Buffer.from(community, 'utf8') });
  }

  delete(address: string): void {
    this.byAddress.delete(address);
  }

  lookup(address: string): NotificationSource | undefined {
    return this.byAddress.get(address);
  }

  get size(): number {
    return this.byAddress.size;
  }
}
