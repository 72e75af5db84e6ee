import type Database from 'better-sqlite3';

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

interface SeriesRow {
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

type SeriesParams = Omit<SeriesRow, 'id'>;

/** What a scan's record needs of each series: which it is, when it was read, and its newest point. */
type SeriesState = Pick<SeriesRow, 'id' | 'reading' | 'instance' | 'at' | 'point_at' | 'point_value' | 'point_state'>;

// The hot path's statements are bound by position: named binding costs about as much again per value.
type UpdateParams = [label: string, unit: string, value: number, state: string | null, at: number, pointAt: number, pointValue: number, pointState: string | null, id: number];
type PointParams = [deviceId: number, at: number, seriesId: number, value: number, state: string | null];

interface ReadingStatements {
  seriesOfDevice: Database.Statement<[number], SeriesRow>;
  seriesStates: Database.Statement<[number], SeriesState>;
  insertSeries: Database.Statement<[SeriesParams]>;
  updateSeries: Database.Statement<UpdateParams>;
  deleteSeries: Database.Statement<[number]>;
  deleteSeriesPoints: Database.Statement<[deviceId: number, seriesId: number]>;
  insertPoint: Database.Statement<PointParams>;
  seriesId: Database.Statement<[number, string, string], number>;
  points: Database.Statement<[{ device_id: number; series_id: number; since: number; until: number; limit: number }], ReadingPoint>;
  pruneDevices: Database.Statement<[{ after: number; limit: number }], number>;
  deleteOldPoints: Database.Statement<[{ device_id: number; before: number; limit: number }]>;
  staleSeries: Database.Statement<[{ device_id: number; before: number }], number>;
}

type RecordTx = Database.Transaction<(deviceId: number, samples: readonly ReadingSample[], at: number) => RecordedReadings>;
type PruneTx = Database.Transaction<(request: PruneRequest) => PruneStep>;

const seriesKey = (reading: string, instance: string) => `${reading}\u0000${instance}`;

/**
 * Last values and history of sensor readings. Points are keyed by device and time, so one scan's
 * points sit side by side and its commit writes a page or two, not one per series; a device's
 * series and points go with it (the tables cascade).
 */
export class ReadingsRepository {
  static prepare(db: Database.Database, policy: HistoryPolicy): ReadingsRepository {
    const s: ReadingStatements = {
      seriesOfDevice: db.prepare('SELECT * FROM reading_series WHERE device_id = ?'),
      seriesStates: db.prepare('SELECT id, reading, instance, at, point_at, point_value, point_state FROM reading_series WHERE device_id = ?'),
      insertSeries: db.prepare(
        `INSERT INTO reading_series (device_id, reading, instance, label, unit, value, state, at, point_at, point_value, point_state)
         VALUES (@device_id, @reading, @instance, @label, @unit, @value, @state, @at, @point_at, @point_value, @point_state)`,
      ),
      updateSeries: db.prepare(
        `UPDATE reading_series SET label = ?, unit = ?, value = ?, state = ?, at = ?, point_at = ?, point_value = ?, point_state = ?
         WHERE id = ?`,
      ),
      deleteSeries: db.prepare('DELETE FROM reading_series WHERE id = ?'),
      deleteSeriesPoints: db.prepare('DELETE FROM reading_points WHERE device_id = ? AND series_id = ?'),
      // OR REPLACE: after the clock stepped back, a point may fall on a time already written.
      insertPoint: db.prepare('INSERT OR REPLACE INTO reading_points (device_id, at, series_id, value, state) VALUES (?, ?, ?, ?, ?)'),
      seriesId: db.prepare<[number, string, string], number>('SELECT id FROM reading_series WHERE device_id = ? AND reading = ? AND instance = ?').pluck(),
      points: db.prepare(
        `SELECT at, value, state FROM reading_points
         WHERE device_id = @device_id AND at >= @since AND at < @until AND series_id = @series_id ORDER BY at LIMIT @limit`,
      ),
      pruneDevices: db
        .prepare<[{ after: number; limit: number }], number>('SELECT DISTINCT device_id FROM reading_series WHERE device_id > @after ORDER BY device_id LIMIT @limit')
        .pluck(),
      deleteOldPoints: db.prepare(
        `DELETE FROM reading_points WHERE (device_id, at, series_id) IN
           (SELECT device_id, at, series_id FROM reading_points WHERE device_id = @device_id AND at < @before ORDER BY at LIMIT @limit)`,
      ),
      staleSeries: db.prepare<[{ device_id: number; before: number }], number>('SELECT id FROM reading_series WHERE device_id = @device_id AND at < @before').pluck(),
    };
    return new ReadingsRepository(s, recordTransaction(db, s, policy), pruneTransaction(db, s));
  }

  private constructor(
    private readonly s: ReadingStatements,
    private readonly recordTx: RecordTx,
    private readonly pruneTx: PruneTx,
  ) {}

