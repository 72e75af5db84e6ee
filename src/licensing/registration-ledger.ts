import type { Sqlite as Database } from '../store/database.js';
import type { IssuerSecret } from './issuer-secret.js';
import { openLedger } from './ledger.js';
import { issueRegistrationCode, type RegistrationCode } from './registration-code.js';
import { displaySystemId } from './registration-format.js';
import type { RegistrationRequest } from './registration-request.js';

/** One installation's registration as the license authority recorded it. */
export interface LedgerRegistration {
  number: number;
  systemId: string;
  keyFingerprint: string;
  mac: string | null;
  nodes: number;
  version: string;
  integrator: string;
  owner: string;
  previousSystemId: string | null;
  /** Set once a reassociation moved this registration to another System ID. */
  supersededBy: string | null;
  issuedAt: number;
  code: string;
}

export type RegistrationRefusal = 'ALREADY_REGISTERED' | 'NOT_REGISTERED' | 'ALREADY_MOVED' | 'SAME_SYSTEM';

/** The ledger refuses to issue; the message says why and what to do instead. */
export class RegistrationLedgerError extends Error {
  override readonly name = 'RegistrationLedgerError';

  constructor(
    readonly reason: RegistrationRefusal,
    message: string,
  ) {
    super(message);
  }
}

interface Row {
  number: number;
  system_id: string;
  key_fingerprint: string;
  mac: string | null;
  nodes: number;
  version: string;
  integrator: string;
  owner: string;
  previous_system_id: string | null;
  superseded_by: string | null;
  issued_at: number;
  code_text: string;
}

interface Statements {
  bySystemId: Database.Statement<[string], Row>;
  list: Database.Statement<[], Row>;
  insert: Database.Statement<[Omit<Row, 'number' | 'superseded_by'>]>;
  setCode: Database.Statement<[string, number]>;
  supersede: Database.Statement<[string, string]>;
}

export interface IssueRegistration {
  secret: IssuerSecret;
  request: RegistrationRequest;
  integrator: string;
  owner: string;
  issuedOn: Date;
}

/**
 * The license authority's record of registered installations, in the same ledger file as redeemed
 * passcodes: one registration per System ID, with exactly one integrator and one end-user owner.
 */
export class RegistrationLedger {
  static open(path: string, clock: { now(): number }): RegistrationLedger {
    const db = openLedger(path);
    try {
      return new RegistrationLedger(
        db,
        {
          bySystemId: db.prepare('SELECT * FROM registrations WHERE system_id = ?'),
          list: db.prepare('SELECT * FROM registrations ORDER BY number'),
          insert: db.prepare(
            `INSERT INTO registrations (system_id, key_fingerprint, mac, nodes, version, integrator, owner, previous_system_id, issued_at, code_text)
             VALUES (@system_id, @key_fingerprint, @mac, @nodes, @version, @integrator, @owner, @previous_system_id, @issued_at, @code_text)`,
          ),
          setCode: db.prepare('UPDATE registrations SET code_text = ? WHERE number = ?'),
          supersede: db.prepare('UPDATE registrations SET superseded_by = ? WHERE system_id = ?'),
        },
        clock,
      );
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly statements: Statements,
    private readonly clock: { now(): number },
  ) {}

  find(systemId: string): LedgerRegistration | undefined {
    const row = this.statements.bySystemId.get(systemId);
    return row && toRegistration(row);
  }

  list(): LedgerRegistration[] {
    return this.statements.list.all().map(toRegistration);
  }

  /** Registers a new installation and makes its code, in one transaction. */
  register(issue: IssueRegistration): RegistrationCode {
    return this.db.transaction(() => {
      this.refuseRegistered(issue.request.systemId);
      return this.record(issue, null);
    }).immediate();
  }

  /**
   * Moves the registration of `previousSystemId` (an installation that lost its database) to the
   * request's new System ID, with the same integrator and owner, and makes the reassociation code.
   */
  reassociate(previousSystemId: string, issue: Omit<IssueRegistration, 'integrator' | 'owner'>): RegistrationCode {
    return this.db.transaction(() => {
      const old = this.find(previousSystemId);
      const next = issue.request.systemId;
      if (!old) {
        throw new RegistrationLedgerError('NOT_REGISTERED', `System ID ${displaySystemId(previousSystemId)} has no registration in this ledger: check the ID, or register the installation anew`);
      }
      if (old.supersededBy !== null) {
        throw new RegistrationLedgerError(
          'ALREADY_MOVED',
          `the registration of ${displaySystemId(previousSystemId)} (number ${old.number}) was already moved to System ID ${displaySystemId(old.supersededBy)}: reassociate from that one`,
        );
      }
      if (next === previousSystemId) {
        throw new RegistrationLedgerError('SAME_SYSTEM', `the request is from System ID ${displaySystemId(next)} itself: nothing to reassociate (it is registered already)`);
      }
      this.refuseRegistered(next);
      const code = this.record({ ...issue, integrator: old.integrator, owner: old.owner }, previousSystemId);
      this.statements.supersede.run(next, previousSystemId);
      return code;
    }).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private refuseRegistered(systemId: string): void {
    const earlier = this.find(systemId);
    if (!earlier) return;
    throw new RegistrationLedgerError(
      'ALREADY_REGISTERED',
      `System ID ${displaySystemId(systemId)} was registered on ${new Date(earlier.issuedAt).toISOString().slice(0, 10)} as number ${earlier.number} ` +
        `(integrator ${JSON.stringify(earlier.integrator)}, owner ${JSON.stringify(earlier.owner)}): one integrator and one owner per registration. ` +
        `Its code was:\n${earlier.code}`,
    );
  }

  private record(issue: IssueRegistration, previousSystemId: string | null): RegistrationCode {
    const { request } = issue;
    const number = Number(
      this.statements.insert.run({
        system_id: request.systemId,
        key_fingerprint: request.keyFingerprint,
        mac: request.mac,
        nodes: request.licensedNodes,
        version: request.version,
        integrator: issue.integrator.trim(),
        owner: issue.owner.trim(),
        previous_system_id: previousSystemId,
        issued_at: this.clock.now(),
        code_text: '',
      }).lastInsertRowid,
    );
    const code = issueRegistrationCode({ ...issue, number, ...(previousSystemId === null ? {} : { previousSystemId }) });
    this.statements.setCode.run(code.display, number);
    return code;
  }
}

function toRegistration(row: Row): LedgerRegistration {
  return {
    number: row.number,
    systemId: row.system_id,
    keyFingerprint: row.key_fingerprint,
    mac: row.mac,
    nodes: row.nodes,
    version: row.version,
    integrator: row.integrator,
    owner: row.owner,
    previousSystemId: row.previous_system_id,
    supersededBy: row.superseded_by,
    issuedAt: row.issued_at,
    code: row.code_text,
  };
}
