import type { ActiveAckRow, AlarmStatements, DeviceActiveRow, EventRow } from '../alarms.js';
import type { SyncBridge } from './bridge.js';

const ALARM_COLUMNS = 'device_id, key, severity, code, description, raised_at';
const ACTIVE_COLUMNS = `${ALARM_COLUMNS}, ack_by, ack_at, ack_comment`;
const EVENT_COLUMNS = 'device_id, device_name, kind, key, severity, code, description, at, reason, actor, comment';

/**
 * The alarms in PostgreSQL. A write locks the device's row first (FOR NO KEY UPDATE: rows that
 * refer to it can still be written), so two writers of one device's alarms take turns, as
 * SQLite's single writer does.
 */
export function postgresAlarmStatements(db: SyncBridge): AlarmStatements {
  const active = db.prepare(
    `SELECT ${ACTIVE_COLUMNS} FROM alarms_active
     WHERE ($1::bigint IS NULL OR device_id = $1) AND ($2::text IS NULL OR severity = $2) AND ($3::bigint IS NULL OR raised_at >= $3)
     ORDER BY raised_at, device_id, key`,
  );
  const activeForDevice = db.prepare(`SELECT ${ACTIVE_COLUMNS} FROM alarms_active WHERE device_id = $1 ORDER BY raised_at, key`);
  const deviceWithActive = db.prepare(
    `SELECT d.name, a.key, a.severity, a.code, a.description, a.raised_at
     FROM devices d LEFT JOIN alarms_active a ON a.device_id = d.id
     WHERE d.id = $1 ORDER BY a.key FOR NO KEY UPDATE OF d`,
  );
  const deviceName = db.prepare('SELECT name FROM devices WHERE id = $1');
  const deviceNameForWrite = db.prepare('SELECT name FROM devices WHERE id = $1 FOR NO KEY UPDATE');
  const activeKeys = db.prepare('SELECT key FROM alarms_active WHERE device_id = $1');
  const activeOne = db.prepare(`SELECT ${ACTIVE_COLUMNS} FROM alarms_active WHERE device_id = $1 AND key = $2`);
  const setAck = db.prepare('UPDATE alarms_active SET ack_by = $3, ack_at = $4, ack_comment = $5 WHERE device_id = $1 AND key = $2');
  const lastRaise = db.prepare("SELECT * FROM events WHERE device_id = $1 AND key = $2 AND kind = 'raise' ORDER BY id DESC LIMIT 1");
  const insertActive = db.prepare(`INSERT INTO alarms_active (${ALARM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`);
  const deleteActive = db.prepare('DELETE FROM alarms_active WHERE device_id = $1 AND key = $2');
  const appendEvent = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`);
  const events = db.prepare('SELECT * FROM events WHERE id > $1 AND ($3::bigint IS NULL OR device_id = $3) ORDER BY id LIMIT $2');
  const eventsOf = db.prepare('SELECT * FROM events WHERE id > $1 AND device_id = ANY($3::bigint[]) ORDER BY id LIMIT $2');
  // The sequence, not max(id): deleted newest rows keep their ids spent.
  const lastEventId = db.prepare('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS id FROM events_id_seq');
  const name = (row: { name: string } | undefined) => row?.name;
  return {
    active: (f) => active.all<ActiveAckRow>([f.device_id, f.severity, f.since]),
    activeForDevice: (deviceId) => activeForDevice.all<ActiveAckRow>([deviceId]),
    deviceWithActive: (deviceId) => deviceWithActive.all<DeviceActiveRow>([deviceId]),
    deviceName: (deviceId) => name(deviceName.get([deviceId])),
    deviceNameForWrite: (deviceId) => name(deviceNameForWrite.get([deviceId])),
    activeKeys: (deviceId) => activeKeys.all<{ key: string }>([deviceId]).map((r) => r.key),
    activeOne: (deviceId, key) => activeOne.get<ActiveAckRow>([deviceId, key]),
    setAck: (p) => void setAck.run([p.device_id, p.key, p.by, p.at, p.comment]),
    lastRaise: (deviceId, key) => lastRaise.get<EventRow>([deviceId, key]),
    insertActive: (r) => void insertActive.run([r.device_id, r.key, r.severity, r.code, r.description, r.raised_at]),
    deleteActive: (deviceId, key) => void deleteActive.run([deviceId, key]),
    appendEvent: (e) =>
      appendEvent.get<{ id: number }>([e.device_id, e.device_name, e.kind, e.key, e.severity, e.code, e.description, e.at, e.reason, e.actor, e.comment])!.id,
    events: (q) => events.all<EventRow>([q.after, q.limit, q.device_id]),
    eventsOf: (q) => eventsOf.all<EventRow>([q.after, q.limit, q.ids]),
    lastEventId: () => lastEventId.get<{ id: number }>()?.id ?? 0,
  };
}
