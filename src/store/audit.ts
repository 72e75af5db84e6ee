import type Database from 'better-sqlite3';

/** Who did it: a partner's token, a customer's token (admin, viewer), or the host's command line. */
export type AuditActorKind = 'partner' | 'admin' | 'viewer' | 'host';

/** One line of the audit log: who, what, when. */
export interface AuditEntry {
  id: number;
  at: number;
  actorKind: AuditActorKind;
  /** The token's name; null for the host's command line. */
  actorToken: string | null;
  /** The partner the entry is about (the actor, or the partner an admin changed): its stored id. */
  partner: number | null;
  /** That partner's Partner ID when the entry was written. */
  partnerId: string | null;
  /** e.g. "GET /api/v1/devices/:id" for a request, "partner.grant" for a change. */
  action: string;
  /** e.g. the path requested, or the grant changed. */
  target: string | null;
  /** The HTTP status answered; null for changes made on the host. */
  status: number | null;
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  after: number;
  limit: number;
  /** Only entries about this partner (its stored id, so a renamed partner keeps its history). */
  partner?: number;
}

/** The most entries one list() returns. */
export const AUDIT_PAGE_MAX = 1000;

/** An audit_log row as stored. */
export interface AuditRow {
  id: number;
  at: number;
  actor_kind: AuditActorKind;
  actor_token: string | null;
  partner: number | null;
  partner_id: string | null;
  action: string;
  target: string | null;
  status: number | null;
  detail: string | null;
}

/** What a backend runs for the audit log: one method per statement. */
export interface AuditStatements {
  /** The new entry's id. */
  append(row: Omit<AuditRow, 'id'>): number;
  list(query: { after: number; limit: number; partner: number | null }): AuditRow[];
}

/** The append-only audit log. */
export class AuditRepository {
  constructor(private readonly deps: { statements: AuditStatements }) {}

  append(entry: NewAuditEntry): AuditEntry {
    const row: Omit<AuditRow, 'id'> = {
      at: entry.at,
      actor_kind: entry.actorKind,
      actor_token: entry.actorToken,
      partner: entry.partner,
      partner_id: entry.partnerId,
      action: entry.action,
      target: entry.target,
      status: entry.status,
      detail: entry.detail,
    };
    return { id: this.deps.statements.append(row), ...entry };
  }

  /** Entries after `after`, oldest first, at most `limit` (capped at AUDIT_PAGE_MAX). */
  list(query: AuditQuery): AuditEntry[] {
    const limit = Math.max(1, Math.min(query.limit, AUDIT_PAGE_MAX));
    return this.deps.statements.list({ after: query.after, limit, partner: query.partner ?? null }).map(toEntry);
  }
}

export function sqliteAuditStatements(db: Database.Database): AuditStatements {
  const append = db.prepare<[Omit<AuditRow, 'id'>]>(
    `INSERT INTO audit_log (at, actor_kind, actor_token, partner, partner_id, action, target, status, detail)
     VALUES (@at, @actor_kind, @actor_token, @partner, @partner_id, @action, @target, @status, @detail)`,
  );
  const list = db.prepare<[{ after: number; limit: number; partner: number | null }], AuditRow>(
    'SELECT * FROM audit_log WHERE id > @after AND (@partner IS NULL OR partner = @partner) ORDER BY id LIMIT @limit',
  );
  return {
    append: (row) => Number(append.run(row).lastInsertRowid),
    list: (query) => list.all(query),
  };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actorKind: row.actor_kind,
    actorToken: row.actor_token,
    partner: row.partner,
    partnerId: row.partner_id,
    action: row.action,
    target: row.target,
    status: row.status,
    detail: row.detail,
  };
}
