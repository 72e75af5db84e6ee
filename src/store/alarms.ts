import type Database from 'better-sqlite3';
import { diffAlarms } from '../alarms/diff.js';
import type { Acknowledgement, ActiveAlarm, Alarm, AlarmEnding, AlarmEvent, AlarmEventKind, ClearReason, Severity } from '../alarms/model.js';
import { unknownDevice } from './devices.js';
import type { StoreSession } from './session.js';

export interface ActiveAlarmFilter {
  deviceId?: number;
  severity?: Severity;
  /** Only alarms raised at or after this time (ms). */
  since?: number;
}

export interface AppliedScan {
  raised: AlarmEvent[];
  cleared: AlarmEvent[];
}

/** An acknowledgement, or its withdrawal, asked of one active alarm. */
export interface AckRequest {
  deviceId: number;
  key: string;
  /** The API token's name. */
  by: string;
  at: number;
  /** Required to acknowledge; optional to withdraw. */
  comment: string | null;
}

/** What became of an AckRequest: the event logged and the alarm as it now is, or why nothing changed. */
export type AckOutcome =
  | { ok: true; event: AlarmEvent; alarm: ActiveAlarm }
  | { ok: false; why: 'not-active' }
  | { ok: false; why: 'already-acknowledged' | 'not-acknowledged'; alarm: ActiveAlarm };

/** The most events one `events()` call returns. */
export const EVENTS_PAGE_MAX = 1000;

/** An alarms_active row as stored. */
export interface ActiveRow {
  device_id: number;
  key: string;
  severity: Severity;
  code: string;
  description: string;
  raised_at: number;
}

export interface ActiveAckRow extends ActiveRow {
  ack_by: string | null;
  ack_at: number | null;
  ack_comment: string | null;
}

/** A device and its active alarms in one read: one row with null alarm columns when it has none. */
export interface DeviceActiveRow {
  name: string;
  key: string | null;
  severity: Severity | null;
  code: string | null;
  description: string | null;
  raised_at: number | null;
}

/** An events row as stored. */
export interface EventRow {
  id: number;
  device_id: number;
  device_name: string;
  kind: AlarmEventKind;
  key: string;
  severity: Severity;
  code: string;
  description: string;
  at: number;
  reason: ClearReason | null;
  actor: string | null;
  comment: string | null;
}

export type EventParams = Omit<EventRow, 'id'>;

/** What a backend runs for the alarms: one method per statement. */
export interface AlarmStatements {
  active(filter: { device_id: number | null; severity: string | null; since: number | null }): ActiveAckRow[];
  activeForDevice(deviceId: number): ActiveAckRow[];
  /** Inside a write: the device with its active alarms, its row locked against other writers where the backend can. */
  deviceWithActive(deviceId: number): DeviceActiveRow[];
  deviceName(deviceId: number): string | undefined;
  /** Inside a write: the device's name, its row locked as deviceWithActive locks it. */
  deviceNameForWrite(deviceId: number): string | undefined;
  activeKeys(deviceId: number): string[];
  activeOne(deviceId: number, key: string): ActiveAckRow | undefined;
  setAck(params: { device_id: number; key: string; by: string | null; at: number | null; comment: string | null }): void;
  lastRaise(deviceId: number, key: string): EventRow | undefined;
  insertActive(row: ActiveRow): void;
  deleteActive(deviceId: number, key: string): void;
  /** The new event's id. */
  appendEvent(params: EventParams): number;
  events(query: { after: number; limit: number; device_id: number | null }): EventRow[];
  eventsOf(query: { after: number; limit: number; ids: readonly number[] }): EventRow[];
  /** The newest id ever given out (0 if none): ids of deleted rows are never given again. */
  lastEventId(): number;
}

const ALARM_COLUMNS = 'device_id, key, severity, code, description, raised_at';
/** What reads of the active set return: the alarm and its acknowledgement. */
const ACTIVE_COLUMNS = `${ALARM_COLUMNS}, ack_by, ack_at, ack_comment`;

/**
 * Active alarms and the append-only event log. Every transition changes the
 * active set and appends its event in the same transaction, so the two never
 * disagree, even after a crash.
 */
export class AlarmsRepository {
  constructor(private readonly deps: { statements: AlarmStatements; session: StoreSession }) {}

  /** Active alarms, oldest first. */
  active(filter: ActiveAlarmFilter = {}): ActiveAlarm[] {
    return this.deps.statements
      .active({ device_id: filter.deviceId ?? null, severity: filter.severity ?? null, since: filter.since ?? null })
      .map(toActive);
  }

