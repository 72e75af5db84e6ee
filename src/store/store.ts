import type Database from 'better-sqlite3';
import type { AlarmEnding, AlarmEvent } from '../alarms/model.js';
import { AlarmsRepository } from './alarms.js';
import { AuditRepository } from './audit.js';
import { openDatabase, type OpenDatabaseOptions } from './database.js';
import { DevicesRepository } from './devices.js';
import { LicensesRepository } from './licenses.js';
import { PartnersRepository } from './partners.js';
import { RegistrationsRepository } from './registrations.js';
import { MaintenanceRepository } from './maintenance.js';
import { DEFAULT_HISTORY_POLICY, ReadingsRepository, type HistoryPolicy } from './readings.js';
import { SettingsRepository } from './settings.js';
import { ThresholdsRepository } from './thresholds.js';
import { TokensRepository } from './tokens.js';
import { WebhookQueueRepository } from './webhook-queue.js';

export interface StoreParts {
  db: Database.Database;
  settings: SettingsRepository;
  devices: DevicesRepository;
  alarms: AlarmsRepository;
  licenses: LicensesRepository;
  tokens: TokensRepository;
  thresholds: ThresholdsRepository;
  partners: PartnersRepository;
  audit: AuditRepository;
  registrations: RegistrationsRepository;
  maintenance: MaintenanceRepository;
  webhookQueue: WebhookQueueRepository;
  readings: ReadingsRepository;
}

export interface StoreOptions extends Pick<OpenDatabaseOptions, 'onMigrationNote' | 'readOnly'> {
  /** When a scan's reading values become history points; the defaults unless the config says otherwise. */
  readingHistory?: HistoryPolicy;
}

/** The daemon's durable state: one SQLite connection and its repositories. */
export class Store {
  readonly db: Database.Database;
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
  private readonly removal: Database.Transaction<(id: number, ending: AlarmEnding) => AlarmEvent[] | undefined>;

  /**
   * Opens (creating and migrating if needed) the database at `path`; ':memory:' for a throwaway one.
   * `onMigrationNote` hears what a data migration did, a line each (e.g. two devices merged);
   * `readOnly` opens an existing database for commands that only look.
   */
  static open(path: string, clock: { now(): number }, options: StoreOptions = {}): Store {
    const db = openDatabase(path, options);
    try {
      const partners = PartnersRepository.prepare(db, clock);
      return new Store({
        db,
        settings: SettingsRepository.prepare(db),
        devices: DevicesRepository.prepare(db, clock),
        alarms: AlarmsRepository.prepare(db),
        licenses: LicensesRepository.prepare(db, clock),
        tokens: TokensRepository.prepare(db, clock, partners),
        thresholds: ThresholdsRepository.prepare(db, clock),
        partners,
        audit: AuditRepository.prepare(db),
        registrations: RegistrationsRepository.prepare(db, clock),
        maintenance: MaintenanceRepository.prepare(db),
        webhookQueue: WebhookQueueRepository.prepare(db),
        readings: ReadingsRepository.prepare(db, options.readingHistory ?? DEFAULT_HISTORY_POLICY),
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  constructor(parts: StoreParts) {
    this.db = parts.db;
    this.settings = parts.settings;
    this.devices = parts.devices;
    this.alarms = parts.alarms;
    this.licenses = parts.licenses;
    this.tokens = parts.tokens;
    this.thresholds = parts.thresholds;
    this.partners = parts.partners;
    this.audit = parts.audit;
    this.registrations = parts.registrations;
    this.maintenance = parts.maintenance;
    this.webhookQueue = parts.webhookQueue;
    this.readings = parts.readings;
    this.removal = this.db.transaction((id: number, ending: AlarmEnding) => {
      if (!this.devices.get(id)) return undefined;
      const cleared = this.alarms.clearAll(id, ending);
      // Its reading series and their history cascade away with the row; its events stay.
      this.devices.delete(id);
      return cleared;
    });
  }

  /**
   * Deletes a device, first ending each of its active alarms with a clear event carrying the
   * reason, in one transaction: the event log replayed still gives the active set. Its readings
   * (last values and history) go with it; its events are kept. Returns the
   * clear events to publish, or undefined if there was no such device.
   */
  removeDevice(id: number, ending: AlarmEnding): AlarmEvent[] | undefined {
    return this.removal.immediate(id, ending);
  }

  /** Closes the connection; safe to call twice. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
