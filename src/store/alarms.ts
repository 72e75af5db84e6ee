import type Database from 'better-sqlite3';
import { diffAlarms } from '../alarms/diff.js';
import type { ActiveAlarm, Alarm, AlarmEnding, AlarmEvent, AlarmEventKind, ClearReason, Severity } from '../alarms/model.js';
import { unknownDevice } from './devices.js';

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

/** The most events one `events()` call returns. */
export const EVENTS_PAGE_MAX = 1000;

interface ActiveRow {
  device_id: number;
  key: string;
  severity: Severity;
  code: string;
  description: string;
  raised_at: number;
}

/** A device and its active alarms in one read: one row with null alarm columns when it has none. */
interface DeviceActiveRow {
  name: string;
  key: string | null;
  severity: Severity | null;
  code: string | null;
  description: string | null;
  raised_at: number | null;
}

interface EventRow {
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
}

type EventParams = Omit<EventRow, 'id'>;

interface AlarmStatements {
  active: Database.Statement<[{ device_id: number | null; severity: string | null; since: number | null }], ActiveRow>;
  activeForDevice: Database.Statement<[number], ActiveRow>;
  deviceWithActive: Database.Statement<[number], DeviceActiveRow>;
  deviceName: Database.Statement<[number], { name: string }>;
  activeKeys: Database.Statement<[number], string>;
  activeOne: Database.Statement<[number, string], ActiveRow>;
  insertActive: Database.Statement<[ActiveRow]>;
  deleteActive: Database.Statement<[number, string]>;
  appendEvent: Database.Statement<[EventParams]>;
  events: Database.Statement<{ after: number; limit: number; device_id: number | null }, EventRow>;
  eventsOf: Database.Statement<{ after: number; limit: number; ids: string }, EventRow>;
  lastEventId: Database.Statement<[], { seq: number }>;
}

interface AlarmTransactions {
  applyScan: Database.Transaction<(deviceId: number, scanned: readonly Alarm[], at: number) => AppliedScan>;
  raise: Database.Transaction<(deviceId: number, alarm: Alarm, at: number) => AlarmEvent | undefined>;
  clear: Database.Transaction<(deviceId: number, key: string, at: number) => AlarmEvent | undefined>;
  clearAll: Database.Transaction<(deviceId: number, ending: AlarmEnding) => AlarmEvent[]>;
}

const ALARM_COLUMNS = 'device_id, key, severity, code, description, raised_at';

/**
 * Active alarms and the append-only event log. Every transition changes the
 * active set and appends its event in the same transaction, so the two never
 * disagree, even after a crash.
 */
export class AlarmsRepository {
  static prepare(db: Database.Database): AlarmsRepository {
    const statements: AlarmStatements = {
      active: db.prepare(
        `SELECT ${ALARM_COLUMNS} FROM alarms_active
         WHERE (@device_id IS NULL OR device_id = @device_id)
           AND (@severity IS NULL OR severity = @severity)
           AND (@since IS NULL OR raised_at >= @since)
         ORDER BY raised_at, device_id, key`,
      ),
      activeForDevice: db.prepare(`SELECT ${ALARM_COLUMNS} FROM alarms_active WHERE device_id = ? ORDER BY raised_at, key`),
      deviceWithActive: db.prepare(
        `SELECT d.name, a.key, a.severity, a.code, a.description, a.raised_at
         FROM devices d LEFT JOIN alarms_active a ON a.device_id = d.id
         WHERE d.id = ?`,
      ),
      deviceName: db.prepare('SELECT name FROM devices WHERE id = ?'),
      activeKeys: db.prepare<[number], string>('SELECT key FROM alarms_active WHERE device_id = ?').pluck(),
      activeOne: db.prepare(`SELECT ${ALARM_COLUMNS} FROM alarms_active WHERE device_id = ? AND key = ?`),
      insertActive: db.prepare(
        `INSERT INTO alarms_active (${ALARM_COLUMNS})
         VALUES (@device_id, @key, @severity, @code, @description, @raised_at)`,
      ),
      deleteActive: db.prepare('DELETE FROM alarms_active WHERE device_id = ? AND key = ?'),
      appendEvent: db.prepare(
        `INSERT INTO events (device_id, device_name, kind, key, severity, code, description, at, reason)
         VALUES (@device_id, @device_name, @kind, @key, @severity, @code, @description, @at, @reason)`,
      ),
      events: db.prepare('SELECT * FROM events WHERE id > :after AND (:device_id IS NULL OR device_id = :device_id) ORDER BY id LIMIT :limit'),
      eventsOf: db.prepare('SELECT * FROM events WHERE id > :after AND device_id IN (SELECT value FROM json_each(:ids)) ORDER BY id LIMIT :limit'),
      lastEventId: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
    };
    return new AlarmsRepository(statements, transactions(db, statements));
  }