  activeForDevice(deviceId: number): ActiveAlarm[] {
    return this.deps.statements.activeForDevice(deviceId).map(toActive);
  }

  /**
   * Makes the device's active set what the scan found: raises new keys,
   * clears missing ones and logs each transition, in one transaction. An
   * unchanged scan is only a read: it takes no write lock and changes no row.
   */
  applyScan(deviceId: number, scanned: readonly Alarm[], at: number): AppliedScan {
    if (this.unchanged(deviceId, scanned)) return { raised: [], cleared: [] };
    const s = this.deps.statements;
    // The write re-reads and diffs under the write lock: what was read above may be stale by now.
    return this.deps.session.write(() => {
      const { name, active } = readDevice(s, deviceId);
      const diff = diffAlarms(active, scanned);
      return {
        raised: diff.raised.map((alarm) => raiseOne(s, { deviceId, deviceName: name, alarm, at })),
        cleared: diff.cleared.map((alarm) => clearOne(s, { deviceName: name, alarm, at, reason: null })),
      };
    });
  }

  /**
   * The hot path of every scan: true when the scan's keys are exactly the
   * active keys, i.e. when diffAlarms would find nothing. Reads keys only.
   */
  private unchanged(deviceId: number, scanned: readonly Alarm[]): boolean {
    const s = this.deps.statements;
    const active = new Set(s.activeKeys(deviceId));
    if (active.size === 0 && s.deviceName(deviceId) === undefined) throw unknownDevice(deviceId);
    const seen = new Set<string>();
    for (const alarm of scanned) {
      if (!active.has(alarm.key)) return false;
      seen.add(alarm.key);
    }
    return seen.size === active.size;
  }

  /** Raises one alarm unless it is already active; the event, or undefined if nothing changed. */
  raise(deviceId: number, alarm: Alarm, at: number): AlarmEvent | undefined {
    const s = this.deps.statements;
    // Already active (so the device exists): answered without taking the write lock.
    if (s.activeOne(deviceId, alarm.key)) return undefined;
    return this.deps.session.write(() => {
      const name = s.deviceNameForWrite(deviceId);
      if (name === undefined) throw unknownDevice(deviceId);
      if (s.activeOne(deviceId, alarm.key)) return undefined;
      return raiseOne(s, { deviceId, deviceName: name, alarm, at });
    });
  }

  /** Clears one alarm if it is active; the event, or undefined if nothing changed. */
  clear(deviceId: number, key: string, at: number): AlarmEvent | undefined {
    const s = this.deps.statements;
    if (!s.activeOne(deviceId, key)) {
      if (s.deviceName(deviceId) === undefined) throw unknownDevice(deviceId);
      return undefined;
    }
    return this.deps.session.write(() => {
      const name = s.deviceNameForWrite(deviceId);
      if (name === undefined) throw unknownDevice(deviceId);
      const row = s.activeOne(deviceId, key);
      return row && clearOne(s, { deviceName: name, alarm: toActive(row), at, reason: null });
    });
  }

  /**
   * Ends every active alarm of the device without a scan (it is being removed, or no longer
   * monitored): one clear event each, carrying the reason, in one transaction. Inside a caller's
   * transaction (Store.removeDevice) it is part of that one. Throws for an unknown device.
   */
  clearAll(deviceId: number, ending: AlarmEnding): AlarmEvent[] {
    const s = this.deps.statements;
    if (s.activeKeys(deviceId).length === 0) {
      if (s.deviceName(deviceId) === undefined) throw unknownDevice(deviceId);
      return [];
    }
    return this.deps.session.write(() => {
      const { name, active } = readDevice(s, deviceId);
      return active.map((alarm) => clearOne(s, { deviceName: name, alarm, at: ending.at, reason: ending.reason }));
    });
  }

  /** One active alarm, with its acknowledgement; undefined when the key is not active on the device. */
  activeAlarm(deviceId: number, key: string): ActiveAlarm | undefined {
    const row = this.deps.statements.activeOne(deviceId, key);
    return row && toActive(row);
  }

  /**
   * Acknowledges an active alarm: records who, when and why on it and logs an `ack` event, in one
   * transaction. The alarm stays active; a second acknowledgement is refused (withdraw it first).
   * Throws for an unknown device.
   */
  acknowledge(request: AckRequest): AckOutcome {
    return this.deps.session.write(() => acknowledgeIn(this.deps.statements, request, true));
  }

  /** Withdraws an acknowledgement, logging an `unack` event; refused when there is none. */
  unacknowledge(request: AckRequest): AckOutcome {
    return this.deps.session.write(() => acknowledgeIn(this.deps.statements, request, false));
  }

