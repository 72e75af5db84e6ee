import { CONFIG_COLUMNS, SNMP_COLUMNS, type ConfigParams, type DeviceRow, type DeviceStatements } from '../device-rows.js';
import type { SettingsStatements } from '../settings.js';
import type { SyncBridge } from './bridge.js';

export function postgresDeviceStatements(db: SyncBridge): DeviceStatements {
  const n = CONFIG_COLUMNS.length;
  const columns = CONFIG_COLUMNS.join(', ');
  const placeholders = CONFIG_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  const configValues = (params: ConfigParams) => CONFIG_COLUMNS.map((column) => params[column]);
  const list = db.prepare('SELECT * FROM devices ORDER BY id');
  const listByOrigin = db.prepare('SELECT * FROM devices WHERE origin = $1 ORDER BY id');
  const get = db.prepare('SELECT * FROM devices WHERE id = $1');
  const getByName = db.prepare('SELECT * FROM devices WHERE name = $1');
  const getByAddress = db.prepare('SELECT * FROM devices WHERE address = $1 AND lead_id IS NULL');
  const shadowsOf = db.prepare('SELECT * FROM devices WHERE lead_id = $1 ORDER BY id');
  const followLead = db.prepare(
    `UPDATE devices SET (address, port, ${SNMP_COLUMNS.join(', ')}) = ($2, $3, ${SNMP_COLUMNS.map((_, i) => `$${i + 4}`).join(', ')})
     WHERE lead_id = $1`,
  );
  const count = db.prepare('SELECT count(*) AS n FROM devices');
  const scanTimes = db.prepare('SELECT id, last_scan_at, interval_s FROM devices');
  const insert = db.prepare(`INSERT INTO devices (${columns}, origin, created_at) VALUES (${placeholders}, $${n + 1}, $${n + 2}) RETURNING id`);
  const update = db.prepare(
    `UPDATE devices SET (${columns}) = (${placeholders}),
       resolved_profile = CASE WHEN $${n + 2}::int = 1 THEN NULL ELSE resolved_profile END,
       sys_object_id = CASE WHEN $${n + 3}::int = 1 THEN NULL ELSE sys_object_id END,
       sys_descr = CASE WHEN $${n + 3}::int = 1 THEN NULL ELSE sys_descr END
     WHERE id = $${n + 1}`,
  );
  const forgetEndpointState = db.prepare(
    `UPDATE devices SET reachable = NULL, last_error = NULL, registration_state = 'pending', registration_error = NULL, registered_at = NULL
     WHERE id = $1`,
  );
  const remove = db.prepare('DELETE FROM devices WHERE id = $1');
  const setResolvedProfile = db.prepare('UPDATE devices SET resolved_profile = $2, sys_object_id = $3, sys_descr = $4 WHERE id = $1');
  const recordScan = db.prepare('UPDATE devices SET reachable = $2, last_scan_at = $3, last_scan_ms = $4, last_error = $5 WHERE id = $1');
  const recordRegistration = db.prepare(
    `UPDATE devices SET registration_state = $2, registration_error = $3,
       registered_at = CASE WHEN $2 = 'registered' THEN $4 ELSE registered_at END
     WHERE id = $1`,
  );
  return {
    list: () => list.all<DeviceRow>(),
    listByOrigin: (origin) => listByOrigin.all<DeviceRow>([origin]),
    get: (id) => get.get<DeviceRow>([id]),
    getByName: (name) => getByName.get<DeviceRow>([name]),
    getByAddress: (address) => getByAddress.get<DeviceRow>([address]),
    shadowsOf: (leadId) => shadowsOf.all<DeviceRow>([leadId]),
    followLead: (p) => void followLead.run([p.lead_id, p.address, p.port, ...SNMP_COLUMNS.map((column) => p[column])]),
    count: () => count.get<{ n: number }>()?.n ?? 0,
    scanTimes: () => scanTimes.all(),
    insert: (params) => insert.get<{ id: number }>([...configValues(params), params.origin, params.created_at])!.id,
    update: (params) => void update.run([...configValues(params), params.id, params.forget_profile, params.forget_identity]),
    forgetEndpointState: (id) => void forgetEndpointState.run([id]),
    delete: (id) => remove.run([id]) > 0,
    setResolvedProfile: (p) => setResolvedProfile.run([p.id, p.profile, p.sys_object_id, p.sys_descr]) > 0,
    recordScan: (p) => recordScan.run([p.id, p.reachable, p.at, p.ms, p.error]) > 0,
    recordRegistration: (p) => recordRegistration.run([p.id, p.state, p.error, p.at]) > 0,
  };
}

export function postgresSettingsStatements(db: SyncBridge): SettingsStatements {
  const get = db.prepare('SELECT value FROM settings WHERE key = $1');
  const set = db.prepare('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value');
  const insert = db.prepare('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING');
  const value = (key: string) => get.get<{ value: string }>([key])?.value;
  return {
    get: value,
    set: (key, v) => void set.run([key, v]),
    insertIfAbsent: (key, v) => {
      insert.run([key, v]);
      return value(key) as string;
    },
  };
}