  private constructor(
    private readonly statements: AlarmStatements,
    private readonly tx: AlarmTransactions,
  ) {}

  /** Active alarms, oldest first. */
  active(filter: ActiveAlarmFilter = {}): ActiveAlarm[] {
    return this.statements.active
      .all({ device_id: filter.deviceId ?? null, severity: filter.severity ?? null, since: filter.since ?? null })
      .map(toActive);
  }

  activeForDevice(deviceId: number): ActiveAlarm[] {
    return this.statements.activeForDevice.all(deviceId).map(toActive);
  }

  /**
   * Makes the device's active set what the scan found: raises new keys,
   * clears missing ones and logs each transition, in one transaction. An
   * unchanged scan is only a read: it takes no write lock and changes no row.
   */
  applyScan(deviceId: number, scanned: readonly Alarm[], at: number): AppliedScan {
    if (this.unchanged(deviceId, scanned)) return { raised: [], cleared: [] };
    // The write re-reads and diffs under the write lock: what was read above may be stale by now.
    return this.tx.applyScan.immediate(deviceId, scanned, at);
  }

  /**
   * The hot path of every scan: true when the scan's keys are exactly the
   * active keys, i.e. when diffAlarms would find nothing. Reads keys only.
   */
  private unchanged(deviceId: number, scanned: readonly Alarm[]): boolean {
    const active = new Set(this.statements.activeKeys.all(deviceId));
    if (active.size === 0 && this.statements.deviceName.get(deviceId) === undefined) throw unknownDevice(deviceId);
    const seen = new Set<string>();
    for (const alarm of scanned) {
      if (!active.has(alarm.key)) return false;
      seen.add(alarm.key);
    }
    return seen.size === active.size;
  }

  /** Raises one alarm unless it is already active; the event, or undefined if nothing changed. */
  raise(deviceId: number, alarm: Alarm, at: number): AlarmEvent | undefined {
    // Already active (so the device exists): answered without taking the write lock.
    if (this.statements.activeOne.get(deviceId, alarm.key)) return undefined;
    return this.tx.raise.immediate(deviceId, alarm, at);
  }

  /** Clears one alarm if it is active; the event, or undefined if nothing changed. */
  clear(deviceId: number, key: string, at: number): AlarmEvent | undefined {
    if (!this.statements.activeOne.get(deviceId, key)) {
      if (this.statements.deviceName.get(deviceId) === undefined) throw unknownDevice(deviceId);
      return undefined;
    }
    return this.tx.clear.immediate(deviceId, key, at);
  }

  /**
   * Ends every active alarm of the device without a scan (it is being removed, or no longer
   * monitored): one clear event each, carrying the reason, in one transaction. Inside a caller's
   * transaction (Store.removeDevice) it is part of that one. Throws for an unknown device.
   */
  clearAll(deviceId: number, ending: AlarmEnding): AlarmEvent[] {
    if (this.statements.activeKeys.all(deviceId).length === 0) {
      if (this.statements.deviceName.get(deviceId) === undefined) throw unknownDevice(deviceId);
      return [];
    }
    return this.tx.clearAll.immediate(deviceId, ending);
  }

