import { shardOf } from '../cluster/shards.js';
import type { ClusterView } from '../cluster/view.js';
import type { FleetSnapshot } from './state.js';

/** Whether this collector owns a device now; what /metrics asks of the cluster. */
export type Ownership = Pick<ClusterView, 'ownsDevice'>;

/** The first device id that falls in `shard`: asking whether we own it asks whether we hold the shard. */
export function firstDeviceOfShard(shard: number): number {
  for (let id = 0; ; id++) if (shardOf(id) === shard) return id;
}

/**
 * Shard 0's holder exports the cluster-wide figures (license usage): one collector at a time,
 * another within a takeover when it dies, whatever the collectors' ids.
 */
const SHARD_ZERO_DEVICE = firstDeviceOfShard(0);

/**
 * This collector's share of a cluster-wide snapshot: the devices it owns and their alarms, so
 * summing a series over the collectors counts each device once; the license figures only on
 * the holder of shard 0, so they too add up to the cluster's.
 */
export function ownedShare(snapshot: FleetSnapshot, cluster: Ownership): FleetSnapshot {
  return {
    devices: snapshot.devices.filter((d) => cluster.ownsDevice(d.id)),
    alarms: snapshot.alarms.filter((a) => cluster.ownsDevice(a.deviceId)),
    ...(snapshot.license && cluster.ownsDevice(SHARD_ZERO_DEVICE) ? { license: snapshot.license } : {}),
  };
}
