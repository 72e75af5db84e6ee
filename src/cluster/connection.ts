import pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ClusterError, describe } from './errors.js';
import type { ClusterSettings } from './settings.js';

/** Whether the coordinator can reach PostgreSQL: what a health endpoint reports. */
export type ClusterHealth = 'connected' | 'reconnecting' | 'stopped';

export interface ClusterConnectionDeps {
  /** Where PostgreSQL is; timeouts not set here get defaults suited to leases. */
  database: pg.ClientConfig;
  clock: Clock;
  log: Logger;
  settings: Pick<ClusterSettings, 'reconnectMinMs' | 'reconnectMaxMs' | 'renewMs'>;
  /** Runs on every new connection before anything else uses it (e.g. LISTEN). */
  onConnect?: (client: pg.Client) => Promise<void>;
  onNotification?: (notification: pg.Notification) => void;
  onHealth?: (health: ClusterHealth) => void;
}

/**
 * One PostgreSQL session that comes back by itself: when the server restarts or the socket dies
 * it reports `reconnecting` and retries with doubling back-off until it is `connected` again.
 * Work runs one at a time (a transaction spans several awaits on the one session), and fails
 * fast with CLUSTER_UNAVAILABLE while the session is down, rather than queueing up.
 */
export class ClusterConnection {
  private client: pg.Client | undefined;
  private state: ClusterHealth = 'stopped';
  private tail: Promise<unknown> = Promise.resolve();
  private reconnectTimer: unknown;
  private backoffMs = 0;
  private stopping = false;

  constructor(private readonly deps: ClusterConnectionDeps) {}

  get health(): ClusterHealth {
    return this.state;
  }

  /** Connects once; fails with CLUSTER_UNAVAILABLE if PostgreSQL cannot be reached now. */
  async start(): Promise<void> {
    this.stopping = false;
    this.backoffMs = this.deps.settings.reconnectMinMs;
    try {
      this.client = await this.open();
    } catch (error) {
      throw new ClusterError('CLUSTER_UNAVAILABLE', `cannot connect to PostgreSQL: ${describe(error)}`, { cause: error });
    }
    this.setHealth('connected');
  }

  /** Lets running work finish, then closes the session; no reconnection after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.deps.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.tail;
    const client = this.client;
    this.client = undefined;
    this.setHealth('stopped');
    await client?.end().catch(() => undefined);
  }

  /** Runs `work` on the session once all earlier work is done. */
  run<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      const client = this.client;
      if (!client || this.stopping) throw new ClusterError('CLUSTER_UNAVAILABLE', `PostgreSQL is unavailable (${this.state})`);
      try {
        return await work(client);
      } catch (error) {
        // A read timeout leaves the session mid-query: it cannot be trusted with more work.
        if (error instanceof Error && error.message === 'Query read timeout') this.lose(client, error);
        throw error;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.run(async (client) => {
      await client.query('BEGIN');
      let value: T;
      try {
        value = await work(client);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => this.lose(client, rollbackError));
        throw error;
      }
      await client.query('COMMIT');
      return value;
    });
  }

  private async open(): Promise<pg.Client> {
    const renew = this.deps.settings.renewMs;
    const client = new pg.Client({
      // A round must finish well within a lease; a query stuck longer means the server is gone.
      connectionTimeoutMillis: Math.max(2_000, renew),
      query_timeout: Math.max(2_000, renew),
      keepAlive: true,
      ...this.deps.database,
    });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client, new Error('connection ended')));
    client.on('notification', (notification) => this.deps.onNotification?.(notification));
    try {
      await client.connect();
      await this.deps.onConnect?.(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** The current session died: drop it and start reconnecting (once per session). */
  private lose(client: pg.Client, error: unknown): void {
    if (client !== this.client || this.stopping) return;
    this.client = undefined;
    this.deps.log.warn({ err: describe(error) }, 'cluster: lost the PostgreSQL connection; reconnecting');
    this.setHealth('reconnecting');
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.deps.settings.reconnectMaxMs, this.backoffMs * 2);
    this.reconnectTimer = this.deps.clock.setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.stopping) return;
    let client: pg.Client;
    try {
      client = await this.open();
    } catch (error) {
      this.deps.log.debug({ err: describe(error) }, 'cluster: reconnection failed');
      if (!this.stopping) this.scheduleReconnect();
      return;
    }
    if (this.stopping) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = this.deps.settings.reconnectMinMs;
    this.deps.log.info('cluster: reconnected to PostgreSQL');
    this.setHealth('connected');
  }

  private setHealth(health: ClusterHealth): void {
    if (health === this.state) return;
    this.state = health;
    this.deps.onHealth?.(health);
  }
}
