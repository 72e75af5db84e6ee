import type Database from 'better-sqlite3';
import type { OverrideScope, OverrideSettings, ThresholdOverride } from '../thresholds/overrides.js';

/** An override to store: its target (a profile, a site, or a device by id) and what it sets. */
export type NewThresholdOverride = OverrideSettings & ({ scope: 'profile' | 'site'; target: string } | { scope: 'device'; deviceId: number });

/** Another override already sets this reading, level and instance on this target. */
export class ThresholdOverrideExistsError extends Error {
  override readonly name = 'ThresholdOverrideExistsError';
}

interface OverrideRow {
  id: number;
  scope: OverrideScope;
  profile: string | null;
  site: string | null;
  device_id: number | null;
  device_name: string | null;
  reading: string;
  level: 'warning' | 'critical';
  instance: string | null;
  above: number | null;
  below: number | null;
  outside_low: number | null;
  outside_high: number | null;
  disabled: 0 | 1;
  hysteresis: number | null;
  for_s: number | null;
  interval_s: number | null;
}

type OverrideParams = Omit<OverrideRow, 'id' | 'device_name'>;

interface OverrideStatements {
  list: Database.Statement<[], OverrideRow>;
  get: Database.Statement<[number], OverrideRow>;
  insert: Database.Statement<[OverrideParams & { at: number }]>;
  update: Database.Statement<[OverrideParams & { id: number; at: number }]>;
  delete: Database.Statement<[number]>;
}

const SELECT = 'SELECT t.*, d.name AS device_name FROM threshold_overrides t LEFT JOIN devices d ON d.id = t.device_id';

/** Thresholds set through the API. A device's go with it (the database deletes them with the device). */
export class ThresholdsRepository {
  static prepare(db: Database.Database, clock: { now(): number }): ThresholdsRepository {
    const statements: OverrideStatements = {
      list: db.prepare(`${SELECT} ORDER BY t.id`),
      get: db.prepare(`${SELECT} WHERE t.id = ?`),
      insert: db.prepare(
        `INSERT INTO threshold_overrides (scope, profile, site, device_id, reading, level, instance, above, below, outside_low, outside_high,
           disabled, hysteresis, for_s, interval_s, created_at, updated_at)
         VALUES (@scope, @profile, @site, @device_id, @reading, @level, @instance, @above, @below, @outside_low, @outside_high,
           @disabled, @hysteresis, @for_s, @interval_s, @at, @at)`,
      ),
      update: db.prepare(
        `UPDATE threshold_overrides SET reading = @reading, level = @level, instance = @instance, above = @above, below = @below,
           outside_low = @outside_low, outside_high = @outside_high, disabled = @disabled, hysteresis = @hysteresis, for_s = @for_s,
           interval_s = @interval_s, updated_at = @at
         WHERE id = @id`,
      ),
      delete: db.prepare('DELETE FROM threshold_overrides WHERE id = ?'),
    };
    return new ThresholdsRepository(statements, clock);
  }

  private constructor(
    private readonly statements: OverrideStatements,
    private readonly clock: { now(): number },
  ) {}

  list(): ThresholdOverride[] {
    return this.statements.list.all().map(toOverride);
  }

  get(id: number): ThresholdOverride | undefined {
    const row = this.statements.get.get(id);
    return row && toOverride(row);
  }

  /** Throws ThresholdOverrideExistsError when the target already has one for this reading, level and instance. */
  insert(override: NewThresholdOverride): ThresholdOverride {
    const params: OverrideParams = {
      scope: override.scope,
      profile: override.scope === 'profile' ? override.target : null,
      site: override.scope === 'site' ? override.target : null,
      device_id: override.scope === 'device' ? override.deviceId : null,
      ...settingsParams(override),
    };
    const result = unique(() => this.statements.insert.run({ ...params, at: this.clock.now() }));
    return this.get(Number(result.lastInsertRowid))!;
  }

  /** Replaces what an override sets (its target stays); undefined when there is no such override. */
  update(id: number, settings: OverrideSettings): ThresholdOverride | undefined {
    const stored = this.statements.get.get(id);
    if (!stored) return undefined;
    const { scope, profile, site, device_id } = stored;
    unique(() => this.statements.update.run({ scope, profile, site, device_id, ...settingsParams(settings), id, at: this.clock.now() }));
    return this.get(id);
  }

  /** False when there was no such override. */
  delete(id: number): boolean {
    return this.statements.delete.run(id).changes > 0;
  }
}

function settingsParams(s: OverrideSettings): Omit<OverrideParams, 'scope' | 'profile' | 'site' | 'device_id'> {
  return {
    reading: s.reading,
    level: s.level,
    instance: s.instance ?? null,
    above: s.above ?? null,
    below: s.below ?? null,
    outside_low: s.outside?.[0] ?? null,
    outside_high: s.outside?.[1] ?? null,
    disabled: s.disabled ? 1 : 0,
    hysteresis: s.hysteresis ?? null,
    for_s: s.forSeconds ?? null,
    interval_s: s.intervalSeconds ?? null,
  };
}

function unique(write: () => Database.RunResult): Database.RunResult {
  try {
    return write();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new ThresholdOverrideExistsError('another threshold already sets this reading, level and instance on this target');
    }
    throw error;
  }
}

function toOverride(row: OverrideRow): ThresholdOverride {
  const optional = <K extends string, V>(key: K, value: V | null) => (value === null ? {} : ({ [key]: value } as Record<K, V>));
  return {
    id: String(row.id),
    origin: 'api',
    scope: row.scope,
    target: row.profile ?? row.site ?? row.device_name ?? `#${row.device_id}`,
    ...(row.device_id !== null ? { deviceId: row.device_id } : {}),
    reading: row.reading,
    level: row.level,
    ...optional('instance', row.instance),
    ...optional('above', row.above),
    ...optional('below', row.below),
    ...(row.outside_low !== null && row.outside_high !== null ? { outside: [row.outside_low, row.outside_high] as const } : {}),
    ...(row.disabled ? { disabled: true as const } : {}),
    ...optional('hysteresis', row.hysteresis),
    ...optional('forSeconds', row.for_s),
    ...optional('intervalSeconds', row.interval_s),
  };
}
