import type Database from 'better-sqlite3';
import type { PartnerScope } from '../access/scope.js';
import type { StoreSession } from './session.js';

/** A partner with its token count, as both backends select it. */
export const PARTNER_SELECT = 'SELECT p.*, (SELECT count(*) FROM api_tokens t WHERE t.partner = p.id) AS tokens FROM partners p';

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

/** A partners row as stored, with its token count. */
export interface PartnerRow {
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

export type PartnerParams = { partner_id: string; name: string; administrator: number; device_data: number; all_devices: number };

/** What a backend runs for the partners: one method per statement. */
export interface PartnerStatements {
  /** By Partner ID. */
  list(): PartnerRow[];
  get(id: number): PartnerRow | undefined;
  getByPartnerId(partnerId: string): PartnerRow | undefined;
  implicit(): PartnerRow | undefined;
  sites(id: number): string[];
  /** The new row's id. */
  insert(params: PartnerParams & { at: number; implicit: number }): number;
  update(params: PartnerParams & { id: number; at: number }): void;
  clearSites(id: number): void;
  addSite(id: number, site: string): void;
  delete(id: number): boolean;
}

/** Partner organisations, their grants and their scope (sites in a table of their own). */
export class PartnersRepository {
  constructor(private readonly deps: { statements: PartnerStatements; session: StoreSession; clock: { now(): number } }) {}

  /** Stores a partner; throws PartnerIdTakenError for a Partner ID in use. */
  create(partner: NewPartner): PartnerRecord {
    return this.get(this.deps.session.write(() => this.insert(partner, false)))!;
  }

  list(): PartnerRecord[] {
    return this.deps.statements.list().map((row) => this.toRecord(row));
  }

  get(id: number): PartnerRecord | undefined {
    const row = this.deps.statements.get(id);
    return row && this.toRecord(row);
  }

  getByPartnerId(partnerId: string): PartnerRecord | undefined {
    const row = this.deps.statements.getByPartnerId(partnerId);
    return row && this.toRecord(row);
  }

  /**
   * The implicit partner (see PartnerRecord.implicit), made on first use: read-only, all devices,
   * with API device-data access. Runs inside the caller's transaction when there is one.
   */
  implicitPartner(): PartnerRecord {
    const { statements, session } = this.deps;
    const existing = statements.implicit();
    if (existing) return this.toRecord(existing);
    return this.get(
      session.write(() => {
        let partnerId = IMPLICIT_PARTNER_ID;
        for (let n = 2; statements.getByPartnerId(partnerId); n += 1) partnerId = `${IMPLICIT_PARTNER_ID}_${n}`;
        const partner: NewPartner = { partnerId, name: 'Partner-role tokens without a partner', administrator: false, deviceData: true, scope: { kind: 'all' } };
        return this.insert(partner, true);
      }),
    )!;
  }

  /** Applies the changes; false if there is no such partner. Throws PartnerIdTakenError for a Partner ID in use. */
  update(id: number, changes: PartnerChanges): PartnerRecord | undefined {
    const { statements, session, clock } = this.deps;
    const updated = session.write(() => {
      const current = this.get(id);
      if (!current) return false;
      if (changes.partnerId !== undefined && changes.partnerId !== current.partnerId) this.refuseTaken(changes.partnerId);
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as PartnerChanges;
      const next = { ...current, ...defined };
      statements.update({ ...params(next), id, at: clock.now() });
      if (changes.scope) this.writeSites(id, changes.scope);
      return true;
    });
    return updated ? this.get(id) : undefined;
  }

  /** Removes a partner and, with it, its tokens; false if there was none. */
  delete(id: number): boolean {
    return this.deps.statements.delete(id);
  }

  private insert(partner: NewPartner, implicit: boolean): number {
    this.refuseTaken(partner.partnerId);
    const id = this.deps.statements.insert({ ...params(partner), at: this.deps.clock.now(), implicit: implicit ? 1 : 0 });
    this.writeSites(id, partner.scope);
    return id;
  }

  private refuseTaken(partnerId: string): void {
    const holder = this.deps.statements.getByPartnerId(partnerId);
    if (holder) throw new PartnerIdTakenError(partnerId, holder.name);
  }

  private writeSites(id: number, scope: PartnerScope): void {
    const { statements } = this.deps;
    statements.clearSites(id);
    if (scope.kind === 'sites') for (const site of new Set(scope.sites)) statements.addSite(id, site);
  }

  private toRecord(row: PartnerRow): PartnerRecord {
    return {
      id: row.id,
      partnerId: row.partner_id,
      name: row.name,
      administrator: row.administrator === 1,
      deviceData: row.device_data === 1,
      scope: row.all_devices === 1 ? { kind: 'all' } : { kind: 'sites', sites: this.deps.statements.sites(row.id) },
      implicit: row.implicit === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      tokens: row.tokens,
    };
  }
}

export function sqlitePartnerStatements(db: Database.Database): PartnerStatements {
  const list = db.prepare<[], PartnerRow>(`${PARTNER_SELECT} ORDER BY p.partner_id`);
  const get = db.prepare<[number], PartnerRow>(`${PARTNER_SELECT} WHERE p.id = ?`);
  const getByPartnerId = db.prepare<[string], PartnerRow>(`${PARTNER_SELECT} WHERE p.partner_id = ?`);
  const implicit = db.prepare<[], PartnerRow>(`${PARTNER_SELECT} WHERE p.implicit = 1`);
  const sites = db.prepare<[number], string>('SELECT site FROM partner_sites WHERE partner = ? ORDER BY site').pluck();
  const insert = db.prepare<[PartnerParams & { at: number; implicit: number }]>(
    `INSERT INTO partners (partner_id, name, administrator, device_data, all_devices, implicit, created_at, updated_at)
     VALUES (@partner_id, @name, @administrator, @device_data, @all_devices, @implicit, @at, @at)`,
  );
  const update = db.prepare<[PartnerParams & { id: number; at: number }]>(
    `UPDATE partners SET partner_id = @partner_id, name = @name, administrator = @administrator,
       device_data = @device_data, all_devices = @all_devices, updated_at = @at WHERE id = @id`,
  );
  const clearSites = db.prepare<[number]>('DELETE FROM partner_sites WHERE partner = ?');
  const addSite = db.prepare<[number, string]>('INSERT INTO partner_sites (partner, site) VALUES (?, ?)');
  const remove = db.prepare<[number]>('DELETE FROM partners WHERE id = ?');
  return {
    list: () => list.all(),
    get: (id) => get.get(id),
    getByPartnerId: (partnerId) => getByPartnerId.get(partnerId),
    implicit: () => implicit.get(),
    sites: (id) => sites.all(id),
    insert: (p) => Number(insert.run(p).lastInsertRowid),
    update: (p) => void update.run(p),
    clearSites: (id) => void clearSites.run(id),
    addSite: (id, site) => void addSite.run(id, site),
    delete: (id) => remove.run(id).changes > 0,
  };
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
