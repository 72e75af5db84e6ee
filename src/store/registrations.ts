import type Database from 'better-sqlite3';

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

interface RegistrationRow {
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

interface RegistrationStatements {
  insert: Database.Statement<[Omit<RegistrationRow, 'id'>]>;
  byCode: Database.Statement<[string], RegistrationRow>;
  latest: Database.Statement<[string], RegistrationRow>;
  list: Database.Statement<[], RegistrationRow>;
}

/** Registration codes applied to this installation, oldest first. */
export class RegistrationsRepository {
  static prepare(db: Database.Database, clock: { now(): number }): RegistrationsRepository {
    return new RegistrationsRepository(
      {
        insert: db.prepare(
          `INSERT INTO registrations (kind, system_id, number, integrator, owner, previous_system_id, issue_day, code_text, applied_at)
           VALUES (@kind, @system_id, @number, @integrator, @owner, @previous_system_id, @issue_day, @code_text, @applied_at)`,
        ),
        byCode: db.prepare('SELECT * FROM registrations WHERE code_text = ?'),
        latest: db.prepare('SELECT * FROM registrations WHERE system_id = ? ORDER BY id DESC LIMIT 1'),
        list: db.prepare('SELECT * FROM registrations ORDER BY id'),
      },
      clock,
    );
  }

  private constructor(
    private readonly statements: RegistrationStatements,
    private readonly clock: { now(): number },
  ) {}

  /** Stores an applied code; throws RegistrationAppliedError if it was applied before. */
  add(registration: NewRegistration): StoredRegistration {
    const earlier = this.statements.byCode.get(registration.code);
    if (earlier) throw new RegistrationAppliedError(toStored(earlier));
    const row: Omit<RegistrationRow, 'id'> = {
      kind: registration.kind,
      system_id: registration.systemId,
      number: registration.number,
      integrator: registration.integrator,
      owner: registration.owner,
      previous_system_id: registration.previousSystemId,
      issue_day: registration.issueDay,
      code_text: registration.code,
      applied_at: this.clock.now(),
    };
    const id = Number(this.statements.insert.run(row).lastInsertRowid);
    return toStored({ id, ...row });
  }

  /** The registration of this System ID: the newest code applied for it. */
  current(systemId: string): StoredRegistration | undefined {
    const row = this.statements.latest.get(systemId);
    return row && toStored(row);
  }

  list(): StoredRegistration[] {
    return this.statements.list.all().map(toStored);
  }
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
