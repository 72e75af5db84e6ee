import type { Sqlite as Database } from '../store/database.js';
import { openDatabase } from '../store/database.js';
import { type Edition, hex8, issueKey, passcodeDigest, passcodeSerial, type IssueKeyRequest, type LicenseKey } from './key.js';

// 'prlg': marks the file as a ledger, so a daemon database given by mistake is refused.
const LEDGER_APPLICATION_ID = 0x70726c67;

/** The ledger's schema history, oldest first; append, never edit. */
export const LEDGER_MIGRATIONS: readonly string[] = [
  `
  PRAGMA application_id = ${LEDGER_APPLICATION_ID};

  -- One row per redeemed passcode. The passcode itself is never stored: only its
  -- SHA-256 (and the serial, its first 4 bytes). The key is kept so a lost key can
  -- be sent again: it is bound to one MAC, so it is not a bearer secret.
  CREATE TABLE redemptions (
    id              INTEGER PRIMARY KEY,
    passcode_sha256 TEXT NOT NULL UNIQUE,
    serial          INTEGER NOT NULL UNIQUE,
    mac             TEXT NOT NULL,
    nodes           INTEGER NOT NULL,
    edition         TEXT NOT NULL,
    issue_day       INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL,
    fingerprint     TEXT NOT NULL,
    key_text        TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- Installations registered: one row per System ID, numbered. A reassociation moves a
  -- registration to a new System ID (the installation lost its database): the new row names the
  -- System ID it replaces, the old row its successor. The code is kept so it can be sent again.
  CREATE TABLE registrations (
    number             INTEGER PRIMARY KEY,
    system_id          TEXT NOT NULL UNIQUE,
    key_fingerprint    TEXT NOT NULL,
    mac                TEXT,
    nodes              INTEGER NOT NULL,
    version            TEXT NOT NULL,
    integrator         TEXT NOT NULL,
    owner              TEXT NOT NULL,
    previous_system_id TEXT,
    superseded_by      TEXT,
    issued_at          INTEGER NOT NULL,
    code_text          TEXT NOT NULL
  ) STRICT;
  `,
];

/** Opens (creating and migrating if needed) a ledger file; refuses a file that is not one. */
export function openLedger(path: string): Database.Database {
  const db = openDatabase(path, { migrations: LEDGER_MIGRATIONS });
  if (db.pragma('application_id', { simple: true }) !== LEDGER_APPLICATION_ID) {
    db.close();
    throw new Error(`${path} is not a priscan license ledger (is it the daemon's database?)`);
  }
  return db;
}

/** One passcode's redemption, as the ledger recorded it. */
export interface Redemption {
  serial: number;
  serialHex: string;
  mac: string;
  nodes: number;
  edition: Edition;
  issueDay: number;
  /** Epoch milliseconds. */
  issuedAt: number;
  fingerprint: string;
  key: string;
}

export type LedgerRefusal = 'ALREADY_REDEEMED' | 'SERIAL_COLLISION';

/** The ledger refuses to issue; `redemption` is the earlier one in the way. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    readonly reason: LedgerRefusal,
    message: string,
    readonly redemption: Redemption,
  ) {
    super(message);
  }
}

interface RedemptionRow {
  serial: number;
  mac: string;
  nodes: number;
  edition: Edition;
  issue_day: number;
  issued_at: number;
  fingerprint: string;
  key_text: string;
}

interface LedgerStatements {
  byDigest: Database.Statement<[string], RedemptionRow>;
  bySerial: Database.Statement<[number], RedemptionRow>;
  list: Database.Statement<[], RedemptionRow>;
  insert: Database.Statement<[RedemptionRow & { passcode_sha256: string }]>;
}

type RedeemTx = Database.Transaction<(passcode: string, issue: () => LicenseKey) => Redeemed>;

export interface Redeemed {
  license: LicenseKey;
  redemption: Redemption;
}

/**
 * The license authority's record of redeemed passcodes, in its own SQLite file
 * (not the daemon's database): one passcode, one key.
 */
