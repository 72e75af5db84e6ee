import type { ScanScheduler } from '../scanning/scheduler.js';
import type { DeviceRecord } from '../store/devices.js';
import { stableJson } from './device-input.js';

export interface DeviceOwnershipDeps {
  scheduler: Pick<ScanScheduler, 'has' | 'removeDevice' | 'requestScan'>;
  /**
   * Cluster mode: whether this collector owns the device's shard now. Every licensed device is
   * followed (its notifications are recognised, to be forwarded to the owner); only owned ones
   * are scanned and registered. Absent: a single priscan owns every device.
   */
  owns?: (deviceId: number) => boolean;
}

/** A device the shared table holds differently from when it was followed, in what tracking depends on. */
export interface FollowedChange {
  before: DeviceRecord;
  now: DeviceRecord;
}

/**
 * DeviceService's cluster-mode side: which licensed devices are followed (as last read), which of
 * them this collector owns, the shard a device lives in, and what moved when shards or the shared
 * devices table changed. On a single priscan every device is owned and nothing moves.
 */
export class DeviceOwnership {
  /** Licensed devices as last followed (notifications recognised; scheduled when owned), by id. */
  private readonly followed = new Map<number, DeviceRecord>();

  constructor(private readonly deps: DeviceOwnershipDeps) {}

  owns(id: number): boolean {
    return this.deps.owns?.(id) ?? true;
  }

  isFollowed(id: number): boolean {
    return this.followed.has(id);
  }

  follow(device: DeviceRecord): void {
    this.followed.set(device.id, device);
  }

  unfollow(id: number): void {
    this.followed.delete(id);
  }

  /** A followed device's record changed in what tracking does not depend on (its resolved profile): kept current. */
  refresh(device: DeviceRecord): void {
    if (this.followed.has(device.id)) this.followed.set(device.id, device);
  }

  /**
   * The device whose shard a device lives in. A shadow lives with its lead, so the collector that
   * gets the lead's notifications (its registration is the lead's) owns and scans every unit of the chain.
   */
  shardDeviceOf(id: number): number {
    return this.followed.get(id)?.leadId ?? id;
  }

  /**
   * Shards moved. Devices this collector now owns are scheduled (`schedule`), which registers this
   * collector on them and scans them; those it no longer owns are dropped at once (a scan already
   * running finishes, and its result is fenced).
   */
  ownershipChanged(schedule: (device: DeviceRecord) => void): { tracked: number; untracked: number } {
    let tracked = 0;
    let untracked = 0;
    const { scheduler } = this.deps;
    for (const [id, device] of this.followed) {
      const owned = this.owns(id);
      const scheduled = scheduler.has(id);
      if (owned && !scheduled) {
        schedule(device);
        if (!device.priorityScanning) scheduler.requestScan(id, 'manual');
        tracked++;
      } else if (!owned && scheduled) {
        scheduler.removeDevice(id);
        untracked++;
      }
    }
    return { tracked, untracked };
  }

  /**
   * The devices table is shared: what the followed devices became there (`stored`, by id), read
   * again on a timer or when a forwarded notification names a device not known yet. Removed ones,
   * and changed ones in what scheduling and the notification intake depend on.
   */
  changesIn(stored: ReadonlyMap<number, DeviceRecord>): { removed: DeviceRecord[]; changed: FollowedChange[] } {
    const removed: DeviceRecord[] = [];
    const changed: FollowedChange[] = [];
    for (const [id, before] of this.followed) {
      const now = stored.get(id);
      if (!now) removed.push(before);
      else if (trackingKey(now) !== trackingKey(before)) changed.push({ before, now });
    }
    return { removed, changed };
  }
}

/** What scheduling and notification intake depend on: a change means tracking the device afresh. */
function trackingKey(d: DeviceRecord): string {
  return stableJson([d.address, d.port, d.snmp, d.profile, d.resolvedProfile, d.priorityScanning, d.intervalSeconds, d.timeoutMs, d.retries]);
}
