import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';

// Sensor readings: the last value of every series (one device, one reading, one table row) and a
// short history of points. The interface speaks in series and points, never in SQL, so that a
// second backend implements the same methods; `pointDue` is the history rule every backend shares.

/** One value a scan read, as it is stored. */
export interface ReadingSample {
  reading: string;
  /** The table row's index; '' for a scalar. */
  instance: string;
  /** What the row is called (its label column, else its index); '' for a scalar. */
  label: string;
  unit: string;
  value: number;
  /** For state readings: the state's name; null otherwise, or when the profile does not know the value. */
  state: string | null;
}

/** A series' last value and when it was read. */
export interface StoredReading extends ReadingSample {
  deviceId: number;
  at: number;
}

export interface ReadingPoint {
  at: number;
  value: number;
  state: string | null;
}

/**
 * When a scan's value becomes a history point. A point is written when the value (or state) differs
 * from the series' newest point, but never sooner than `minIntervalMs` after it, so a storm of
 * scans adds at most one point per series per interval; an unchanged value is written again once
 * `unchangedIntervalMs` has passed, so a chart shows the series is alive.
 */
export interface HistoryPolicy {
  minIntervalMs: number;
  unchangedIntervalMs: number;
  /** Series one device may have; a scan's new series beyond it replace series the scan no longer saw, else are dropped. */
  maxSeriesPerDevice: number;
}

/** At most one point per series per 10 s, an unchanged value again every 15 minutes, 256 series per device. */
export const DEFAULT_HISTORY_POLICY: HistoryPolicy = { minIntervalMs: 10_000, unchangedIntervalMs: 900_000, maxSeriesPerDevice: 256 };

/** What one scan's record came to. */
export interface RecordedReadings {
  /** History points written. */
  points: number;
  /** New series not stored: the device is at its series limit. */
  dropped: number;
}

export interface HistoryQuery {
  deviceId: number;
  reading: string;
  instance: string;
  /** Points at or after this time (ms). */
  since: number;
  /** Points before this time (ms). */
  until: number;
  limit: number;
}

export interface PruneRequest {
  /** Points older than this go, and series last read before it. */
  before: number;
  /** Resume after this series id (0 to start). */
  after: number;
  /** The most rows one call deletes: each call is one short transaction. */
  maxRows: number;
}

export interface PruneStep {
  deletedPoints: number;
  deletedSeries: number;
  /** Pass as `after` for the next step; null when the pass is complete. */
  next: number | null;
}

/** The newest point of a series, as pointDue compares a scan's value with it. */
export interface NewestPoint {
  pointAt: number;
  pointValue: number;
  pointState: string | null;
}

/** Whether a scan's value at `at` is written as a history point (see HistoryPolicy). */
export function pointDue(newest: NewestPoint, sample: Pick<ReadingSample, 'value' | 'state'>, at: number, policy: HistoryPolicy): boolean {
  const since = at - newest.pointAt;
  // The clock stepped back: one point now, and the spacing counts from it.
  if (since < 0) return true;
  if (since >= policy.unchangedIntervalMs) return true;
  const changed = sample.value !== newest.pointValue || sample.state !== newest.pointState;
  return changed && since >= policy.minIntervalMs;
}

/** The most history points one query returns. */
export const HISTORY_PAGE_MAX = 10_000;
/** Devices examined per prune step, whatever the rows deleted. */
const PRUNE_DEVICES_PER_STEP = 100;

/** A reading_series row as stored. */
export interface SeriesRow {
  id: number;
  device_id: number;
  reading: string;
  instance: string;
  label: string;
  unit: string;
  value: number;
  state: string | null;
  at: number;
  point_at: number;
  point_value: number;
  point_state: string | null;
}

export type SeriesParams = Omit<SeriesRow, 'id'>;

/** What a scan's record needs of each series: which it is, when it was read, and its newest point. */
export type SeriesState = Pick<SeriesRow, 'id' | 'reading' | 'instance' | 'at' | 'point_at' | 'point_value' | 'point_state'>;

// Positional: SQLite binds them by position on the hot path (named binding costs about as much again per value).
export type SeriesUpdate = [label: string, unit: string, value: number, state: string | null, at: number, pointAt: number, pointValue: number, pointState: string | null, id: number];
export type PointParams = [deviceId: number, at: number, seriesId: number, value: number, state: string | null];

/** What a backend runs for the readings: one method per statement; a scan's updates and points go in one call each. */
export interface ReadingStatements {
  seriesOfDevice(deviceId: number): SeriesRow[];
  seriesStates(deviceId: number): SeriesState[];
  /** The new series' id. */
  insertSeries(params: SeriesParams): number;
  updateSeries(rows: readonly SeriesUpdate[]): void;
  deleteSeries(id: number): void;
  /** How many points went. */
  deleteSeriesPoints(deviceId: number, seriesId: number): number;
  /** A point already at the same device, time and series is replaced (after the clock stepped back). */
  insertPoints(points: readonly PointParams[]): void;
  seriesId(deviceId: number, reading: string, instance: string): number | undefined;
  points(query: { device_id: number; series_id: number; since: number; until: number; limit: number }): ReadingPoint[];
  /** Devices with series, by id, after `after`. */
  pruneDevices(query: { after: number; limit: number }): number[];
  /** Deletes the device's oldest points before `before`, at most `limit`; how many went. */
  deleteOldPoints(query: { device_id: number; before: number; limit: number }): number;
  /** The device's series last read before `before`. */
  staleSeries(query: { device_id: number; before: number }): number[];
}

