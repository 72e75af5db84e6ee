import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';

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

/** A licenses row as stored. */
export interface LicenseRow {
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

/** What a backend runs for the licenses: one method per statement. */
export interface LicenseStatements {
  list(): LicenseRow[];
  get(id: number): LicenseRow | undefined;
  getByFingerprint(fingerprint: string): LicenseRow | undefined;
  getBySerial(serial: number): LicenseRow | undefined;
  /** The new row's id. */
  insert(params: Omit<LicenseRow, 'id'>): number;
  delete(id: number): boolean;
  totals(): { keys: number; nodes: number };
}

/** The license keys installed on this server. */
export class LicensesRepository {
  constructor(private readonly deps: { statements: LicenseStatements; session: StoreSession; clock: { now(): number } }) {}

  /** Installs a verified key; throws LicenseAlreadyInstalledError if its serial is installed. */
  add(license: NewLicense): InstalledLicense {
    const { statements, session, clock } = this.deps;
    try {
      return session.write(() => {
        this.refuseInstalled(license.serial);
        const id = statements.insert({
          key_text: license.key,
          fingerprint: license.fingerprint,
          serial: license.serial,
          nodes: license.nodes,
          edition: license.edition,
          issue_day: license.issueDay,
          mac: license.mac,
          installed_at: clock.now(),
        });
        return toInstalled(statements.get(id) as LicenseRow);
      });
    } catch (error) {
      // Another writer installed it between the check and the insert.
      if (session.uniqueViolation(error) === 'licenses.serial') this.refuseInstalled(license.serial);
      throw error;
    }
  }

  /** Installed keys, oldest first, without their text. */
  list(): InstalledLicense[] {
    return this.deps.statements.list().map(toInstalled);
  }

  /** Installed keys with their text, to re-verify them (e.g. at start, against the current MAC). */
  keys(): { id: number; fingerprint: string; key: string }[] {
    return this.deps.statements.list().map((row) => ({ id: row.id, fingerprint: row.fingerprint, key: row.key_text }));
  }

  /** An installed key by its fingerprint (any case) or, for a number, its id. */
  find(ref: string | number): InstalledLicense | undefined {
    const row = this.lookup(ref);
    return row && toInstalled(row);
  }

  /** Removes a key by fingerprint or id; returns what was removed, undefined if nothing matched. */
  remove(ref: string | number): InstalledLicense | undefined {
    const row = this.lookup(ref);
    if (!row || !this.deps.statements.delete(row.id)) return undefined;
    return toInstalled(row);
  }

  /** How many keys are installed and the nodes they grant (without the included allowance). */
  totals(): { keys: number; nodes: number } {
    return this.deps.statements.totals();
  }

  private refuseInstalled(serial: number): void {
    const installed = this.deps.statements.getBySerial(serial);
    if (installed) throw new LicenseAlreadyInstalledError(toInstalled(installed));
  }

  private lookup(ref: string | number): LicenseRow | undefined {
    const { statements } = this.deps;
    if (typeof ref === 'number') return statements.get(ref);
    const byFingerprint = statements.getByFingerprint(ref.trim().toLowerCase());
    if (byFingerprint) return byFingerprint;
    // A CLI argument such as "3" may be an id.
    return /^\d+$/.test(ref.trim()) ? statements.get(Number(ref.trim())) : undefined;
  }
}

export function sqliteLicenseStatements(db: Database.Database): LicenseStatements {
  const list = db.prepare<[], LicenseRow>('SELECT * FROM licenses ORDER BY id');
  const get = db.prepare<[number], LicenseRow>('SELECT * FROM licenses WHERE id = ?');
  const getByFingerprint = db.prepare<[string], LicenseRow>('SELECT * FROM licenses WHERE fingerprint = ?');
  const getBySerial = db.prepare<[number], LicenseRow>('SELECT * FROM licenses WHERE serial = ?');
  const insert = db.prepare<[Omit<LicenseRow, 'id'>]>(
    `INSERT INTO licenses (key_text, fingerprint, serial, nodes, edition, issue_day, mac, installed_at)
     VALUES (@key_text, @fingerprint, @serial, @nodes, @edition, @issue_day, @mac, @installed_at)`,
  );
  const remove = db.prepare<[number]>('DELETE FROM licenses WHERE id = ?');
  const totals = db.prepare<[], { keys: number; nodes: number }>('SELECT count(*) AS keys, coalesce(sum(nodes), 0) AS nodes FROM licenses');
  return {
    list: () => list.all(),
    get: (id) => get.get(id),
    getByFingerprint: (fingerprint) => getByFingerprint.get(fingerprint),
    getBySerial: (serial) => getBySerial.get(serial),
    insert: (params) => Number(insert.run(params).lastInsertRowid),
    delete: (id) => remove.run(id).changes > 0,
    totals: () => totals.get() ?? { keys: 0, nodes: 0 },
  };
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
