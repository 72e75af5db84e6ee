import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';
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

/** A maintenance_windows row as stored, with the devices it lists. */
export interface WindowRow {
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

export type WindowInsert = Omit<WindowRow, 'id' | 'ended_at' | 'released_at' | 'device_ids'>;

/** What a backend runs for the maintenance windows: one method per statement. */
export interface MaintenanceStatements {
  /** The new window's id. */
  insertWindow(row: WindowInsert): number;
  /** Lists a device on a window (once, however often asked); an unknown device fails (a foreign key). */
  insertDevice(windowId: number, deviceId: number): void;
  one(id: number): WindowRow | undefined;
  /** Newest start first, `state` as of `now` (see WindowFilter). */
  listed(query: { state: WindowFilter | null; now: number; limit: number }): WindowRow[];
  /** Oldest start first. */
  endingAfter(at: number): WindowRow[];
  /** Ends the window at `at` unless it ended already; whether it did. */
  endEarly(id: number, at: number): boolean;
  /** Records the release of an ended window, once. */
  release(id: number, at: number): void;
}

/** When a window stops holding alarms, in SQL (ended_at is never after ends_at); both backends' spelling. */
export const WINDOW_END = 'coalesce(w.ended_at, w.ends_at)';
const END = WINDOW_END;
const SELECT_WINDOWS = `
  SELECT w.*, (SELECT coalesce(json_group_array(d.device_id), '[]') FROM maintenance_devices d WHERE d.window_id = w.id) AS device_ids
  FROM maintenance_windows w`;

/** Maintenance windows and the devices they list. */
export class MaintenanceRepository {
  constructor(private readonly deps: { statements: MaintenanceStatements; session: StoreSession }) {}

  /** Stores a window; a listed device id that does not exist fails the whole (a foreign key). */
  create(window: NewMaintenanceWindow): MaintenanceWindow {
    const { statements, session } = this.deps;
    const id = session.write(() => {
      const { scope } = window;
      const id = statements.insertWindow({
        starts_at: window.startsAt,
        ends_at: window.endsAt,
        reason: window.reason,
        scope: scope.kind,
        site: scope.kind === 'site' ? scope.site : null,
        profile: scope.kind === 'profile' ? scope.profile : null,
        created_by: window.createdBy,
        created_at: window.createdAt,
      });
      if (scope.kind === 'devices') for (const deviceId of scope.deviceIds) statements.insertDevice(id, deviceId);
      return id;
    });
    return this.get(id)!;
  }

  get(id: number): MaintenanceWindow | undefined {
    const row = this.deps.statements.one(id);
    return row && toWindow(row);
  }

  /** Newest start first; `state` as of `now`. */
  list(options: { state?: WindowFilter; now: number; limit: number }): MaintenanceWindow[] {
    return this.deps.statements.listed({ state: options.state ?? null, now: options.now, limit: options.limit }).map(toWindow);
  }

  /** Windows still holding alarms after `at` (running, scheduled, or ending later), oldest start first. */
  endingAfterTime(at: number): MaintenanceWindow[] {
    return this.deps.statements.endingAfter(at).map(toWindow);
  }

  /** Ends a window now (a scheduled one never starts); false if it had ended already. */
  end(id: number, at: number): boolean {
    return this.deps.statements.endEarly(id, at);
  }

  /** Records that the alarms held by these ended windows were sent. */
  markReleased(ids: readonly number[], at: number): void {
    if (ids.length === 0) return;
    this.deps.session.write(() => {
      for (const id of ids) this.deps.statements.release(id, at);
    });
  }
}

export function sqliteMaintenanceStatements(db: Database.Database): MaintenanceStatements {
  const insertWindow = db.prepare<[WindowInsert]>(
    `INSERT INTO maintenance_windows (starts_at, ends_at, reason, scope, site, profile, created_by, created_at)
     VALUES (@starts_at, @ends_at, @reason, @scope, @site, @profile, @created_by, @created_at)`,
  );
  const insertDevice = db.prepare<[number, number]>('INSERT OR IGNORE INTO maintenance_devices (window_id, device_id) VALUES (?, ?)');
  const one = db.prepare<[number], WindowRow>(`${SELECT_WINDOWS} WHERE w.id = ?`);
  const listed = db.prepare<[{ state: WindowFilter | null; now: number; limit: number }], WindowRow>(
    `${SELECT_WINDOWS}
     WHERE :state IS NULL
        OR (:state = 'ended' AND (${END} <= :now OR ${END} <= w.starts_at))
        OR (:state = 'active' AND w.starts_at <= :now AND :now < ${END})
        OR (:state = 'scheduled' AND :now < w.starts_at AND w.starts_at < ${END})
     ORDER BY w.starts_at DESC, w.id DESC
     LIMIT :limit`,
  );
  const endingAfter = db.prepare<[number], WindowRow>(`${SELECT_WINDOWS} WHERE ${END} > ? AND ${END} > w.starts_at ORDER BY w.starts_at, w.id`);
  const endEarly = db.prepare<[number, number, number]>('UPDATE maintenance_windows SET ended_at = ? WHERE id = ? AND ended_at IS NULL AND ends_at > ?');
  const release = db.prepare<[number, number, number]>(`UPDATE maintenance_windows AS w SET released_at = ? WHERE w.released_at IS NULL AND w.id = ? AND ${END} <= ?`);
  return {
    insertWindow: (row) => Number(insertWindow.run(row).lastInsertRowid),
    insertDevice: (windowId, deviceId) => void insertDevice.run(windowId, deviceId),
    one: (id) => one.get(id),
    listed: (query) => listed.all(query),
    endingAfter: (at) => endingAfter.all(at),
    endEarly: (id, at) => endEarly.run(at, id, at).changes > 0,
    release: (id, at) => void release.run(at, id, at),
  };
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
