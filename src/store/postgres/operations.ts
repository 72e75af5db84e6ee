// Thresholds, maintenance windows and the webhook queue in PostgreSQL.
import { WINDOW_END, type MaintenanceStatements, type WindowRow } from '../maintenance.js';
import { OVERRIDE_SELECT, type OverrideParams, type OverrideRow, type ThresholdStatements } from '../thresholds.js';
import type { DeliveryRow, WebhookQueueStatements } from '../webhook-queue.js';
import type { SyncBridge } from './bridge.js';

const OVERRIDE_COLUMNS = [
  'scope', 'profile', 'site', 'device_id', 'reading', 'level', 'instance', 'above', 'below', 'outside_low', 'outside_high',
  'disabled', 'hysteresis', 'for_s', 'interval_s',
] as const satisfies readonly (keyof OverrideParams)[];

export function postgresThresholdStatements(db: SyncBridge): ThresholdStatements {
  const n = OVERRIDE_COLUMNS.length;
  const values = (p: OverrideParams) => OVERRIDE_COLUMNS.map((column) => p[column]);
  const list = db.prepare(`${OVERRIDE_SELECT} ORDER BY t.id`);
  const get = db.prepare(`${OVERRIDE_SELECT} WHERE t.id = $1`);
  const insert = db.prepare(
    `INSERT INTO threshold_overrides (${OVERRIDE_COLUMNS.join(', ')}, created_at, updated_at)
     VALUES (${OVERRIDE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}, $${n + 1}, $${n + 1}) RETURNING id`,
  );
  // What an override sets; its target (the first four columns) stays.
  const settings = OVERRIDE_COLUMNS.slice(4);
  const update = db.prepare(
    `UPDATE threshold_overrides SET ${settings.map((column, i) => `${column} = $${i + 2}`).join(', ')}, updated_at = $${settings.length + 2}
     WHERE id = $1`,
  );
  const remove = db.prepare('DELETE FROM threshold_overrides WHERE id = $1');
  return {
    list: () => list.all<OverrideRow>(),
    get: (id) => get.get<OverrideRow>([id]),
    insert: (p) => insert.get<{ id: number }>([...values(p), p.at])!.id,
    update: (p) => void update.run([p.id, ...settings.map((column) => p[column]), p.at]),
    delete: (id) => remove.run([id]) > 0,
  };
}

const SELECT_WINDOWS = `
  SELECT w.*, (SELECT coalesce(json_agg(d.device_id), '[]')::text FROM maintenance_devices d WHERE d.window_id = w.id) AS device_ids
  FROM maintenance_windows w`;
const END = WINDOW_END;

export function postgresMaintenanceStatements(db: SyncBridge): MaintenanceStatements {
  const insertWindow = db.prepare(
    `INSERT INTO maintenance_windows (starts_at, ends_at, reason, scope, site, profile, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
  );
  const insertDevice = db.prepare('INSERT INTO maintenance_devices (window_id, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING');
  const one = db.prepare(`${SELECT_WINDOWS} WHERE w.id = $1`);
  const listed = db.prepare(
    `${SELECT_WINDOWS}
     WHERE $1::text IS NULL
        OR ($1 = 'ended' AND (${END} <= $2 OR ${END} <= w.starts_at))
        OR ($1 = 'active' AND w.starts_at <= $2 AND $2 < ${END})
        OR ($1 = 'scheduled' AND $2 < w.starts_at AND w.starts_at < ${END})
     ORDER BY w.starts_at DESC, w.id DESC
     LIMIT $3`,
  );
  const endingAfter = db.prepare(`${SELECT_WINDOWS} WHERE ${END} > $1 AND ${END} > w.starts_at ORDER BY w.starts_at, w.id`);
  const endEarly = db.prepare('UPDATE maintenance_windows SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL AND ends_at > $2');
  const release = db.prepare(`UPDATE maintenance_windows AS w SET released_at = $2 WHERE w.released_at IS NULL AND w.id = $1 AND ${END} <= $2`);
  return {
    insertWindow: (r) => insertWindow.get<{ id: number }>([r.starts_at, r.ends_at, r.reason, r.scope, r.site, r.profile, r.created_by, r.created_at])!.id,
    insertDevice: (windowId, deviceId) => void insertDevice.run([windowId, deviceId]),
    one: (id) => one.get<WindowRow>([id]),
    listed: (q) => listed.all<WindowRow>([q.state, q.now, q.limit]),
    endingAfter: (at) => endingAfter.all<WindowRow>([at]),
    endEarly: (id, at) => endEarly.run([id, at]) > 0,
    release: (id, at) => void release.run([id, at]),
  };
}

export function postgresWebhookQueueStatements(db: SyncBridge): WebhookQueueStatements {
  const insert = db.prepare('INSERT INTO webhook_deliveries (webhook, delivery_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5)');
  const trim = db.prepare(
    `DELETE FROM webhook_deliveries WHERE webhook = $1 AND id <= (
       SELECT id FROM webhook_deliveries WHERE webhook = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
  );
  const head = db.prepare('SELECT * FROM webhook_deliveries WHERE webhook = $1 ORDER BY id LIMIT 1');
  const remove = db.prepare('DELETE FROM webhook_deliveries WHERE id = $1');
  const counts = db.prepare('SELECT webhook, count(*) AS n FROM webhook_deliveries GROUP BY webhook');
  const removeWebhook = db.prepare('DELETE FROM webhook_deliveries WHERE webhook = $1');
  return {
    insert: (r) => void insert.run([r.webhook, r.delivery_id, r.kind, r.body, r.created_at]),
    trim: (webhook, max) => trim.run([webhook, max]),
    head: (webhook) => head.get<DeliveryRow>([webhook]),
    remove: (id) => remove.run([id]) > 0,
    counts: () => counts.all<{ webhook: string; n: number }>(),
    removeWebhook: (webhook) => removeWebhook.run([webhook]),
  };
}
