import type pg from 'pg';
import { buildRepositories, RepositoryStore, type StoreOptions, type StoreRepositories, type StoreStatements } from '../store.js';
import type { StoreSession } from '../session.js';
import { postgresAuditStatements, postgresLicenseStatements, postgresPartnerStatements, postgresRegistrationStatements, postgresTokenStatements } from './access.js';
import { postgresAlarmStatements } from './alarms.js';
import { SyncBridge } from './bridge.js';
import { postgresDeviceStatements, postgresSettingsStatements } from './devices.js';
import { postgresMaintenanceStatements, postgresThresholdStatements, postgresWebhookQueueStatements } from './operations.js';
import { postgresReadingStatements } from './readings.js';
import { applyStoreSchema } from './schema.js';
import { postgresSession } from './session.js';
import { isStoreUnavailable } from '../errors.js';

/** A call's limit unless the config says otherwise: a PostgreSQL that does not answer within it is an error. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export interface PostgresStoreOptions extends StoreOptions {
  /** Where PostgreSQL is, the password included (never logged). */
  connection: pg.ClientConfig;
  /** For logs and messages: host, port and database, never the password. */
  location: string;
  timeoutMs?: number;
  /** The schema history to apply; the shipped one unless a test says otherwise. */
  migrations?: readonly string[];
}

/**
 * The store in PostgreSQL, for collectors sharing one database (docs/scale-out.md). The same
 * repositories as SqliteStore over PostgreSQL's statements, each run through the synchronous
 * bridge: one session, every call blocking the event loop for a round trip.
 */
export class PostgresStore extends RepositoryStore {
  /** Connects, brings the schema up to date (or, read-only, checks it) and prepares the statements. */
  static open(clock: { now(): number }, options: PostgresStoreOptions): PostgresStore {
    // A read-only store's session cannot write, whatever a command tries.
    const readOnly = options.readOnly ? { options: '-c default_transaction_read_only=on' } : {};
    const bridge = SyncBridge.open({ connection: { ...options.connection, ...readOnly }, timeoutMs: options.timeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS });
    try {
      applyStoreSchema(bridge, { location: options.location, readOnly: options.readOnly, migrations: options.migrations });
      const session = postgresSession(bridge);
      const repositories = buildRepositories({ statements: postgresStatements(bridge), session, clock, readingHistory: options.readingHistory });
      return new PostgresStore({ bridge, repositories, session, location: options.location });
    } catch (error) {
      bridge.close();
      throw error;
    }
  }

  readonly bridge: SyncBridge;

  constructor(parts: { bridge: SyncBridge; repositories: StoreRepositories; session: StoreSession; location: string }) {
    super(parts);
    this.bridge = parts.bridge;
  }

  /** One round trip; while the bridge reconnects it fails at once, without waiting for a time limit. */
  reachable(): boolean {
    try {
      this.bridge.query('SELECT 1');
      return true;
    } catch (error) {
      if (isStoreUnavailable(error)) return false;
      throw error;
    }
  }

  close(): void {
    this.bridge.close();
  }
}

function postgresStatements(db: SyncBridge): StoreStatements {
  return {
    settings: postgresSettingsStatements(db),
    devices: postgresDeviceStatements(db),
    alarms: postgresAlarmStatements(db),
    licenses: postgresLicenseStatements(db),
    tokens: postgresTokenStatements(db),
    thresholds: postgresThresholdStatements(db),
    partners: postgresPartnerStatements(db),
    audit: postgresAuditStatements(db),
    registrations: postgresRegistrationStatements(db),
    maintenance: postgresMaintenanceStatements(db),
    webhookQueue: postgresWebhookQueueStatements(db),
    readings: postgresReadingStatements(db),
  };
}
