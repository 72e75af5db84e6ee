import { z } from 'zod';
import { normalizeMac } from '../licensing/identity.js';
import { clusterSettings, DEFAULT_CLUSTER_TIMING, type ClusterSettings } from './settings.js';

const COLLECTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const IPV4_PORT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;

/** An IPv4 address and port: what devices' registration tables hold (IPv4 only: snmpUDPDomain). */
const ipv4HostPort = z.string().superRefine((value, ctx) => {
  const parts = IPV4_PORT.exec(value);
  const octetsOk = parts !== null && parts.slice(1, 5).every((o) => Number(o) <= 255);
  const port = parts ? Number(parts[5]) : 0;
  if (!octetsOk || port < 1 || port > 65535) ctx.addIssue({ code: 'custom', message: 'must be an IPv4 address and port, e.g. 10.0.0.11:162' });
});

/** host:port (a name, IPv4, or [IPv6]): where peers and Prometheus reach this collector's API. */
const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/, 'must be host:port, e.g. collector-1.example.net:8470');

const timing = (least: number) => z.number().int().min(least).max(3_600_000).optional();

/**
 * Cluster mode (docs/scale-out.md): this process is one of several collectors sharing the
 * PostgreSQL store. Needs `store.postgres`.
 *
 * ```yaml
 * cluster:
 *   collectorId: collector-1
 *   notifyAddress: 10.0.0.11:162     # written into each device this collector owns
 *   apiAddress: 10.0.0.11:8470
 *   licenseMac: 02:00:5e:10:20:30    # the MAC license keys are bound to, the same on every collector
 * ```
 */
export const clusterConfigSchema = z
  .object({
    /** Unique in the cluster and stable across restarts (e.g. the host name). */
    collectorId: z.string().regex(COLLECTOR_ID, "1–63 letters, digits, '.', '_' or '-', starting with a letter or digit"),
    /** Where devices this collector owns send their notifications: written into their registration tables. */
    notifyAddress: ipv4HostPort,
    /** Where this collector's HTTP API and /metrics are reached by peers and Prometheus. */
    apiAddress: hostPort,
    /** The MAC address license keys are bound to, for the whole cluster (the primary's; see docs/scale-out.md). */
    licenseMac: z
      .string()
      .transform((value, ctx) => {
        try {
          return normalizeMac(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    /** How often devices added, changed or removed through any collector's API are picked up here. */
    deviceSyncMs: z.number().int().min(100).max(600_000).default(5000),
    leaseMs: timing(1),
    renewMs: timing(1),
    joinGraceMs: timing(0),
    movesPerRound: z.number().int().min(1).max(256).optional(),
    hysteresis: z.number().int().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((cluster, ctx) => {
    try {
      clusterSettingsOf(cluster);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** The coordinator's settings from the config: the timing given, the defaults for the rest. */
export function clusterSettingsOf(cluster: Omit<ClusterConfig, 'licenseMac' | 'deviceSyncMs'>): Readonly<ClusterSettings> {
  const { collectorId, notifyAddress, apiAddress, ...timingGiven } = cluster;
  const overrides = Object.fromEntries(Object.entries(timingGiven).filter(([key, value]) => value !== undefined && key in DEFAULT_CLUSTER_TIMING));
  return clusterSettings({ collectorId, notifyAddr: notifyAddress, apiAddr: apiAddress, ...overrides });
}

/** The notification address split for the registrar: the IPv4 address and port written into devices. */
export function notifyEndpoint(cluster: Pick<ClusterConfig, 'notifyAddress'>): { address: string; port: number } {
  const at = cluster.notifyAddress.lastIndexOf(':');
  return { address: cluster.notifyAddress.slice(0, at), port: Number(cluster.notifyAddress.slice(at + 1)) };
}
