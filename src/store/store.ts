import type { AlarmEnding, AlarmEvent } from '../alarms/model.js';
import { AlarmsRepository, sqliteAlarmStatements, type AlarmStatements } from './alarms.js';
import { AuditRepository, sqliteAuditStatements, type AuditStatements } from './audit.js';
import { openDatabase, sqliteSession, type OpenDatabaseOptions, type SqliteDatabase } from './database.js';
import { sqliteDeviceStatements, type DeviceStatements } from './device-rows.js';
import { DevicesRepository } from './devices.js';
import { LicensesRepository, sqliteLicenseStatements, type LicenseStatements } from './licenses.js';
import { MaintenanceRepository, sqliteMaintenanceStatements, type MaintenanceStatements } from './maintenance.js';
import { PartnersRepository, sqlitePartnerStatements, type PartnerStatements } from './partners.js';
import { DEFAULT_HISTORY_POLICY, ReadingsRepository, sqliteReadingStatements, type HistoryPolicy, type ReadingStatements } from './readings.js';
import { RegistrationsRepository, sqliteRegistrationStatements, type RegistrationStatements } from './registrations.js';
import type { StoreSession, WriteFence } from './session.js';
import { SettingsRepository, sqliteSettingsStatements, type SettingsStatements } from './settings.js';
import { sqliteThresholdStatements, ThresholdsRepository, type ThresholdStatements } from './thresholds.js';
import { sqliteTokenStatements, TokensRepository, type TokenStatements } from './tokens.js';
import { sqliteWebhookQueueStatements, WebhookQueueRepository, type WebhookQueueStatements } from './webhook-queue.js';

/** The repositories features use. Their logic is written once; a backend supplies the statements. */
export interface StoreRepositories {
  readonly settings: SettingsRepository;
  readonly devices: DevicesRepository;
  readonly alarms: AlarmsRepository;
  readonly licenses: LicensesRepository;
  readonly tokens: TokensRepository;
  readonly thresholds: ThresholdsRepository;
  readonly partners: PartnersRepository;
  readonly audit: AuditRepository;
  readonly registrations: RegistrationsRepository;
  readonly maintenance: MaintenanceRepository;
  readonly webhookQueue: WebhookQueueRepository;
  readonly readings: ReadingsRepository;
}

/**
 * The daemon's durable state, whichever database holds it: SQLite (SqliteStore, the embedded
 * default) or PostgreSQL (PostgresStore, src/store/postgres/). Features depend on this only.
 */
export interface Store extends StoreRepositories {
  /** Which database, for logs and messages: a path, or host, port and database name; never a password. */
  readonly location: string;
  /**
   * Deletes a device, first ending each of its active alarms with a clear event carrying the
   * reason, in one transaction: the event log replayed still gives the active set. Its readings
   * (last values and history) go with it; its events are kept. Returns the clear events to
   * publish, or undefined if there was no such device.
   */
  removeDevice(id: number, ending: AlarmEnding): AlarmEvent[] | undefined;
  /**
   * Runs `work` (repository writes) in one transaction. With a fence (cluster mode), the backend
   * first checks that this collector still holds the device's shard at that epoch, and throws
   * ClusterError SHARD_FENCED, writing nothing, when it does not. SQLite has no cluster and
   * refuses a fence.
   */
  writeFenced<T>(fence: WriteFence | undefined, work: () => T): T;
  /**
   * Whether the database answers now (readiness): false while PostgreSQL is down or restarting.
   * A local SQLite file always does.
   */
  reachable(): boolean;
  /** Closes the connection; safe to call twice. */
  close(): void;
}

/** Every statement set a backend provides, one per repository. */
export interface StoreStatements {
  settings: SettingsStatements;
  devices: DeviceStatements;
  alarms: AlarmStatements;
  licenses: LicenseStatements;
  tokens: TokenStatements;
  thresholds: ThresholdStatements;
  partners: PartnerStatements;
  audit: AuditStatements;
  registrations: RegistrationStatements;
  maintenance: MaintenanceStatements;
  webhookQueue: WebhookQueueStatements;
  readings: ReadingStatements;
}

export interface StoreOptions extends Pick<OpenDatabaseOptions, 'onMigrationNote' | 'readOnly'> {
  /** When a scan's reading values become history points; the defaults unless the config says otherwise. */
  readingHistory?: HistoryPolicy;
}

export interface RepositoryDeps {
  statements: StoreStatements;
  session: StoreSession;
  clock: { now(): number };
  readingHistory?: HistoryPolicy;
}

