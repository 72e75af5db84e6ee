import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';

export type RegistrationKind = 'registration' | 'reassociation';

/** A registration code as applied: what it says, verified before it was stored. */
export interface NewRegistration {
  kind: RegistrationKind;
  systemId: string;
  /** The license authority's number for this registration. */
  number: number;
  integrator: string;
  owner: string;
  /** Reassociation: the System ID this installation replaces. */
  previousSystemId: string | null;
  issueDay: number;
  /** The canonical code text (not a secret: it is bound to one System ID). */
  code: string;
}

export interface StoredRegistration extends NewRegistration {
  id: number;
  appliedAt: number;
}

/** This code was applied before. */
export class RegistrationAppliedError extends Error {
  override readonly name = 'RegistrationAppliedError';

  constructor(readonly earlier: StoredRegistration) {
    super(`this code was already applied on ${new Date(earlier.appliedAt).toISOString()} (registration ${earlier.number})`);
  }
}

/** A registrations row as stored. */
export interface RegistrationRow {
  id: number;
  kind: RegistrationKind;
  system_id: string;
  number: number;
  integrator: string;
  owner: string;
  previous_system_id: string | null;
  issue_day: number;
  code_text: string;
  applied_at: number;
}

/** What a backend runs for the registrations: one method per statement. */
export interface RegistrationStatements {
  /** The new row's id. */
  insert(row: Omit<RegistrationRow, 'id'>): number;
  byCode(code: string): RegistrationRow | undefined;
  /** The newest of a System ID. */
  latest(systemId: string): RegistrationRow | undefined;
  list(): RegistrationRow[];
}

/** Registration codes applied to this installation, oldest first. */
export class RegistrationsRepository {
  constructor(private readonly deps: { statements: RegistrationStatements; session: StoreSession; clock: { now(): number } }) {}

  /** Stores an applied code; throws RegistrationAppliedError if it was applied before. */
  add(registration: NewRegistration): StoredRegistration {
    const { statements, session, clock } = this.deps;
    const row: Omit<RegistrationRow, 'id'> = {
      kind: registration.kind,
      system_id: registration.systemId,
      number: registration.number,
      integrator: registration.integrator,
      owner: registration.owner,
      previous_system_id: registration.previousSystemId,
      issue_day: registration.issueDay,
      code_text: registration.code,
      applied_at: clock.now(),
    };
    try {
      return session.write(() => {
        this.refuseApplied(registration.code);
        return toStored({ id: statements.insert(row), ...row });
      });
    } catch (error) {
      // Another writer applied it between the check and the insert.
      if (session.uniqueViolation(error) === 'registrations.code_text') this.refuseApplied(registration.code);
      throw error;
    }
  }

  /** The registration of this System ID: the newest code applied for it. */
  current(systemId: string): StoredRegistration | undefined {
    const row = this.deps.statements.latest(systemId);
    return row && toStored(row);
  }

  list(): StoredRegistration[] {
    return this.deps.statements.list().map(toStored);
  }

  private refuseApplied(code: string): void {
    const earlier = this.deps.statements.byCode(code);
    if (earlier) throw new RegistrationAppliedError(toStored(earlier));
  }
}

export function sqliteRegistrationStatements(db: Database.Database): RegistrationStatements {
  const insert = db.prepare<[Omit<RegistrationRow, 'id'>]>(
    `INSERT INTO registrations (kind, system_id, number, integrator, owner, previous_system_id, issue_day, code_text, applied_at)
     VALUES (@kind, @system_id, @number, @integrator, @owner, @previous_system_id, @issue_day, @code_text, @applied_at)`,
  );
  const byCode = db.prepare<[string], RegistrationRow>('SELECT * FROM registrations WHERE code_text = ?');
  const latest = db.prepare<[string], RegistrationRow>('SELECT * FROM registrations WHERE system_id = ? ORDER BY id DESC LIMIT 1');
  const list = db.prepare<[], RegistrationRow>('SELECT * FROM registrations ORDER BY id');
  return {
    insert: (row) => Number(insert.run(row).lastInsertRowid),
    byCode: (code) => byCode.get(code),
    latest: (systemId) => latest.get(systemId),
    list: () => list.all(),
  };
}

function toStored(row: RegistrationRow): StoredRegistration {
  return {
    id: row.id,
    kind: row.kind,
    systemId: row.system_id,
    number: row.number,
    integrator: row.integrator,
    owner: row.owner,
    previousSystemId: row.previous_system_id,
    issueDay: row.issue_day,
    code: row.code_text,
    appliedAt: row.applied_at,
  };
}
