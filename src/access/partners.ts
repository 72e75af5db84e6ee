import type { NewPartner, PartnerRecord, PartnersRepository } from '../store/partners.js';
import type { AuditActor, AuditLog } from './audit.js';
import { ALL_DEVICES, describeScope, sameScope, type PartnerScope } from './scope.js';

/** Upper-case letters and digits, words joined by single underscores: ACME_INC. */
const PARTNER_ID = /^[A-Z0-9]+(?:_[A-Z0-9]+)*$/;
export const PARTNER_ID_MAX = 64;
export const PARTNER_NAME_MAX = 128;
export const SITE_MAX = 64;
export const SITES_MAX = 100;

/** What the customer can grant a partner beyond read-only access, each on its own. */
export const GRANTS = ['administrator', 'device-data'] as const;
export type Grant = (typeof GRANTS)[number];

export type PartnerRefusal = 'PARTNER_ID_INVALID' | 'PARTNER_SCOPE_UNKNOWN' | 'VALIDATION_FAILED';

/** A partner request that cannot be met; `code` is the API's error code for it. */
export class PartnerRequestError extends Error {
  override readonly name = 'PartnerRequestError';

  constructor(
    readonly code: PartnerRefusal,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Partner ID made from an organisation's name: accents dropped, upper case, every run of
 * anything but letters and digits one underscore ("Acme, Inc." -> ACME_INC). Throws when the name
 * has no letter A-Z or digit to make one from (then the admin gives one).
 */
export function partnerIdFromName(name: string): string {
  const id = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .slice(0, PARTNER_ID_MAX + 1)
    .replace(/^_+|_+$/g, '')
    .slice(0, PARTNER_ID_MAX)
    .replace(/_+$/, '');
  if (id === '') {
    throw new PartnerRequestError(
      'PARTNER_ID_INVALID',
      `the name ${JSON.stringify(name)} has no letters A-Z or digits to make a Partner ID from: give one with partnerId (e.g. ACME_INC)`,
    );
  }
  return id;
}

/** The Partner ID as given, or a PartnerRequestError saying what one looks like. */
export function checkPartnerId(text: string): string {
  if (text.length <= PARTNER_ID_MAX && PARTNER_ID.test(text)) return text;
  let suggestion = '';
  try {
    suggestion = `, e.g. ${partnerIdFromName(text)}`;
  } catch {
    // nothing to suggest from
  }
  throw new PartnerRequestError(
    'PARTNER_ID_INVALID',
    `${JSON.stringify(text.slice(0, PARTNER_ID_MAX + 8))} is not a Partner ID: use upper-case letters A-Z and digits, ` +
      `words joined by single underscores, at most ${PARTNER_ID_MAX} characters${suggestion}`,
  );
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > PARTNER_NAME_MAX || /\p{Cc}/u.test(trimmed)) {
    throw new PartnerRequestError('VALIDATION_FAILED', `a partner's name has 1 to ${PARTNER_NAME_MAX} characters, without control characters`);
  }
  return trimmed;
}

export interface NewPartnerRequest {
  name: string;
  /** Default: made from the name. */
  partnerId?: string;
  administrator?: boolean;
  deviceData?: boolean;
  /** Default: all devices. */
  scope?: PartnerScope;
}

export interface PartnerUpdate {
  name?: string;
  partnerId?: string;
  scope?: PartnerScope;
}

export interface PartnersDeps {
  repository: PartnersRepository;
  audit: AuditLog;
  /** The sites devices are at now: a scope may name only these (a typo would give a partner nothing). */
  sitesInUse: () => ReadonlySet<string>;
}

/**
 * Partner organisations: their Partner IDs, grants and scope. Every change is written to the audit
 * log with who made it. Changes take effect at the partner's next request; open streams are asked
 * again by their owner (see http/streams.ts).
 */
export class Partners {
  constructor(private readonly deps: PartnersDeps) {}

  list(): PartnerRecord[] {
    return this.deps.repository.list();
  }

  find(partnerId: string): PartnerRecord | undefined {
    return this.deps.repository.getByPartnerId(partnerId);
  }

