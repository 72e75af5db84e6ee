import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';

/** What a backend runs for the settings: one method per statement. */
export interface SettingsStatements {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  /** Stores the value unless the key has one already; returns the value stored now. */
  insertIfAbsent(key: string, value: string): string;
}

/** Small named values the installation keeps across restarts (e.g. its generated community). */
export class SettingsRepository {
  constructor(private readonly deps: { statements: SettingsStatements; session: StoreSession }) {}

  get(key: string): string | undefined {
    return this.deps.statements.get(key);
  }

  set(key: string, value: string): void {
    this.deps.statements.set(key, value);
  }

  /** The stored value, or the one `create` makes, stored in the same transaction (so two callers agree). */
  getOrCreate(key: string, create: () => string): string {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    const { statements, session } = this.deps;
    // Under the write lock: another connection cannot slip its own value in between the read and the insert.
    return session.write(() => {
      const stored = statements.get(key);
      if (stored !== undefined) return stored;
      const value = create();
      if (typeof value !== 'string') throw new Error(`setting ${key}: the created value must be a string`);
      return statements.insertIfAbsent(key, value);
    });
  }
}

export function sqliteSettingsStatements(db: Database.Database): SettingsStatements {
  const get = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const set = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const insert = db.prepare<[string, string]>('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)');
  return {
    get: (key) => get.get(key),
    set: (key, value) => void set.run(key, value),
    insertIfAbsent: (key, value) => {
      insert.run(key, value);
      return get.get(key) as string;
    },
  };
}
