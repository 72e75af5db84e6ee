import type Database from 'better-sqlite3';
import type { PartnerScope } from '../access/scope.js';

/** A partner organisation and the access the customer gave it. */
export interface PartnerRecord {
  /** The stored id tokens refer to; never changes. */
  id: number;
  /** The Partner ID people see and type, e.g. ACME_INC; can change. */
  partnerId: string;
  /** The organisation's name as given. */
  name: string;
  administrator: boolean;
  /** May read device data through the API (devices, alarms, events, the stream). */
  deviceData: boolean;
  scope: PartnerScope;
  /** The partner that tokens of the partner role belong to when they name none. */
  implicit: boolean;
  createdAt: number;
  updatedAt: number;
  /** How many tokens it has. */
  tokens: number;
}

export interface NewPartner {
  partnerId: string;
  name: string;
  administrator: boolean;
  deviceData: boolean;
  scope: PartnerScope;
}

export type PartnerChanges = Partial<NewPartner>;

/** The Partner ID of the implicit partner, when it is first made (it can be renamed like any). */
export const IMPLICIT_PARTNER_ID = 'LEGACY_PARTNER';

/** Another partner already has this Partner ID. */
export class PartnerIdTakenError extends Error {
  override readonly name = 'PartnerIdTakenError';

  constructor(
    readonly partnerId: string,
    readonly holder: string,
  ) {
    super(`the Partner ID ${partnerId} is already used by ${JSON.stringify(holder)}: Partner IDs are unique, choose another (e.g. ${partnerId}_2)`);
  }
}

interface PartnerRow {
  id: number;
  partner_id: string;
  name: string;
  administrator: number;
  device_data: number;
  all_devices: number;
  implicit: number;
  created_at: number;
  updated_at: number;
  tokens: number;
}

type PartnerParams = { partner_id: string; name: string; administrator: number; device_data: number; all_devices: number };

interface PartnerStatements {
  list: Database.Statement<[], PartnerRow>;
  get: Database.Statement<[number], PartnerRow>;
  getByPartnerId: Database.Statement<[string], PartnerRow>;
  implicit: Database.Statement<[], PartnerRow>;
  sites: Database.Statement<[number], string>;
  insert: Database.Statement<[PartnerParams & { at: number; implicit: number }]>;
  update: Database.Statement<[PartnerParams & { id: number; at: number }]>;
  clearSites: Database.Statement<[number]>;
  addSite: Database.Statement<[number, string]>;
  delete: Database.Statement<[number]>;
}

const SELECT = `SELECT p.*, (SELECT COUNT(*) FROM api_tokens t WHERE t.partner = p.id) AS tokens FROM partners p`;

/** Partner organisations, their grants and their scope (sites in a table of their own). */
export class PartnersRepository {
  static prepare(db: Database.Database, clock: { now(): number }): PartnersRepository {
    const statements: PartnerStatements = {
      list: db.prepare(`${SELECT} ORDER BY p.partner_id`),
      get: db.prepare(`${SELECT} WHERE p.id = ?`),
      getByPartnerId: db.prepare(`${SELECT} WHERE p.partner_id = ?`),
      implicit: db.prepare(`${SELECT} WHERE p.implicit = 1`),
      sites: db.prepare<[number], string>('SELECT site FROM partner_sites WHERE partner = ? ORDER BY site').pluck(),
      insert: db.prepare(
        `INSERT INTO partners (partner_id, name, administrator, device_data, all_devices, implicit, created_at, updated_at)
         VALUES (@partner_id, @name, @administrator, @device_data, @all_devices, @implicit, @at, @at)`,
      ),
      update: db.prepare(
        `UPDATE partners SET partner_id = @partner_id, name = @name, administrator = @administrator,
           device_data = @device_data, all_devices = @all_devices, updated_at = @at WHERE id = @id`,
      ),
      clearSites: db.prepare('DELETE FROM partner_sites WHERE partner = ?'),
      addSite: db.prepare('INSERT INTO partner_sites (partner, site) VALUES (?, ?)'),
      delete: db.prepare('DELETE FROM partners WHERE id = ?'),
    };
    return new PartnersRepository(db, statements, clock);
  }