const seriesKey = (reading: string, instance: string) => `${reading}\u0000${instance}`;

/**
 * Last values and history of sensor readings. Points are keyed by device and time, so one scan's
 * points sit side by side and its commit writes a page or two, not one per series; a device's
 * series and points go with it (the tables cascade).
 */
export class ReadingsRepository {
  constructor(private readonly deps: { statements: ReadingStatements; session: StoreSession; policy: HistoryPolicy }) {}

  /**
   * Stores one scan's values, in one transaction: each series' last value, and a history point
   * where the policy says one is due. Throws for an unknown device.
   */
  record(deviceId: number, samples: readonly ReadingSample[], at: number): RecordedReadings {
    if (samples.length === 0) return { points: 0, dropped: 0 };
    return this.deps.session.write(() => recordIn(this.deps.statements, this.deps.policy, { deviceId, samples, at }));
  }

  /** Every series of the device with its last value, whether or not its latest scan saw it. */
  last(deviceId: number): StoredReading[] {
    return this.deps.statements.seriesOfDevice(deviceId).map(toStored);
  }

  /**
   * A series' points in [since, until), oldest first, at most `limit` (capped at one more than
   * HISTORY_PAGE_MAX, so a caller can tell whether a full page has more behind it); undefined for
   * no such series.
   */
  history(query: HistoryQuery): ReadingPoint[] | undefined {
    const { statements } = this.deps;
    const id = statements.seriesId(query.deviceId, query.reading, query.instance);
    if (id === undefined) return undefined;
    const limit = Math.max(1, Math.min(query.limit, HISTORY_PAGE_MAX + 1));
    return statements.points({ device_id: query.deviceId, series_id: id, since: query.since, until: query.until, limit });
  }

  /**
   * One bounded step of a prune pass: deletes points older than `before`, and series not read
   * since then, at most about `maxRows` rows, in one transaction. Call again with `next` until it
   * is null.
   */
  prune(request: PruneRequest): PruneStep {
    return this.deps.session.write(() => pruneIn(this.deps.statements, request));
  }
}

function recordIn(s: ReadingStatements, policy: HistoryPolicy, scan: { deviceId: number; samples: readonly ReadingSample[]; at: number }): RecordedReadings {
  const { deviceId, at } = scan;
  // One value per series: a series listed twice keeps the scan's last value.
  const samples = new Map(scan.samples.map((sample) => [seriesKey(sample.reading, sample.instance), sample]));
  const existing = new Map(s.seriesStates(deviceId).map((row) => [seriesKey(row.reading, row.instance), row]));
  const updates: SeriesUpdate[] = [];
  const points: PointParams[] = [];
  let dropped = 0;
  let evictable: SeriesState[] | undefined;
  for (const [key, sample] of samples) {
    const { reading, instance, label, unit, value, state } = sample;
    const row = existing.get(key);
    if (row) {
      const due = pointDue({ pointAt: row.point_at, pointValue: row.point_value, pointState: row.point_state }, sample, at, policy);
      updates.push([label, unit, value, state, at, due ? at : row.point_at, due ? value : row.point_value, due ? state : row.point_state, row.id]);
      if (due) points.push([deviceId, at, row.id, value, state]);
      continue;
    }
    if (existing.size >= policy.maxSeriesPerDevice) {
      // Room for a new row only by forgetting one this scan does not report, the longest unread first.
      evictable ??= [...existing].filter(([k, r]) => !samples.has(k) && r.at < at).map(([, r]) => r).sort((a, b) => a.at - b.at || a.id - b.id);
      const gone = evictable.shift();
      if (!gone) {
        dropped++;
        continue;
      }
      s.deleteSeriesPoints(deviceId, gone.id);
      s.deleteSeries(gone.id);
      existing.delete(seriesKey(gone.reading, gone.instance));
    }
    const id = s.insertSeries({ device_id: deviceId, reading, instance, label, unit, value, state, at, point_at: at, point_value: value, point_state: state });
    points.push([deviceId, at, id, value, state]);
    existing.set(key, { id, reading, instance, at, point_at: at, point_value: value, point_state: state });
  }
  if (updates.length > 0) s.updateSeries(updates);
  if (points.length > 0) s.insertPoints(points);
  return { points: points.length, dropped };
}

