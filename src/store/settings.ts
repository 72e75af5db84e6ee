import type Database from 'better-sqlite3';

interface SettingsStatements {
  get: Database.Statement<[string], { value: string }>;
  set: Database.Statement<[string, string]>;
  insert: Database.Statement<[string, string]>;
}

type GetOrCreate = Database.Transaction<(key: string, create: () => string) => string>;

/** Small named values the installation keeps across restarts (e.g. its generated community). */
export class SettingsRepository {
  static prepare(db: Database.Database): SettingsRepository {
    const statements: SettingsStatements = {
      get: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      set: db.prepare<[string, string]>(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      insert: db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?)'),
    };
    const getOrCreate = db.transaction((key: string, create: () => string): string => {
      const stored = statements.get.get(key)?.value;
      if (stored !== undefined) return stored;
      const value = create();
      if (typeof value !== 'string') throw new Error(`setting ${key}: the created value must be a string`);
      statements.insert.run(key, value);
      return value;
    });
    return new SettingsRepository(statements, getOrCreate);
  }

  private constructor(
    private readonly statements: SettingsStatements,
    private readonly getOrCreateTx: GetOrCreate,
  ) {}

  get(key: string): string | undefined {
    return this.statements.get.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.statements.set.run(key, value);
  }

  /** The stored value, or the one `create` makes, stored in the same transaction (so two callers agree). */
  getOrCreate(key: string, create: () => string): string {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    // IMMEDIATE: another connection cannot slip its own value in between the read and the insert.
    return this.getOrCreateTx.immediate(key, create);
  }
}
