import type { CollectorInfo } from './leases.js';

/** One target group of Prometheus's HTTP service discovery (`http_sd_configs`). */
export interface ServiceDiscoveryGroup {
  targets: string[];
  labels: Record<string, string>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The HTTP service-discovery document: one group per live collector, its API address (which
 * serves /metrics) as the target. The collector's identity goes in `__meta_` labels, which
 * Prometheus offers to relabelling and then drops, so series carry no collector id unless the
 * operator asks for one. `labels` (e.g. {cluster: 'dc1'}) are added to every group.
 */
export function serviceDiscoveryDocument(collectors: readonly CollectorInfo[], labels: Readonly<Record<string, string>> = {}): ServiceDiscoveryGroup[] {
  for (const name of Object.keys(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`label ${JSON.stringify(name)}: a Prometheus label name, not starting with __`);
  }
  return collectors
    .filter((c) => c.live)
    .map((c) => ({
      targets: [c.apiAddr],
      labels: { ...labels, __meta_priscan_collector_id: c.id, __meta_priscan_notify_addr: c.notifyAddr, __meta_priscan_shards: String(c.shards) },
    }));
}
