import { z } from 'zod';
import { serviceDiscoveryDocument } from '../../cluster/discovery.js';
import type { CollectorInfo } from '../../cluster/leases.js';
import { SHARD_COUNT } from '../../cluster/shards.js';
import type { ClusterView } from '../../cluster/view.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const collectorView = z.object({
  id: z.string(),
  notifyAddr: z.string().describe('host:port devices send this collector their notifications to'),
  apiAddr: z.string().describe('host:port of its HTTP API and /metrics'),
  live: z.boolean().describe('Whether its membership lease holds now; false: stopped, dead or cut off from PostgreSQL'),
  joinedAt: z.string().describe('When this life of the collector joined the cluster'),
  leaseUntil: z.string().describe('Until when its lease holds (live) or when it lapsed (not live): about when it was last heard from'),
  shards: z.number().int().describe('Shards it holds a valid lease on'),
  self: z.boolean().describe('Whether it is the collector answering this request'),
});

const clusterView = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('single').describe('One priscan, no cluster: it watches every device') }),
  z.object({
    mode: z.literal('cluster'),
    collectorId: z.string().describe('The collector answering this request'),
    ownedDevices: z.number().int().describe('Devices in the shards the answering collector holds'),
    shards: z.object({
      total: z.number().int().describe(`Always ${SHARD_COUNT}`),
      unowned: z.number().int().describe('Shards no live collector holds now (a takeover under way)'),
    }),
    collectors: z.array(collectorView).describe('Every collector the database knows, live or not, by id'),
  }),
]);

const sdGroup = z.object({
  targets: z.array(z.string()).describe("A collector's API address, which serves /metrics"),
  labels: z.record(z.string(), z.string()).describe('__meta_priscan_collector_id, __meta_priscan_notify_addr, __meta_priscan_shards'),
});

/**
 * The cluster as this collector sees it in PostgreSQL. Collector addresses are facts of the
 * installation's network, not of a device: partners' tokens are refused (no `partners` mark).
 */
export function clusterRoutes(routes: RouteTable, deps: HttpDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/cluster',
    summary: 'The collectors of a cluster on PostgreSQL: addresses, whether each is live, the shards each holds; {"mode": "single"} outside cluster mode',
    tag: 'cluster',
    access: 'read',
    response: clusterView,
    errors: ['CLUSTER_UNAVAILABLE'],
    handler: async () => {
      const { cluster } = deps;
      if (!cluster) return { mode: 'single' as const };
      const collectors = await collectorsOf(cluster);
      const held = collectors.filter((c) => c.live).reduce((sum, c) => sum + c.shards, 0);
      return {
        mode: 'cluster' as const,
        collectorId: cluster.collectorId,
        ownedDevices: deps.store.devices.list().filter((d) => cluster.ownsDevice(d.id)).length,
        shards: { total: SHARD_COUNT, unowned: Math.max(0, SHARD_COUNT - held) },
        collectors: collectors.map((c) => ({
          id: c.id,
          notifyAddr: c.notifyAddr,
          apiAddr: c.apiAddr,
          live: c.live,
          joinedAt: c.startedAt.toISOString(),
          leaseUntil: c.leaseUntil.toISOString(),
          shards: c.shards,
          self: c.id === cluster.collectorId,
        })),
      };
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/cluster/prometheus-sd',
    summary: "Prometheus HTTP service discovery (http_sd_configs): one target group per live collector, its API address as the target",
    tag: 'cluster',
    access: 'read',
    response: z.array(sdGroup),
    errors: ['CLUSTER_NOT_ENABLED', 'CLUSTER_UNAVAILABLE'],
    handler: async () => {
      // An empty list would make Prometheus drop its targets without a word; an error it reports,
      // and it keeps the targets it had (the same when PostgreSQL cannot be read).
      if (!deps.cluster) throw new ApiError('CLUSTER_NOT_ENABLED', 'priscan runs as a single server (no cluster: in its config): scrape its /metrics directly');
      return serviceDiscoveryDocument(await collectorsOf(deps.cluster));
    },
  });
}

async function collectorsOf(cluster: ClusterView): Promise<CollectorInfo[]> {
  try {
    return await cluster.collectors();
  } catch {
    // The cause may name the database's address: it stays out of the answer.
    throw new ApiError('CLUSTER_UNAVAILABLE', 'the cluster\'s membership cannot be read from PostgreSQL now; try again shortly');
  }
}