function pruneIn(s: ReadingStatements, { before, after, maxRows }: PruneRequest): PruneStep {
  let budget = Math.max(1, maxRows);
  let deletedPoints = 0;
  let deletedSeries = 0;
  let done = after;
  const devices = s.pruneDevices({ after, limit: PRUNE_DEVICES_PER_STEP });
  for (const deviceId of devices) {
    const deleted = s.deleteOldPoints({ device_id: deviceId, before, limit: budget });
    deletedPoints += deleted;
    budget -= deleted;
    // Out of budget: this device may have more; the next step starts with it again.
    if (budget <= 0) return { deletedPoints, deletedSeries, next: done };
    // Series not read since `before`: their points were older, and are gone now (but for any a
    // clock that stepped back left later than that).
    for (const seriesId of s.staleSeries({ device_id: deviceId, before })) {
      deletedPoints += s.deleteSeriesPoints(deviceId, seriesId);
      s.deleteSeries(seriesId);
      deletedSeries++;
      budget--;
    }
    done = deviceId;
  }
  return { deletedPoints, deletedSeries, next: devices.length < PRUNE_DEVICES_PER_STEP ? null : done };
}

export function sqliteReadingStatements(db: Database.Database): ReadingStatements {
  const seriesOfDevice = db.prepare<[number], SeriesRow>('SELECT * FROM reading_series WHERE device_id = ?');
  const seriesStates = db.prepare<[number], SeriesState>('SELECT id, reading, instance, at, point_at, point_value, point_state FROM reading_series WHERE device_id = ?');
  const insertSeries = db.prepare<[SeriesParams]>(
    `INSERT INTO reading_series (device_id, reading, instance, label, unit, value, state, at, point_at, point_value, point_state)
     VALUES (@device_id, @reading, @instance, @label, @unit, @value, @state, @at, @point_at, @point_value, @point_state)`,
  );
  const updateSeries = db.prepare<SeriesUpdate>(
    'UPDATE reading_series SET label = ?, unit = ?, value = ?, state = ?, at = ?, point_at = ?, point_value = ?, point_state = ? WHERE id = ?',
  );
  const deleteSeries = db.prepare<[number]>('DELETE FROM reading_series WHERE id = ?');
  const deleteSeriesPoints = db.prepare<[number, number]>('DELETE FROM reading_points WHERE device_id = ? AND series_id = ?');
  // OR REPLACE: after the clock stepped back, a point may fall on a time already written.
  const insertPoint = db.prepare<PointParams>('INSERT OR REPLACE INTO reading_points (device_id, at, series_id, value, state) VALUES (?, ?, ?, ?, ?)');
  const seriesId = db.prepare<[number, string, string], number>('SELECT id FROM reading_series WHERE device_id = ? AND reading = ? AND instance = ?').pluck();
  const points = db.prepare<[{ device_id: number; series_id: number; since: number; until: number; limit: number }], ReadingPoint>(
    `SELECT at, value, state FROM reading_points
     WHERE device_id = @device_id AND at >= @since AND at < @until AND series_id = @series_id ORDER BY at LIMIT @limit`,
  );
  const pruneDevices = db
    .prepare<[{ after: number; limit: number }], number>('SELECT DISTINCT device_id FROM reading_series WHERE device_id > @after ORDER BY device_id LIMIT @limit')
    .pluck();
  const deleteOldPoints = db.prepare<[{ device_id: number; before: number; limit: number }]>(
    `DELETE FROM reading_points WHERE (device_id, at, series_id) IN
       (SELECT device_id, at, series_id FROM reading_points WHERE device_id = @device_id AND at < @before ORDER BY at LIMIT @limit)`,
  );
  const staleSeries = db.prepare<[{ device_id: number; before: number }], number>('SELECT id FROM reading_series WHERE device_id = @device_id AND at < @before').pluck();
  return {
    seriesOfDevice: (deviceId) => seriesOfDevice.all(deviceId),
    seriesStates: (deviceId) => seriesStates.all(deviceId),
    insertSeries: (params) => Number(insertSeries.run(params).lastInsertRowid),
    updateSeries: (rows) => {
      for (const row of rows) updateSeries.run(...row);
    },
    deleteSeries: (id) => void deleteSeries.run(id),
    deleteSeriesPoints: (deviceId, id) => deleteSeriesPoints.run(deviceId, id).changes,
    insertPoints: (rows) => {
      for (const row of rows) insertPoint.run(...row);
    },
    seriesId: (deviceId, reading, instance) => seriesId.get(deviceId, reading, instance),
    points: (query) => points.all(query),
    pruneDevices: (query) => pruneDevices.all(query),
    deleteOldPoints: (query) => deleteOldPoints.run(query).changes,
    staleSeries: (query) => staleSeries.all(query),
  };
}

function toStored(row: SeriesRow): StoredReading {
  return {
    deviceId: row.device_id,
    reading: row.reading,
    instance: row.instance,
    label: row.label,
    unit: row.unit,
    value: row.value,
    state: row.state,
    at: row.at,
  };
}
