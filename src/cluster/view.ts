import type { CollectorInfo } from './leases.js';
/** What the API and /metrics need to know of the cluster; the daemon provides it in cluster mode. */
export interface ClusterView {
  readonly collectorId: string;
  /** Whether this collector owns the device's shard now. */
  ownsDevice(deviceId: number): boolean;
  /** Live and recently seen collectors, with the shards each holds. */
  collectors(): Promise<CollectorInfo[]>;
}
