import type { PointParams, ReadingPoint, ReadingStatements, SeriesRow, SeriesState, SeriesUpdate } from '../readings.js';
import type { SyncBridge } from './bridge.js';

/** Rows as one array per column, for unnest(): a scan's series and points each go in one statement. */
function columnsOf<Row extends readonly unknown[]>(rows: readonly Row[], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) columns[i]!.push(row[i]);
  return columns;
}

export function postgresReadingStatements(db: SyncBridge): ReadingStatements {
  // Ordered as SQLite returns them (its unique index on device, reading, instance).
  const seriesOfDevice = db.prepare('SELECT * FROM reading_series WHERE device_id = $1 ORDER BY reading, instance');
  const seriesStates = db.prepare('SELECT id, reading, instance, at, point_at, point_value, point_state FROM reading_series WHERE device_id = $1');
  const insertSeries = db.prepare(
    `INSERT INTO reading_series (device_id, reading, instance, label, unit, value, state, at, point_at, point_value, point_state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
  );
  const updateSeries = db.prepare(
    `UPDATE reading_series AS s SET label = u.label, unit = u.unit, value = u.value, state = u.state, at = u.at,
       point_at = u.point_at, point_value = u.point_value, point_state = u.point_state
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::bigint[], $6::bigint[], $7::float8[], $8::text[], $9::bigint[])
       AS u (label, unit, value, state, at, point_at, point_value, point_state, id)
     WHERE s.id = u.id`,
  );
  const deleteSeries = db.prepare('DELETE FROM reading_series WHERE id = $1');
  const deleteSeriesPoints = db.prepare('DELETE FROM reading_points WHERE device_id = $1 AND series_id = $2');
  // After the clock stepped back, a point may fall on a time already written: it is replaced.
  const insertPoints = db.prepare(
    `INSERT INTO reading_points (device_id, at, series_id, value, state)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[])
     ON CONFLICT (device_id, at, series_id) DO UPDATE SET value = EXCLUDED.value, state = EXCLUDED.state`,
  );
  const seriesId = db.prepare('SELECT id FROM reading_series WHERE device_id = $1 AND reading = $2 AND instance = $3');
  const points = db.prepare('SELECT at, value, state FROM reading_points WHERE device_id = $1 AND at >= $3 AND at < $4 AND series_id = $2 ORDER BY at LIMIT $5');
  const pruneDevices = db.prepare('SELECT DISTINCT device_id FROM reading_series WHERE device_id > $1 ORDER BY device_id LIMIT $2');
  const deleteOldPoints = db.prepare(
    `DELETE FROM reading_points WHERE (device_id, at, series_id) IN
       (SELECT device_id, at, series_id FROM reading_points WHERE device_id = $1 AND at < $2 ORDER BY at LIMIT $3)`,
  );
  const staleSeries = db.prepare('SELECT id FROM reading_series WHERE device_id = $1 AND at < $2');
  return {
    seriesOfDevice: (deviceId) => seriesOfDevice.all<SeriesRow>([deviceId]),
    seriesStates: (deviceId) => seriesStates.all<SeriesState>([deviceId]),
    insertSeries: (p) =>
      insertSeries.get<{ id: number }>([p.device_id, p.reading, p.instance, p.label, p.unit, p.value, p.state, p.at, p.point_at, p.point_value, p.point_state])!.id,
    updateSeries: (rows: readonly SeriesUpdate[]) => void updateSeries.run(columnsOf(rows, 9)),
    deleteSeries: (id) => void deleteSeries.run([id]),
    deleteSeriesPoints: (deviceId, id) => deleteSeriesPoints.run([deviceId, id]),
    insertPoints: (rows: readonly PointParams[]) => void insertPoints.run(columnsOf(rows, 5)),
    seriesId: (deviceId, reading, instance) => seriesId.get<{ id: number }>([deviceId, reading, instance])?.id,
    points: (q) => points.all<ReadingPoint>([q.device_id, q.series_id, q.since, q.until, q.limit]),
    pruneDevices: (q) => pruneDevices.all<{ device_id: number }>([q.after, q.limit]).map((r) => r.device_id),
    deleteOldPoints: (q) => deleteOldPoints.run([q.device_id, q.before, q.limit]),
    staleSeries: (q) => staleSeries.all<{ id: number }>([q.device_id, q.before]).map((r) => r.id),
  };
}
