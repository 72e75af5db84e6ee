import { ClusterError } from './errors.js';

/** Who this collector is and how it keeps its leases; `clusterSettings` fills the defaults. */
export interface ClusterSettings {
  /** Unique across the cluster and stable across restarts (e.g. the host name). */
  collectorId: string;
  /** host:port where this collector receives notifications (what it registers on devices). */
  notifyAddr: string;
  /** host:port of this collector's HTTP API and /metrics. */
  apiAddr: string;
  /** How long a renewal keeps the collector and its shards alive, on the database's clock. */
  leaseMs: number;
  /** How often a collector renews, balances and drains its inbox (one "round"). */
  renewMs: number;
  /** A collector that joined less than this ago gets no shards from live peers (dead peers' at once). */
  joinGraceMs: number;
  /** At most this many shards a collector gives up, or takes from live peers, per round. */
  movesPerRound: number;
  /** Live peers' shards move only while someone is this many shards or more below its target. */
  hysteresis: number;
  /** Reconnection back-off after PostgreSQL went away: first delay, doubled up to the maximum. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Forwarded notifications handed over per inbox transaction. */
  inboxBatch: number;
}

export type ClusterSettingsInput = Pick<ClusterSettings, 'collectorId' | 'notifyAddr' | 'apiAddr'> & Partial<ClusterSettings>;

/** Dead after about three missed renewals; a joiner waits 15 s; 4 shards (~1.6 % of devices) move per round. */
export const DEFAULT_CLUSTER_TIMING = {
  leaseMs: 10_000,
  renewMs: 3_000,
  joinGraceMs: 15_000,
  movesPerRound: 4,
  hysteresis: 2,
  reconnectMinMs: 250,
  reconnectMaxMs: 5_000,
  inboxBatch: 100,
} as const satisfies Partial<ClusterSettings>;

const COLLECTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** The settings with defaults filled in and checked; a setting that cannot work is refused by name. */
export function clusterSettings(input: ClusterSettingsInput): Readonly<ClusterSettings> {
  const settings: ClusterSettings = { ...DEFAULT_CLUSTER_TIMING, ...input };
  const invalid = (message: string): never => {
    throw new ClusterError('CLUSTER_CONFIG_INVALID', message);
  };
  if (!COLLECTOR_ID.test(settings.collectorId)) invalid(`collectorId ${JSON.stringify(settings.collectorId)}: 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  for (const key of ['notifyAddr', 'apiAddr'] as const) {
    const [, , port] = HOST_PORT.exec(settings[key]) ?? [];
    if (port === undefined || Number(port) < 1 || Number(port) > 65535) invalid(`${key} ${JSON.stringify(settings[key])}: expected host:port (IPv6 as [addr]:port)`);
  }
  for (const key of ['leaseMs', 'renewMs', 'joinGraceMs', 'movesPerRound', 'hysteresis', 'reconnectMinMs', 'reconnectMaxMs', 'inboxBatch'] as const) {
    const value = settings[key];
    const least = key === 'joinGraceMs' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) invalid(`${key} ${value}: expected an integer ≥ ${least}`);
  }
  // Two renewals must fit in one lease, or one slow round loses every shard.
  if (settings.renewMs * 2 > settings.leaseMs) invalid(`renewMs ${settings.renewMs} must be at most half of leaseMs ${settings.leaseMs}`);
  if (settings.reconnectMaxMs < settings.reconnectMinMs) invalid(`reconnectMaxMs ${settings.reconnectMaxMs} is below reconnectMinMs ${settings.reconnectMinMs}`);
  return Object.freeze(settings);
}