  /**
   * Stores one scan's values, in one transaction: each series' last value, and a history point
   * where the policy says one is due. Throws for an unknown device.
   */
  record(deviceId: number, samples: readonly ReadingSample[], at: number): RecordedReadings {
    if (samples.length === 0) return { points: 0, dropped: 0 };
    return this.recordTx.immediate(deviceId, samples, at);
  }

  /** Every series of the device with its last value, whether or not its latest scan saw it. */
  last(deviceId: number): StoredReading[] {
    return this.s.seriesOfDevice.all(deviceId).map(toStored);
  }

  /**
   * A series' points in [since, until), oldest first, at most `limit` (capped at one more than
   * HISTORY_PAGE_MAX, so a caller can tell whether a full page has more behind it); undefined for
   * no such series.
   */
  history(query: HistoryQuery): ReadingPoint[] | undefined {
    const id = this.s.seriesId.get(query.deviceId, query.reading, query.instance);
    if (id === undefined) return undefined;
    const limit = Math.max(1, Math.min(query.limit, HISTORY_PAGE_MAX + 1));
    return this.s.points.all({ device_id: query.deviceId, series_id: id, since: query.since, until: query.until, limit });
  }

  /**
   * One bounded step of a prune pass: deletes points older than `before`, and series not read
   * since then, at most about `maxRows` rows, in one transaction. Call again with `next` until it
   * is null.
   */
  prune(request: PruneRequest): PruneStep {
    return this.pruneTx.immediate(request);
  }
}

function recordTransaction(db: Database.Database, s: ReadingStatements, policy: HistoryPolicy): RecordTx {
  const forget = (deviceId: number, seriesId: number) => {
    s.deleteSeriesPoints.run(deviceId, seriesId);
    s.deleteSeries.run(seriesId);
  };
  return db.transaction((deviceId: number, samples: readonly ReadingSample[], at: number): RecordedReadings => {
    const existing = new Map(s.seriesStates.all(deviceId).map((row) => [seriesKey(row.reading, row.instance), row]));
    let points = 0;
    let dropped = 0;
    let evictable: SeriesState[] | undefined;
    for (const sample of samples) {
      const { reading, instance, label, unit, value, state } = sample;
      const row = existing.get(seriesKey(reading, instance));
      if (row) {
        const due = pointDue({ pointAt: row.point_at, pointValue: row.point_value, pointState: row.point_state }, sample, at, policy);
        s.updateSeries.run(label, unit, value, state, at, due ? at : row.point_at, due ? value : row.point_value, due ? state : row.point_state, row.id);
        if (due) {
          s.insertPoint.run(deviceId, at, row.id, value, state);
          points++;
        }
        continue;
      }
      if (existing.size >= policy.maxSeriesPerDevice) {
        // Room for a new row only by forgetting one this scan no longer saw, the longest unread first.
        evictable ??= [...existing.values()].filter((r) => r.at < at).sort((a, b) => a.at - b.at || a.id - b.id);
        const gone = evictable.shift();
        if (!gone) {
          dropped++;
          continue;
        }
        forget(deviceId, gone.id);
        existing.delete(seriesKey(gone.reading, gone.instance));
      }
      const params: SeriesParams = { device_id: deviceId, reading, instance, label, unit, value, state, at, point_at: at, point_value: value, point_state: state };
      const id = Number(s.insertSeries.run(params).lastInsertRowid);
      s.insertPoint.run(deviceId, at, id, value, state);
      existing.set(seriesKey(reading, instance), { id, reading, instance, at, point_at: at, point_value: value, point_state: state });
      points++;
    }
    return { points, dropped };
  });
}

function pruneTransaction(db: Database.Database, s: ReadingStatements): PruneTx {
  return db.transaction(({ before, after, maxRows }: PruneRequest): PruneStep => {
    let budget = Math.max(1, maxRows);
    let deletedPoints = 0;
    let deletedSeries = 0;
    let done = after;
    const devices = s.pruneDevices.all({ after, limit: PRUNE_DEVICES_PER_STEP });
    for (const deviceId of devices) {
      const deleted = s.deleteOldPoints.run({ device_id: deviceId, before, limit: budget }).changes;
      deletedPoints += deleted;
      budget -= deleted;
      // Out of budget: this device may have more; the next step starts with it again.
      if (budget <= 0) return { deletedPoints, deletedSeries, next: done };
      // Series not read since `before`: their points were older, and are gone now (but for any a
      // clock that stepped back left later than that).
      for (const seriesId of s.staleSeries.all({ device_id: deviceId, before })) {
        deletedPoints += s.deleteSeriesPoints.run(deviceId, seriesId).changes;
        s.deleteSeries.run(seriesId);
        deletedSeries++;
        budget--;
      }
      done = deviceId;
    }
    return { deletedPoints, deletedSeries, next: devices.length < PRUNE_DEVICES_PER_STEP ? null : done };
  });
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
