import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';
import type { OverrideScope, OverrideSettings, ThresholdOverride } from '../thresholds/overrides.js';

/** An override to store: its target (a profile, a site, or a device by id) and what it sets. */
export type NewThresholdOverride = OverrideSettings & ({ scope: 'profile' | 'site'; target: string } | { scope: 'device'; deviceId: number });

/** Another override already sets this reading, level and instance on this target. */
export class ThresholdOverrideExistsError extends Error {
  override readonly name = 'ThresholdOverrideExistsError';
}

/** A threshold_overrides row as stored, with its device's name. */
export interface OverrideRow {
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

export type OverrideParams = Omit<OverrideRow, 'id' | 'device_name'>;

/** What a backend runs for the thresholds: one method per statement. */
export interface ThresholdStatements {
  list(): OverrideRow[];
  get(id: number): OverrideRow | undefined;
  /** The new row's id. */
  insert(params: OverrideParams & { at: number }): number;
  update(params: OverrideParams & { id: number; at: number }): void;
  delete(id: number): boolean;
}

/** An override with its device's name, as both backends select it. */
export const OVERRIDE_SELECT = 'SELECT t.*, d.name AS device_name FROM threshold_overrides t LEFT JOIN devices d ON d.id = t.device_id';

/** Thresholds set through the API. A device's go with it (the database deletes them with the device). */
export class ThresholdsRepository {
  constructor(private readonly deps: { statements: ThresholdStatements; session: StoreSession; clock: { now(): number } }) {}

  list(): ThresholdOverride[] {
    return this.deps.statements.list().map(toOverride);
  }

  get(id: number): ThresholdOverride | undefined {
    const row = this.deps.statements.get(id);
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
    const id = this.unique(() => this.deps.statements.insert({ ...params, at: this.deps.clock.now() }));
    return this.get(id)!;
  }

  /** Replaces what an override sets (its target stays); undefined when there is no such override. */
  update(id: number, settings: OverrideSettings): ThresholdOverride | undefined {
    const stored = this.deps.statements.get(id);
    if (!stored) return undefined;
    const { scope, profile, site, device_id } = stored;
    this.unique(() => this.deps.statements.update({ scope, profile, site, device_id, ...settingsParams(settings), id, at: this.deps.clock.now() }));
    return this.get(id);
  }

  /** False when there was no such override. */
  delete(id: number): boolean {
    return this.deps.statements.delete(id);
  }

  private unique<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (this.deps.session.uniqueViolation(error) !== undefined) {
        throw new ThresholdOverrideExistsError('another threshold already sets this reading, level and instance on this target');
      }
      throw error;
    }
  }
}

export function sqliteThresholdStatements(db: Database.Database): ThresholdStatements {
  const list = db.prepare<[], OverrideRow>(`${OVERRIDE_SELECT} ORDER BY t.id`);
  const get = db.prepare<[number], OverrideRow>(`${OVERRIDE_SELECT} WHERE t.id = ?`);
  const insert = db.prepare<[OverrideParams & { at: number }]>(
    `INSERT INTO threshold_overrides (scope, profile, site, device_id, reading, level, instance, above, below, outside_low, outside_high,
       disabled, hysteresis, for_s, interval_s, created_at, updated_at)
     VALUES (@scope, @profile, @site, @device_id, @reading, @level, @instance, @above, @below, @outside_low, @outside_high,
       @disabled, @hysteresis, @for_s, @interval_s, @at, @at)`,
  );
  const update = db.prepare<[OverrideParams & { id: number; at: number }]>(
    `UPDATE threshold_overrides SET reading = @reading, level = @level, instance = @instance, above = @above, below = @below,
       outside_low = @outside_low, outside_high = @outside_high, disabled = @disabled, hysteresis = @hysteresis, for_s = @for_s,
       interval_s = @interval_s, updated_at = @at
     WHERE id = @id`,
  );
  const remove = db.prepare<[number]>('DELETE FROM threshold_overrides WHERE id = ?');
  return {
    list: () => list.all(),
    get: (id) => get.get(id),
    insert: (params) => Number(insert.run(params).lastInsertRowid),
    update: (params) => void update.run(params),
    delete: (id) => remove.run(id).changes > 0,
  };
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