  /** Events after `afterId`, oldest first, at most `limit` (capped at EVENTS_PAGE_MAX). */
  events(afterId: number, limit: number, deviceId?: number): AlarmEvent[] {
    checkPage(afterId, limit);
    return this.statements.events.all({ after: afterId, limit: Math.min(limit, EVENTS_PAGE_MAX), device_id: deviceId ?? null }).map(toEvent);
  }

  /** Events of these devices only (e.g. the devices a partner may see), as events() pages them. */
  eventsOf(afterId: number, limit: number, deviceIds: readonly number[]): AlarmEvent[] {
    checkPage(afterId, limit);
    return this.statements.eventsOf.all({ after: afterId, limit: Math.min(limit, EVENTS_PAGE_MAX), ids: JSON.stringify(deviceIds) }).map(toEvent);
  }

  /** The id of the newest event ever written (0 if none); ids are never reused. */
  lastEventId(): number {
    return this.statements.lastEventId.get()?.seq ?? 0;
  }
}

function checkPage(afterId: number, limit: number): void {
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new Error(`events: afterId must be a non-negative integer, got ${String(afterId)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(`events: limit must be a positive integer, got ${String(limit)}`);
  }
}

function transactions(db: Database.Database, s: AlarmStatements): AlarmTransactions {
  const append = (params: EventParams): AlarmEvent => {
    const id = Number(s.appendEvent.run(params).lastInsertRowid);
    return toEvent({ id, ...params });
  };
  const raiseOne = (deviceId: number, deviceName: string, alarm: Alarm, at: number): AlarmEvent => {
    const { key, severity, code, description } = alarm;
    s.insertActive.run({ device_id: deviceId, key, severity, code, description, raised_at: at });
    return append({ device_id: deviceId, device_name: deviceName, kind: 'raise', key, severity, code, description, at, reason: null });
  };
  const clearOne = (deviceName: string, alarm: ActiveAlarm, at: number, reason: ClearReason | null = null): AlarmEvent => {
    const { deviceId, key, severity, code, description } = alarm;
    s.deleteActive.run(deviceId, key);
    return append({ device_id: deviceId, device_name: deviceName, kind: 'clear', key, severity, code, description, at, reason });
  };

  return {
    applyScan: db.transaction((deviceId: number, scanned: readonly Alarm[], at: number): AppliedScan => {
      const { name, active } = readDevice(s, deviceId);
      const diff = diffAlarms(active, scanned);
      return {
        raised: diff.raised.map((alarm) => raiseOne(deviceId, name, alarm, at)),
        cleared: diff.cleared.map((alarm) => clearOne(name, alarm, at)),
      };
    }),
    raise: db.transaction((deviceId: number, alarm: Alarm, at: number): AlarmEvent | undefined => {
      const name = s.deviceName.get(deviceId)?.name;
      if (name === undefined) throw unknownDevice(deviceId);
      if (s.activeOne.get(deviceId, alarm.key)) return undefined;
      return raiseOne(deviceId, name, alarm, at);
    }),
    clear: db.transaction((deviceId: number, key: string, at: number): AlarmEvent | undefined => {
      const name = s.deviceName.get(deviceId)?.name;
      if (name === undefined) throw unknownDevice(deviceId);
      const row = s.activeOne.get(deviceId, key);
      return row && clearOne(name, toActive(row), at);
    }),
    clearAll: db.transaction((deviceId: number, ending: AlarmEnding): AlarmEvent[] => {
      const { name, active } = readDevice(s, deviceId);
      return active.map((alarm) => clearOne(name, alarm, ending.at, ending.reason));
    }),
  };
}

function readDevice(s: AlarmStatements, deviceId: number): { name: string; active: ActiveAlarm[] } {
  const rows = s.deviceWithActive.all(deviceId);
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

function toActive(row: ActiveRow): ActiveAlarm {
  return {
    deviceId: row.device_id,
    key: row.key,
    severity: row.severity,
    code: row.code,
    description: row.description,
    raisedAt: row.raised_at,
  };
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
  };
}