/** The repositories over one backend's statements and transactions. */
export function buildRepositories({ statements: s, session, clock, readingHistory }: RepositoryDeps): StoreRepositories {
  const partners = new PartnersRepository({ statements: s.partners, session, clock });
  return {
    settings: new SettingsRepository({ statements: s.settings, session }),
    devices: new DevicesRepository({ statements: s.devices, session, clock }),
    alarms: new AlarmsRepository({ statements: s.alarms, session }),
    licenses: new LicensesRepository({ statements: s.licenses, session, clock }),
    tokens: new TokensRepository({ statements: s.tokens, session, clock, partners }),
    thresholds: new ThresholdsRepository({ statements: s.thresholds, session, clock }),
    partners,
    audit: new AuditRepository({ statements: s.audit }),
    registrations: new RegistrationsRepository({ statements: s.registrations, session, clock }),
    maintenance: new MaintenanceRepository({ statements: s.maintenance, session }),
    webhookQueue: new WebhookQueueRepository({ statements: s.webhookQueue, session }),
    readings: new ReadingsRepository({ statements: s.readings, session, policy: readingHistory ?? DEFAULT_HISTORY_POLICY }),
  };
}

/** What both backends' stores share: the repositories, and removeDevice over them. */
export abstract class RepositoryStore implements Store {
  readonly settings: SettingsRepository;
  readonly devices: DevicesRepository;
  readonly alarms: AlarmsRepository;
  readonly licenses: LicensesRepository;
  readonly tokens: TokensRepository;
  readonly thresholds: ThresholdsRepository;
  readonly partners: PartnersRepository;
  readonly audit: AuditRepository;
  readonly registrations: RegistrationsRepository;
  readonly maintenance: MaintenanceRepository;
  readonly webhookQueue: WebhookQueueRepository;
  readonly readings: ReadingsRepository;

  readonly location: string;
  private readonly session: StoreSession;

  constructor({ repositories, session, location }: { repositories: StoreRepositories; session: StoreSession; location: string }) {
    this.session = session;
    this.location = location;
    this.settings = repositories.settings;
    this.devices = repositories.devices;
    this.alarms = repositories.alarms;
    this.licenses = repositories.licenses;
    this.tokens = repositories.tokens;
    this.thresholds = repositories.thresholds;
    this.partners = repositories.partners;
    this.audit = repositories.audit;
    this.registrations = repositories.registrations;
    this.maintenance = repositories.maintenance;
    this.webhookQueue = repositories.webhookQueue;
    this.readings = repositories.readings;
  }

  removeDevice(id: number, ending: AlarmEnding): AlarmEvent[] | undefined {
    return this.session.write(() => {
      if (!this.devices.get(id)) return undefined;
      const cleared = this.alarms.clearAll(id, ending);
      // Its reading series and their history cascade away with the row; its events stay.
      this.devices.delete(id);
      return cleared;
    });
  }

  writeFenced<T>(fence: WriteFence | undefined, work: () => T): T {
    return this.session.write(work, fence ? { fence } : {});
  }

  abstract reachable(): boolean;

  abstract close(): void;
}

/** The embedded default: one SQLite file in the data directory, one connection. */
export class SqliteStore extends RepositoryStore {
  /**
   * Opens (creating and migrating if needed) the database at `path`; ':memory:' for a throwaway one.
   * `onMigrationNote` hears what a data migration did, a line each (e.g. two devices merged);
   * `readOnly` opens an existing database for commands that only look.
   */
  static open(path: string, clock: { now(): number }, options: StoreOptions = {}): SqliteStore {
    const db = openDatabase(path, options);
    try {
      const session = sqliteSession(db);
      const repositories = buildRepositories({ statements: sqliteStatements(db), session, clock, readingHistory: options.readingHistory });
      return new SqliteStore({ db, repositories, session, location: `sqlite ${path}` });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  readonly db: SqliteDatabase;

  constructor(parts: { db: SqliteDatabase; repositories: StoreRepositories; session: StoreSession; location: string }) {
    super(parts);
    this.db = parts.db;
  }

  reachable(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function sqliteStatements(db: SqliteDatabase): StoreStatements {
  return {
    settings: sqliteSettingsStatements(db),
    devices: sqliteDeviceStatements(db),
    alarms: sqliteAlarmStatements(db),
    licenses: sqliteLicenseStatements(db),
    tokens: sqliteTokenStatements(db),
    thresholds: sqliteThresholdStatements(db),
    partners: sqlitePartnerStatements(db),
    audit: sqliteAuditStatements(db),
    registrations: sqliteRegistrationStatements(db),
    maintenance: sqliteMaintenanceStatements(db),
    webhookQueue: sqliteWebhookQueueStatements(db),
    readings: sqliteReadingStatements(db),
  };
}