  /** Read-only unless granted more; all devices unless scoped. Throws PartnerRequestError or PartnerIdTakenError. */
  create(request: NewPartnerRequest, actor: AuditActor): PartnerRecord {
    const name = checkName(request.name);
    const partner: NewPartner = {
      name,
      partnerId: request.partnerId === undefined ? partnerIdFromName(name) : checkPartnerId(request.partnerId),
      administrator: request.administrator ?? false,
      deviceData: request.deviceData ?? false,
      scope: this.checkScope(request.scope ?? ALL_DEVICES),
    };
    const created = this.deps.repository.create(partner);
    this.deps.audit.partnerChange(actor, created, 'partner.create', `${accessLevel(created)}, API device data ${created.deviceData ? 'granted' : 'not granted'}, ${describeScope(created.scope)}`);
    return created;
  }

  /** Renames, re-identifies or re-scopes a partner; undefined if there is none with this Partner ID. */
  update(partnerId: string, update: PartnerUpdate, actor: AuditActor): PartnerRecord | undefined {
    const current = this.find(partnerId);
    if (!current) return undefined;
    const changes = {
      ...(update.name === undefined ? {} : { name: checkName(update.name) }),
      ...(update.partnerId === undefined ? {} : { partnerId: checkPartnerId(update.partnerId) }),
      ...(update.scope === undefined ? {} : { scope: this.checkScope(update.scope) }),
    };
    const updated = this.deps.repository.update(current.id, changes);
    if (!updated) return undefined;
    const notes: string[] = [];
    if (updated.partnerId !== current.partnerId) notes.push(`Partner ID ${current.partnerId} -> ${updated.partnerId}`);
    if (updated.name !== current.name) notes.push(`name ${JSON.stringify(current.name)} -> ${JSON.stringify(updated.name)}`);
    if (!sameScope(updated.scope, current.scope)) notes.push(`scope ${describeScope(current.scope)} -> ${describeScope(updated.scope)}`);
    if (notes.length > 0) this.deps.audit.partnerChange(actor, updated, 'partner.update', notes.join('; '));
    return updated;
  }

  /** Grants (held true) or revokes a grant, effective at once; undefined if there is no such partner. */
  setGrant(partnerId: string, grant: Grant, held: boolean, actor: AuditActor): PartnerRecord | undefined {
    const current = this.find(partnerId);
    if (!current) return undefined;
    const change = grant === 'administrator' ? { administrator: held } : { deviceData: held };
    if ((grant === 'administrator' ? current.administrator : current.deviceData) === held) return current;
    const updated = this.deps.repository.update(current.id, change);
    if (updated) this.deps.audit.partnerChange(actor, updated, held ? 'partner.grant' : 'partner.revoke', grant);
    return updated;
  }

  /** Removes a partner and its tokens; returns what it was, or undefined. */
  remove(partnerId: string, actor: AuditActor): PartnerRecord | undefined {
    const current = this.find(partnerId);
    if (!current || !this.deps.repository.delete(current.id)) return undefined;
    this.deps.audit.partnerChange(actor, current, 'partner.remove', `${current.tokens} token${current.tokens === 1 ? '' : 's'} revoked with it`);
    return current;
  }

  private checkScope(scope: PartnerScope): PartnerScope {
    if (scope.kind === 'all') return ALL_DEVICES;
    const sites = [...new Set(scope.sites)];
    if (sites.length === 0 || sites.length > SITES_MAX) {
      throw new PartnerRequestError('VALIDATION_FAILED', `a site scope names 1 to ${SITES_MAX} sites; for every device, use the scope "all"`);
    }
    const inUse = this.deps.sitesInUse();
    const unknown = sites.filter((site) => !inUse.has(site));
    if (unknown.length > 0) {
      const known = inUse.size === 0 ? 'no device has a site yet' : `sites in use: ${[...inUse].sort().join(', ')}`;
      throw new PartnerRequestError(
        'PARTNER_SCOPE_UNKNOWN',
        `no device is at site ${unknown.map((s) => JSON.stringify(s)).join(', ')} (${known}): a partner's scope names sites devices are at`,
      );
    }
    return { kind: 'sites', sites };
  }
}

/** read-only or administrator: what the partner's level is called. */
export function accessLevel(partner: { administrator: boolean }): 'read-only' | 'administrator' {
  return partner.administrator ? 'administrator' : 'read-only';
}
