import type Database from 'better-sqlite3';
import type { MaintenanceScope, MaintenanceWindow } from '../alarms/maintenance.js';

/** A window as an admin asks for it; times in ms since the epoch. */
export interface NewMaintenanceWindow {
  startsAt: number;
  endsAt: number;
  reason: string;
  scope: MaintenanceScope;
  createdBy: string;
  createdAt: number;
}

export type WindowFilter = 'scheduled' | 'active' | 'ended';

interface WindowRow {
  id: number;
  starts_at: number;
  ends_at: number;
  ended_at: number | null;
  reason: string;
  scope: MaintenanceScope['kind'];
  site: string | null;
  profile: string | null;
  created_by: string;
  created_at: number;
  released_at: number | null;
  /** JSON array of the listed device ids (scope 'devices'). */
  device_ids: string;
}

/** When a window stops holding alarms, in SQL (ended_at is never after ends_at). */
const END = 'coalesce(w.ended_at, w.ends_at)';
const SELECT_WINDOWS = `
  SELECT w.*, (SELECT coalesce(json_group_array(d.device_id), '[]') FROM maintenance_devices d WHERE d.window_id = w.id) AS device_ids
  FROM maintenance_windows w`;

/** Maintenance windows and the devices they list. */
export class MaintenanceRepository {
  static prepare(db: Database.Database): MaintenanceRepository {
    return new MaintenanceRepository(db);
  }

  private readonly insertWindow: Database.Statement<Omit<WindowRow, 'id' | 'ended_at' | 'released_at' | 'device_ids'>>;
  private readonly insertDevice: Database.Statement<[number, number]>;
  private readonly one: Database.Statement<[number], WindowRow>;
  private readonly listed: Database.Statement<{ state: WindowFilter | null; now: number; limit: number }, WindowRow>;
  private readonly endingAfter: Database.Statement<[number], WindowRow>;
  private readonly endEarly: Database.Statement<[number, number, number]>;
  private readonly release: Database.Statement<[number, number, number]>;
  private readonly creation: Database.Transaction<(window: NewMaintenanceWindow) => number>;
  private readonly releasing: Database.Transaction<(ids: readonly number[], at: number) => void>;

  private constructor(db: Database.Database) {
    this.insertWindow = db.prepare(
      `INSERT INTO maintenance_windows (starts_at, ends_at, reason, scope, site, profile, created_by, created_at)
       VALUES (@starts_at, @ends_at, @reason, @scope, @site, @profile, @created_by, @created_at)`,
    );
    this.insertDevice = db.prepare('INSERT OR IGNORE INTO maintenance_devices (window_id, device_id) VALUES (?, ?)');
    this.one = db.prepare(`${SELECT_WINDOWS} WHERE w.id = ?`);
    this.listed = db.prepare(
      `${SELECT_WINDOWS}
       WHERE :state IS NULL
          OR (:state = 'ended' AND (${END} <= :now OR ${END} <= w.starts_at))
          OR (:state = 'active' AND w.starts_at <= :now AND :now < ${END})
          OR (:state = 'scheduled' AND :now < w.starts_at AND w.starts_at < ${END})
       ORDER BY w.starts_at DESC, w.id DESC
       LIMIT :limit`,
    );
    this.endingAfter = db.prepare(`${SELECT_WINDOWS} WHERE ${END} > ? AND ${END} > w.starts_at ORDER BY w.starts_at, w.id`);
    this.endEarly = db.prepare('UPDATE maintenance_windows SET ended_at = ? WHERE id = ? AND ended_at IS NULL AND ends_at > ?');
    this.release = db.prepare(`UPDATE maintenance_windows AS w SET released_at = ? WHERE w.released_at IS NULL AND w.id = ? AND ${END} <= ?`);
    this.releasing = db.transaction((ids: readonly number[], at: number) => {
      for (const id of ids) this.release.run(at, id, at);
    });
    this.creation = db.transaction((window: NewMaintenanceWindow): number => {
      const { scope } = window;
      const id = Number(
        this.insertWindow.run({
          starts_at: window.startsAt,
          ends_at: window.endsAt,
          reason: window.reason,
          scope: scope.kind,
          site: scope.kind === 'site' ? scope.site : null,
          profile: scope.kind === 'profile' ? scope.profile : null,
          created_by: window.createdBy,
          created_at: window.createdAt,
        }).lastInsertRowid,
      );
      if (scope.kind === 'devices') for (const deviceId of scope.deviceIds) this.insertDevice.run(id, deviceId);
      return id;
    });
  }

  /** Stores a window; a listed device id that does not exist fails the whole (a foreign key). */
  create(window: NewMaintenanceWindow): MaintenanceWindow {
    return this.get(this.creation.immediate(window))!;
  }

  get(id: number): MaintenanceWindow | undefined {
    const row = this.one.get(id);
    return row && toWindow(row);
  }

  /** Newest start first; `state` as of `now`. */
  list(options: { state?: WindowFilter; now: number; limit: number }): MaintenanceWindow[] {
    return this.listed.all({ state: options.state ?? null, now: options.now, limit: options.limit }).map(toWindow);
  }

  /** Windows still holding alarms after `at` (running, scheduled, or ending later), oldest start first. */
  endingAfterTime(at: number): MaintenanceWindow[] {
    return this.endingAfter.all(at).map(toWindow);
  }

  /** Ends a window now (a scheduled one never starts); false if it had ended already. */
  end(id: number, at: number): boolean {
    return this.endEarly.run(at, id, at).changes > 0;
  }

  /** Records that the alarms held by these ended windows were sent. */
  markReleased(ids: readonly number[], at: number): void {
    if (ids.length > 0) this.releasing.immediate(ids, at);
  }
}

function toWindow(row: WindowRow): MaintenanceWindow {
  const scope: MaintenanceScope =
    row.scope === 'site' ? { kind: 'site', site: row.site! } : row.scope === 'profile' ? { kind: 'profile', profile: row.profile! } : { kind: 'devices', deviceIds: (JSON.parse(row.device_ids) as number[]).sort((a, b) => a - b) };
  return {
    id: row.id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    endedAt: row.ended_at,
    reason: row.reason,
    scope,
    createdBy: row.created_by,
    createdAt: row.created_at,
    releasedAt: row.released_at,
  };
}
