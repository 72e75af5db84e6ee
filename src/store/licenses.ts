import type Database from 'better-sqlite3';

/** A verified key to install (licensing's LicenseKey fits this shape). */
export interface NewLicense {
  /** The canonical key text. */
  key: string;
  fingerprint: string;
  serial: number;
  nodes: number;
  edition: string;
  issueDay: number;
  mac: string;
}

/** An installed key as listings show it: never the key text. */
export interface InstalledLicense {
  id: number;
  fingerprint: string;
  serial: number;
  serialHex: string;
  nodes: number;
  edition: string;
  issueDay: number;
  mac: string;
  installedAt: number;
}

/** A key with the same serial (one passcode, one key) is already installed. */
export class LicenseAlreadyInstalledError extends Error {
  override readonly name = 'LicenseAlreadyInstalledError';

  constructor(readonly installed: InstalledLicense) {
    super(
      `a license key with serial ${installed.serialHex} is already installed (fingerprint ${installed.fingerprint}, ` +
        `${installed.nodes} nodes, since ${new Date(installed.installedAt).toISOString()}): one passcode makes one key; ` +
        `to replace it, remove ${installed.fingerprint} first`,
    );
  }
}

interface LicenseRow {
  id: number;
  key_text: string;
  fingerprint: string;
  serial: number;
  nodes: number;
  edition: string;
  issue_day: number;
  mac: string;
  installed_at: number;
}

type InsertParams = Omit<LicenseRow, 'id'>;

interface LicenseStatements {
  list: Database.Statement<[], LicenseRow>;
  get: Database.Statement<[number], LicenseRow>;
  getByFingerprint: Database.Statement<[string], LicenseRow>;
  getBySerial: Database.Statement<[number], LicenseRow>;
  insert: Database.Statement<[InsertParams]>;
  delete: Database.Statement<[number]>;
  totals: Database.Statement<[], { keys: number; nodes: number }>;
}

type AddTx = Database.Transaction<(license: NewLicense) => InstalledLicense>;

/** The license keys installed on this server. */
export class LicensesRepository {
  static prepare(db: Database.Database, clock: { now(): number }): LicensesRepository {
    const statements: LicenseStatements = {
      list: db.prepare('SELECT * FROM licenses ORDER BY id'),
      get: db.prepare('SELECT * FROM licenses WHERE id = ?'),
      getByFingerprint: db.prepare('SELECT * FROM licenses WHERE fingerprint = ?'),
      getBySerial: db.prepare('SELECT * FROM licenses WHERE serial = ?'),
      insert: db.prepare(
        `INSERT INTO licenses (key_text, fingerprint, serial, nodes, edition, issue_day, mac, installed_at)
         VALUES (@key_text, @fingerprint, @serial, @nodes, @edition, @issue_day, @mac, @installed_at)`,
      ),
      delete: db.prepare('DELETE FROM licenses WHERE id = ?'),
      totals: db.prepare('SELECT count(*) AS keys, coalesce(sum(nodes), 0) AS nodes FROM licenses'),
    };
    const add = db.transaction((license: NewLicense): InstalledLicense => {
      const installed = statements.getBySerial.get(license.serial);
      if (installed) throw new LicenseAlreadyInstalledError(toInstalled(installed));
      const result = statements.insert.run({
        key_text: license.key,
        fingerprint: license.fingerprint,
        serial: license.serial,
        nodes: license.nodes,
        edition: license.edition,
        issue_day: license.issueDay,
        mac: license.mac,
        installed_at: clock.now(),
      });
      return toInstalled(statements.get.get(Number(result.lastInsertRowid)) as LicenseRow);
    });
    return new LicensesRepository(statements, add);
  }

  private constructor(
    private readonly statements: LicenseStatements,
    private readonly addTx: AddTx,
  ) {}

  /** Installs a verified key; throws LicenseAlreadyInstalledError if its serial is installed. */
  add(license: NewLicense): InstalledLicense {
    return this.addTx.immediate(license);
  }

  /** Installed keys, oldest first, without their text. */
  list(): InstalledLicense[] {
    return this.statements.list.all().map(toInstalled);
  }

  /** Installed keys with their text, to re-verify them (e.g. at start, against the current MAC). */
  keys(): { id: number; fingerprint: string; key: string }[] {
    return this.statements.list.all().map((row) => ({ id: row.id, fingerprint: row.fingerprint, key: row.key_text }));
  }

  /** An installed key by its fingerprint (any case) or, for a number, its id. */
  find(ref: string | number): InstalledLicense | undefined {
    const row = this.lookup(ref);
    return row && toInstalled(row);
  }

  /** Removes a key by fingerprint or id; returns what was removed, undefined if nothing matched. */
  remove(ref: string | number): InstalledLicense | undefined {
    const row = this.lookup(ref);
    if (!row || this.statements.delete.run(row.id).changes === 0) return undefined;
    return toInstalled(row);
  }

  /** How many keys are installed and the nodes they grant (without the included allowance). */
  totals(): { keys: number; nodes: number } {
    return this.statements.totals.get() ?? { keys: 0, nodes: 0 };
  }

  private lookup(ref: string | number): LicenseRow | undefined {
    if (typeof ref === 'number') return this.statements.get.get(ref);
    const byFingerprint = this.statements.getByFingerprint.get(ref.trim().toLowerCase());
    if (byFingerprint) return byFingerprint;
    // A CLI argument such as "3" may be an id.
    return /^\d+$/.test(ref.trim()) ? this.statements.get.get(Number(ref.trim())) : undefined;
  }
}

function toInstalled(row: LicenseRow): InstalledLicense {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    serial: row.serial,
    serialHex: row.serial.toString(16).padStart(8, '0'),
    nodes: row.nodes,
    edition: row.edition,
    issueDay: row.issue_day,
    mac: row.mac,
    installedAt: row.installed_at,
  };
}
