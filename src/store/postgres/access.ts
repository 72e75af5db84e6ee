// Licenses, API tokens, partners, the audit log and registrations in PostgreSQL.
import type { AuditRow, AuditStatements } from '../audit.js';
import type { LicenseRow, LicenseStatements } from '../licenses.js';
import { PARTNER_SELECT, type PartnerRow, type PartnerStatements } from '../partners.js';
import type { RegistrationRow, RegistrationStatements } from '../registrations.js';
import { TOKEN_SELECT, type TokenRow, type TokenStatements } from '../tokens.js';
import type { SyncBridge } from './bridge.js';

export function postgresLicenseStatements(db: SyncBridge): LicenseStatements {
  const list = db.prepare('SELECT * FROM licenses ORDER BY id');
  const get = db.prepare('SELECT * FROM licenses WHERE id = $1');
  const getByFingerprint = db.prepare('SELECT * FROM licenses WHERE fingerprint = $1');
  const getBySerial = db.prepare('SELECT * FROM licenses WHERE serial = $1');
  const insert = db.prepare(
    `INSERT INTO licenses (key_text, fingerprint, serial, nodes, edition, issue_day, mac, installed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
  );
  const remove = db.prepare('DELETE FROM licenses WHERE id = $1');
  const totals = db.prepare('SELECT count(*) AS keys, coalesce(sum(nodes), 0) AS nodes FROM licenses');
  return {
    list: () => list.all<LicenseRow>(),
    get: (id) => get.get<LicenseRow>([id]),
    getByFingerprint: (fingerprint) => getByFingerprint.get<LicenseRow>([fingerprint]),
    getBySerial: (serial) => getBySerial.get<LicenseRow>([serial]),
    insert: (r) => insert.get<{ id: number }>([r.key_text, r.fingerprint, r.serial, r.nodes, r.edition, r.issue_day, r.mac, r.installed_at])!.id,
    delete: (id) => remove.run([id]) > 0,
    totals: () => totals.get<{ keys: number; nodes: number }>() ?? { keys: 0, nodes: 0 },
  };
}

export function postgresTokenStatements(db: SyncBridge): TokenStatements {
  const list = db.prepare(`${TOKEN_SELECT} ORDER BY t.id`);
  const get = db.prepare(`${TOKEN_SELECT} WHERE t.id = $1`);
  const getByName = db.prepare(`${TOKEN_SELECT} WHERE t.name = $1`);
  const getByHash = db.prepare(`${TOKEN_SELECT} WHERE t.token_sha256 = $1`);
  const insert = db.prepare(
    `INSERT INTO api_tokens (name, role, prefix, token_sha256, created_at, expires_at, partner)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
  );
  const remove = db.prepare('DELETE FROM api_tokens WHERE id = $1');
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)');
  return {
    list: () => list.all<TokenRow>(),
    get: (id) => get.get<TokenRow>([id]),
    getByName: (name) => getByName.get<TokenRow>([name]),
    getByHash: (hash) => getByHash.get<TokenRow>([hash]),
    insert: (t) => insert.get<{ id: number }>([t.name, t.role, t.prefix, t.hash, t.at, t.expiresAt, t.partner])!.id,
    delete: (id) => remove.run([id]) > 0,
    touch: ({ id, at, before }) => void touch.run([id, at, before]),
  };
}

export function postgresPartnerStatements(db: SyncBridge): PartnerStatements {
  const list = db.prepare(`${PARTNER_SELECT} ORDER BY p.partner_id`);
  const get = db.prepare(`${PARTNER_SELECT} WHERE p.id = $1`);
  const getByPartnerId = db.prepare(`${PARTNER_SELECT} WHERE p.partner_id = $1`);
  const implicit = db.prepare(`${PARTNER_SELECT} WHERE p.implicit = 1`);
  const sites = db.prepare('SELECT site FROM partner_sites WHERE partner = $1 ORDER BY site');
  const insert = db.prepare(
    `INSERT INTO partners (partner_id, name, administrator, device_data, all_devices, implicit, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
  );
  const update = db.prepare('UPDATE partners SET partner_id = $2, name = $3, administrator = $4, device_data = $5, all_devices = $6, updated_at = $7 WHERE id = $1');
  const clearSites = db.prepare('DELETE FROM partner_sites WHERE partner = $1');
  const addSite = db.prepare('INSERT INTO partner_sites (partner, site) VALUES ($1, $2)');
  const remove = db.prepare('DELETE FROM partners WHERE id = $1');
  return {
    list: () => list.all<PartnerRow>(),
    get: (id) => get.get<PartnerRow>([id]),
    getByPartnerId: (partnerId) => getByPartnerId.get<PartnerRow>([partnerId]),
    implicit: () => implicit.get<PartnerRow>(),
    sites: (id) => sites.all<{ site: string }>([id]).map((r) => r.site),
    insert: (p) => insert.get<{ id: number }>([p.partner_id, p.name, p.administrator, p.device_data, p.all_devices, p.implicit, p.at])!.id,
    update: (p) => void update.run([p.id, p.partner_id, p.name, p.administrator, p.device_data, p.all_devices, p.at]),
    clearSites: (id) => void clearSites.run([id]),
    addSite: (id, site) => void addSite.run([id, site]),
    delete: (id) => remove.run([id]) > 0,
  };
}

export function postgresAuditStatements(db: SyncBridge): AuditStatements {
  const append = db.prepare(
    `INSERT INTO audit_log (at, actor_kind, actor_token, partner, partner_id, action, target, status, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
  );
  const list = db.prepare('SELECT * FROM audit_log WHERE id > $1 AND ($3::bigint IS NULL OR partner = $3) ORDER BY id LIMIT $2');
  return {
    append: (r) => append.get<{ id: number }>([r.at, r.actor_kind, r.actor_token, r.partner, r.partner_id, r.action, r.target, r.status, r.detail])!.id,
    list: (q) => list.all<AuditRow>([q.after, q.limit, q.partner]),
  };
}

export function postgresRegistrationStatements(db: SyncBridge): RegistrationStatements {
  const insert = db.prepare(
    `INSERT INTO registrations (kind, system_id, number, integrator, owner, previous_system_id, issue_day, code_text, applied_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
  );
  const byCode = db.prepare('SELECT * FROM registrations WHERE code_text = $1');
  const latest = db.prepare('SELECT * FROM registrations WHERE system_id = $1 ORDER BY id DESC LIMIT 1');
  const list = db.prepare('SELECT * FROM registrations ORDER BY id');
  return {
    insert: (r) =>
      insert.get<{ id: number }>([r.kind, r.system_id, r.number, r.integrator, r.owner, r.previous_system_id, r.issue_day, r.code_text, r.applied_at])!.id,
    byCode: (code) => byCode.get<RegistrationRow>([code]),
    latest: (systemId) => latest.get<RegistrationRow>([systemId]),
    list: () => list.all<RegistrationRow>(),
  };
}