  /** The event that raised the alarm now active under this key (for a raise whose notice was held back), if logged. */
  lastRaise(deviceId: number, key: string): AlarmEvent | undefined {
    const row = this.deps.statements.lastRaise(deviceId, key);
    return row && toEvent(row);
  }

  /** Events after `afterId`, oldest first, at most `limit` (capped at EVENTS_PAGE_MAX). */
  events(afterId: number, limit: number, deviceId?: number): AlarmEvent[] {
    checkPage(afterId, limit);
    return this.deps.statements.events({ after: afterId, limit: Math.min(limit, EVENTS_PAGE_MAX), device_id: deviceId ?? null }).map(toEvent);
  }

  /** Events of these devices only (e.g. the devices a partner may see), as events() pages them. */
  eventsOf(afterId: number, limit: number, deviceIds: readonly number[]): AlarmEvent[] {
    checkPage(afterId, limit);
    return this.deps.statements.eventsOf({ after: afterId, limit: Math.min(limit, EVENTS_PAGE_MAX), ids: deviceIds }).map(toEvent);
  }

  /** The id of the newest event ever written (0 if none); ids are never reused. */
  lastEventId(): number {
    return this.deps.statements.lastEventId();
  }
}

export function sqliteAlarmStatements(db: Database.Database): AlarmStatements {
  const active = db.prepare<[{ device_id: number | null; severity: string | null; since: number | null }], ActiveAckRow>(
    `SELECT ${ACTIVE_COLUMNS} FROM alarms_active
     WHERE (@device_id IS NULL OR device_id = @device_id)
       AND (@severity IS NULL OR severity = @severity)
       AND (@since IS NULL OR raised_at >= @since)
     ORDER BY raised_at, device_id, key`,
  );
  const activeForDevice = db.prepare<[number], ActiveAckRow>(`SELECT ${ACTIVE_COLUMNS} FROM alarms_active WHERE device_id = ? ORDER BY raised_at, key`);
  const deviceWithActive = db.prepare<[number], DeviceActiveRow>(
    `SELECT d.name, a.key, a.severity, a.code, a.description, a.raised_at
     FROM devices d LEFT JOIN alarms_active a ON a.device_id = d.id
     WHERE d.id = ?`,
  );
  const deviceName = db.prepare<[number], string>('SELECT name FROM devices WHERE id = ?').pluck();
  const activeKeys = db.prepare<[number], string>('SELECT key FROM alarms_active WHERE device_id = ?').pluck();
  const activeOne = db.prepare<[number, string], ActiveAckRow>(`SELECT ${ACTIVE_COLUMNS} FROM alarms_active WHERE device_id = ? AND key = ?`);
  const setAck = db.prepare('UPDATE alarms_active SET ack_by = @by, ack_at = @at, ack_comment = @comment WHERE device_id = @device_id AND key = @key');
  const lastRaise = db.prepare<[number, string], EventRow>("SELECT * FROM events WHERE device_id = ? AND key = ? AND kind = 'raise' ORDER BY id DESC LIMIT 1");
  const insertActive = db.prepare<[ActiveRow]>(
    `INSERT INTO alarms_active (${ALARM_COLUMNS}) VALUES (@device_id, @key, @severity, @code, @description, @raised_at)`,
  );
  const deleteActive = db.prepare<[number, string]>('DELETE FROM alarms_active WHERE device_id = ? AND key = ?');
  const appendEvent = db.prepare<[EventParams]>(
    `INSERT INTO events (device_id, device_name, kind, key, severity, code, description, at, reason, actor, comment)
     VALUES (@device_id, @device_name, @kind, @key, @severity, @code, @description, @at, @reason, @actor, @comment)`,
  );
  const events = db.prepare<[{ after: number; limit: number; device_id: number | null }], EventRow>(
    'SELECT * FROM events WHERE id > :after AND (:device_id IS NULL OR device_id = :device_id) ORDER BY id LIMIT :limit',
  );
  const eventsOf = db.prepare<[{ after: number; limit: number; ids: string }], EventRow>(
    'SELECT * FROM events WHERE id > :after AND device_id IN (SELECT value FROM json_each(:ids)) ORDER BY id LIMIT :limit',
  );
  const lastEventId = db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  return {
    active: (filter) => active.all(filter),
    activeForDevice: (deviceId) => activeForDevice.all(deviceId),
    deviceWithActive: (deviceId) => deviceWithActive.all(deviceId),
    deviceName: (deviceId) => deviceName.get(deviceId),
    // IMMEDIATE transactions already keep every other writer out.
    deviceNameForWrite: (deviceId) => deviceName.get(deviceId),
    activeKeys: (deviceId) => activeKeys.all(deviceId),
    activeOne: (deviceId, key) => activeOne.get(deviceId, key),
    setAck: (params) => void setAck.run(params),
    lastRaise: (deviceId, key) => lastRaise.get(deviceId, key),
    insertActive: (row) => void insertActive.run(row),
    deleteActive: (deviceId, key) => void deleteActive.run(deviceId, key),
    appendEvent: (params) => Number(appendEvent.run(params).lastInsertRowid),
    events: (query) => events.all(query),
    eventsOf: ({ after, limit, ids }) => eventsOf.all({ after, limit, ids: JSON.stringify(ids) }),
    lastEventId: () => lastEventId.get() ?? 0,
  };
}