  private readonly createTx: Database.Transaction<(partner: NewPartner, implicit: boolean) => number>;
  private readonly updateTx: Database.Transaction<(id: number, changes: PartnerChanges) => boolean>;

  private constructor(
    db: Database.Database,
    private readonly statements: PartnerStatements,
    private readonly clock: { now(): number },
  ) {
    this.createTx = db.transaction((partner: NewPartner, implicit: boolean) => {
      this.refuseTaken(partner.partnerId);
      const id = Number(this.statements.insert.run({ ...params(partner), at: this.clock.now(), implicit: implicit ? 1 : 0 }).lastInsertRowid);
      this.writeSites(id, partner.scope);
      return id;
    });
    this.updateTx = db.transaction((id: number, changes: PartnerChanges) => {
      const current = this.get(id);
      if (!current) return false;
      if (changes.partnerId !== undefined && changes.partnerId !== current.partnerId) this.refuseTaken(changes.partnerId);
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as PartnerChanges;
      const next = { ...current, ...defined };
      this.statements.update.run({ ...params(next), id, at: this.clock.now() });
      if (changes.scope) this.writeSites(id, changes.scope);
      return true;
    });
  }

  /** Stores a partner; throws PartnerIdTakenError for a Partner ID in use. */
  create(partner: NewPartner): PartnerRecord {
    return this.get(this.createTx.immediate(partner, false))!;
  }

  list(): PartnerRecord[] {
    return this.statements.list.all().map((row) => this.toRecord(row));
  }

  get(id: number): PartnerRecord | undefined {
    const row = this.statements.get.get(id);
    return row && this.toRecord(row);
  }

  getByPartnerId(partnerId: string): PartnerRecord | undefined {
    const row = this.statements.getByPartnerId.get(partnerId);
    return row && this.toRecord(row);
  }

  /**
   * The implicit partner (see PartnerRecord.implicit), made on first use: read-only, all devices,
   * with API device-data access. Runs inside the caller's transaction when there is one.
   */
  implicitPartner(): PartnerRecord {
    const existing = this.statements.implicit.get();
    if (existing) return this.toRecord(existing);
    let partnerId = IMPLICIT_PARTNER_ID;
    for (let n = 2; this.statements.getByPartnerId.get(partnerId); n += 1) partnerId = `${IMPLICIT_PARTNER_ID}_${n}`;
    const partner: NewPartner = { partnerId, name: 'Partner-role tokens without a partner', administrator: false, deviceData: true, scope: { kind: 'all' } };
    return this.get(this.createTx(partner, true))!;
  }

  /** Applies the changes; false if there is no such partner. Throws PartnerIdTakenError for a Partner ID in use. */
  update(id: number, changes: PartnerChanges): PartnerRecord | undefined {
    return this.updateTx.immediate(id, changes) ? this.get(id) : undefined;
  }

  /** Removes a partner and, with it, its tokens; false if there was none. */
  delete(id: number): boolean {
    return this.statements.delete.run(id).changes > 0;
  }

  private refuseTaken(partnerId: string): void {
    const holder = this.statements.getByPartnerId.get(partnerId);
    if (holder) throw new PartnerIdTakenError(partnerId, holder.name);
  }

  private writeSites(id: number, scope: PartnerScope): void {
    this.statements.clearSites.run(id);
    if (scope.kind === 'sites') for (const site of new Set(scope.sites)) this.statements.addSite.run(id, site);
  }

  private toRecord(row: PartnerRow): PartnerRecord {
    return {
      id: row.id,
      partnerId: row.partner_id,
      name: row.name,
      administrator: row.administrator === 1,
      deviceData: row.device_data === 1,
      scope: row.all_devices === 1 ? { kind: 'all' } : { kind: 'sites', sites: this.statements.sites.all(row.id) },
      implicit: row.implicit === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      tokens: row.tokens,
    };
  }
}

function params(p: NewPartner): PartnerParams {
  return {
    partner_id: p.partnerId,
    name: p.name,
    administrator: p.administrator ? 1 : 0,
    device_data: p.deviceData ? 1 : 0,
    all_devices: p.scope.kind === 'all' ? 1 : 0,
  };
}