export class RedemptionLedger {
  /** Opens (creating if needed) the ledger at `path`; ':memory:' for tests. */
  static open(path: string, clock: { now(): number }): RedemptionLedger {
    const db = openLedger(path);
    try {
      const statements: LedgerStatements = {
        byDigest: db.prepare('SELECT * FROM redemptions WHERE passcode_sha256 = ?'),
        bySerial: db.prepare('SELECT * FROM redemptions WHERE serial = ?'),
        list: db.prepare('SELECT * FROM redemptions ORDER BY id'),
        insert: db.prepare(
          `INSERT INTO redemptions (passcode_sha256, serial, mac, nodes, edition, issue_day, issued_at, fingerprint, key_text)
           VALUES (@passcode_sha256, @serial, @mac, @nodes, @edition, @issue_day, @issued_at, @fingerprint, @key_text)`,
        ),
      };
      const redeem = db.transaction((passcode: string, issue: () => LicenseKey): Redeemed => {
        const digest = passcodeDigest(passcode).toString('hex');
        const earlier = statements.byDigest.get(digest);
        if (earlier) throw alreadyRedeemed(toRedemption(earlier));
        const clash = statements.bySerial.get(passcodeSerial(passcode));
        if (clash) throw serialCollision(toRedemption(clash));
        const license = issue();
        const row: RedemptionRow = {
          serial: license.serial,
          mac: license.mac,
          nodes: license.nodes,
          edition: license.edition,
          issue_day: license.issueDay,
          issued_at: clock.now(),
          fingerprint: license.fingerprint,
          key_text: license.key,
        };
        statements.insert.run({ ...row, passcode_sha256: digest });
        return { license, redemption: toRedemption(row) };
      });
      return new RedemptionLedger(db, statements, redeem);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(
    private readonly db: Database.Database,
    private readonly statements: LedgerStatements,
    private readonly redeemTx: RedeemTx,
  ) {}

  /** The redemption of this passcode, if it was redeemed. */
  find(passcode: string): Redemption | undefined {
    const row = this.statements.byDigest.get(passcodeDigest(passcode).toString('hex'));
    return row && toRedemption(row);
  }

  /** The redemption behind a key's serial (readKeyClaims gives it): tells which MAC a key was made for. */
  findBySerial(serial: number): Redemption | undefined {
    const row = this.statements.bySerial.get(serial);
    return row && toRedemption(row);
  }

  list(): Redemption[] {
    return this.statements.list.all().map(toRedemption);
  }

  /**
   * Records the passcode's redemption and makes its key with `issue`, in one
   * IMMEDIATE transaction: two issuers cannot both redeem one passcode. Throws
   * LedgerError if it was redeemed, or its serial is taken by another passcode.
   */
  redeem(passcode: string, issue: () => LicenseKey): Redeemed {
    return this.redeemTx.immediate(passcode, issue);
  }

  /** Closes the file; safe to call twice. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

export type LedgerIssueRequest = IssueKeyRequest & { ledger: RedemptionLedger };

/** Issues a key and records the passcode's redemption, atomically (see RedemptionLedger.redeem). */
export function issueFromLedger(request: LedgerIssueRequest): Redeemed {
  const { ledger, ...issue } = request;
  return ledger.redeem(issue.passcode, () => issueKey(issue));
}

function alreadyRedeemed(earlier: Redemption): LedgerError {
  return new LedgerError(
    'ALREADY_REDEEMED',
    `this passcode was already redeemed on ${when(earlier.issuedAt)} for MAC ${earlier.mac} ` +
      `(${earlier.nodes} nodes, key ${earlier.fingerprint}, serial ${earlier.serialHex}): one passcode makes one key. ` +
      'If that key was lost, send the recorded one again; for another server, a new passcode is needed',
    earlier,
  );
}

function serialCollision(other: Redemption): LedgerError {
  return new LedgerError(
    'SERIAL_COLLISION',
    `this passcode's serial ${other.serialHex} is already used by another passcode (redeemed on ${when(other.issuedAt)} ` +
      `for MAC ${other.mac}); installations refuse two keys with one serial: give the customer a new passcode`,
    other,
  );
}

function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function toRedemption(row: RedemptionRow): Redemption {
  return {
    serial: row.serial,
    serialHex: hex8(row.serial),
    mac: row.mac,
    nodes: row.nodes,
    edition: row.edition,
    issueDay: row.issue_day,
    issuedAt: row.issued_at,
    fingerprint: row.fingerprint,
    key: row.key_text,
  };
}