function checkPage(afterId: number, limit: number): void {
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new Error(`events: afterId must be a non-negative integer, got ${String(afterId)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(`events: limit must be a positive integer, got ${String(limit)}`);
  }
}

function appendEvent(s: AlarmStatements, params: EventParams): AlarmEvent {
  return toEvent({ id: s.appendEvent(params), ...params });
}

function raiseOne(s: AlarmStatements, { deviceId, deviceName, alarm, at }: { deviceId: number; deviceName: string; alarm: Alarm; at: number }): AlarmEvent {
  const { key, severity, code, description } = alarm;
  s.insertActive({ device_id: deviceId, key, severity, code, description, raised_at: at });
  return appendEvent(s, { device_id: deviceId, device_name: deviceName, kind: 'raise', key, severity, code, description, at, reason: null, actor: null, comment: null });
}

function clearOne(s: AlarmStatements, { deviceName, alarm, at, reason }: { deviceName: string; alarm: ActiveAlarm; at: number; reason: ClearReason | null }): AlarmEvent {
  const { deviceId, key, severity, code, description } = alarm;
  s.deleteActive(deviceId, key);
  return appendEvent(s, { device_id: deviceId, device_name: deviceName, kind: 'clear', key, severity, code, description, at, reason, actor: null, comment: null });
}

function acknowledgeIn(s: AlarmStatements, request: AckRequest, acknowledged: boolean): AckOutcome {
  const { deviceId, key, by, at, comment } = request;
  const name = s.deviceNameForWrite(deviceId);
  if (name === undefined) throw unknownDevice(deviceId);
  const row = s.activeOne(deviceId, key);
  if (!row) return { ok: false, why: 'not-active' };
  if ((row.ack_at !== null) === acknowledged) return { ok: false, why: acknowledged ? 'already-acknowledged' : 'not-acknowledged', alarm: toActive(row) };
  s.setAck({ device_id: deviceId, key, ...(acknowledged ? { by, at, comment } : { by: null, at: null, comment: null }) });
  const { severity, code, description } = row;
  const event = appendEvent(s, { device_id: deviceId, device_name: name, kind: acknowledged ? 'ack' : 'unack', key, severity, code, description, at, reason: null, actor: by, comment });
  return { ok: true, event, alarm: toActive(s.activeOne(deviceId, key)!) };
}

function readDevice(s: AlarmStatements, deviceId: number): { name: string; active: ActiveAlarm[] } {
  const rows = s.deviceWithActive(deviceId);
  const first = rows[0];
  if (!first) throw unknownDevice(deviceId);
  const active: ActiveAlarm[] = [];
  for (const row of rows) {
    if (row.key === null) continue;
    active.push({
      deviceId,
      key: row.key,
      severity: row.severity as Severity,
      code: row.code as string,
      description: row.description as string,
      raisedAt: row.raised_at as number,
    });
  }
  return { name: first.name, active };
}

function toActive(row: ActiveAckRow): ActiveAlarm {
  const alarm: ActiveAlarm = {
    deviceId: row.device_id,
    key: row.key,
    severity: row.severity,
    code: row.code,
    description: row.description,
    raisedAt: row.raised_at,
  };
  // Only an acknowledged alarm carries the field: an unacknowledged one reads as it always did.
  if (row.ack_at !== null) alarm.acknowledgement = { by: row.ack_by ?? '', at: row.ack_at, comment: row.ack_comment ?? '' } satisfies Acknowledgement;
  return alarm;
}

function toEvent(row: EventRow): AlarmEvent {
  return {
    id: row.id,
    deviceId: row.device_id,
    deviceName: row.device_name,
    kind: row.kind,
    key: row.key,
    severity: row.severity,
    code: row.code,
    description: row.description,
    at: row.at,
    reason: row.reason,
    // Raises and clears read as they always did; acknowledgements say who and why.
    ...(row.kind === 'ack' || row.kind === 'unack' ? { by: row.actor ?? '', comment: row.comment } : {}),
  };
}
