import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/access/audit.js';
import { checkPartnerId, partnerIdFromName, PartnerRequestError, Partners } from '../../src/access/partners.js';
import { ApiTokens } from '../../src/access/tokens.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { PartnerIdTakenError } from '../../src/store/partners.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

let clock: FakeClock;

describe('Partner IDs', () => {
  it.each([
    ['Acme, Inc.', 'ACME_INC'],
    ['  acme inc  ', 'ACME_INC'],
    ['Müller & Söhne GmbH', 'MULLER_SOHNE_GMBH'],
    ['3M', '3M'],
    ['a--b__c', 'A_B_C'],
    ['Électricité de France (EDF)', 'ELECTRICITE_DE_FRANCE_EDF'],
    ['x'.repeat(70), 'X'.repeat(64)],
    // Cut at 64 characters, where an underscore would end it: without it.
    ['abc '.repeat(17), `${'ABC_'.repeat(15)}ABC`],
  ])('%j makes %s', (name, id) => {
    expect(partnerIdFromName(name)).toBe(id);
    expect(checkPartnerId(partnerIdFromName(name))).toBe(id);
  });

  it.each(['---', '日本電気', ''])('%j has nothing to make one from', (name) => {
    expect(() => partnerIdFromName(name)).toThrow(/has no letters A-Z or digits to make a Partner ID from/);
  });

  it.each([
    ['acme_inc', /e\.g\. ACME_INC/],
    ['ACME__INC', /single underscores/],
    ['_ACME', /not a Partner ID/],
    ['ACME-INC', /e\.g\. ACME_INC/],
    ['ACME INC', /e\.g\. ACME_INC/],
    ['A'.repeat(65), /at most 64 characters/],
    ['', /not a Partner ID/],
  ])('refuses %j, saying what one looks like', (text, message) => {
    expect(() => checkPartnerId(text)).toThrow(message);
  });
});

eachStore('test/unit/partners.test.ts', (backend) => {
  let store: Store;
  let tokens: ApiTokens;
  let partners: Partners;
  let sites: Set<string>;

  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
    store = backend.open({ clock });
    tokens = new ApiTokens({ repository: store.tokens, clock });
    sites = new Set(['DC1', 'DC2']);
    partners = new Partners({ repository: store.partners, audit: new AuditLog({ repository: store.audit, clock }), sitesInUse: () => sites });
  });

  const audit = () => store.audit.list({ after: 0, limit: 100 }).map((e) => [e.actorKind, e.actorToken, e.partnerId, e.action, e.detail]);

  describe('partners', () => {
    it('start read-only, without API device data, over all devices; the ID is made from the name', () => {
      const acme = partners.create({ name: 'Acme, Inc.' }, 'host');
      expect(acme).toMatchObject({ partnerId: 'ACME_INC', name: 'Acme, Inc.', administrator: false, deviceData: false, scope: { kind: 'all' }, implicit: false, tokens: 0 });
      expect(audit()).toEqual([['host', null, 'ACME_INC', 'partner.create', 'read-only, API device data not granted, all devices']]);
    });

    it('refuses a Partner ID in use, naming its holder, and changes nothing', () => {
      partners.create({ name: 'Acme, Inc.' }, 'host');
      expect(() => partners.create({ name: 'ACME INC' }, 'host')).toThrow(PartnerIdTakenError);
      expect(() => partners.create({ name: 'ACME INC' }, 'host')).toThrow('the Partner ID ACME_INC is already used by "Acme, Inc.": Partner IDs are unique, choose another (e.g. ACME_INC_2)');
      const other = partners.create({ name: 'Acme Gmbh', partnerId: 'ACME_GMBH' }, 'host');
      expect(() => partners.update(other.partnerId, { partnerId: 'ACME_INC' }, 'host')).toThrow(PartnerIdTakenError);
      expect(partners.list().map((p) => p.partnerId)).toEqual(['ACME_GMBH', 'ACME_INC']);
    });

    it('keep their tokens when their Partner ID changes', () => {
      const acme = partners.create({ name: 'Acme, Inc.', deviceData: true }, 'host');
      const { token } = tokens.create({ role: 'partner', name: 'acme-ro', partner: acme.id });
      partners.update('ACME_INC', { partnerId: 'ACME_SERVICES' }, 'host');
      expect(tokens.authenticate(token)?.partner).toMatchObject({ partnerId: 'ACME_SERVICES', deviceData: true });
      expect(tokens.list()[0]!.partner).toEqual({ id: acme.id, partnerId: 'ACME_SERVICES' });
      expect(partners.find('ACME_INC')).toBeUndefined();
      expect(audit().at(-1)).toEqual(['host', null, 'ACME_SERVICES', 'partner.update', 'Partner ID ACME_INC -> ACME_SERVICES']);
    });

    it('give their tokens each grant, and take it back, at once', () => {
      const acme = partners.create({ name: 'Acme' }, 'host');
      const { token } = tokens.create({ role: 'partner', name: 'acme', partner: acme.id });
      expect(tokens.authenticate(token)?.partner).toMatchObject({ administrator: false, deviceData: false });
      const admin = tokens.authenticate(tokens.create({ role: 'admin', name: 'ops' }).token)!;
      partners.setGrant('ACME', 'device-data', true, admin);
      expect(tokens.authenticate(token)?.partner).toMatchObject({ administrator: false, deviceData: true });
      partners.setGrant('ACME', 'administrator', true, admin);
      expect(tokens.authenticate(token)?.partner).toMatchObject({ administrator: true, deviceData: true });
      partners.setGrant('ACME', 'device-data', false, admin);
      expect(tokens.authenticate(token)?.partner).toMatchObject({ administrator: true, deviceData: false });
      // Granting what it holds changes nothing and is not logged again.
      partners.setGrant('ACME', 'administrator', true, admin);
      expect(audit().slice(1)).toEqual([
        ['admin', 'ops', 'ACME', 'partner.grant', 'device-data'],
        ['admin', 'ops', 'ACME', 'partner.grant', 'administrator'],
        ['admin', 'ops', 'ACME', 'partner.revoke', 'device-data'],
      ]);
    });

    it('are scoped to sites devices are at; a site no device is at is refused with the sites in use', () => {
      const acme = partners.create({ name: 'Acme', scope: { kind: 'sites', sites: ['DC1', 'DC1'] } }, 'host');
      expect(acme.scope).toEqual({ kind: 'sites', sites: ['DC1'] });
      const refusal = (() => {
        try {
          partners.update('ACME', { scope: { kind: 'sites', sites: ['DC1', 'dc2'] } }, 'host');
        } catch (error) {
          return error as PartnerRequestError;
        }
        return undefined;
      })();
      expect(refusal).toBeInstanceOf(PartnerRequestError);
      expect(refusal).toMatchObject({ code: 'PARTNER_SCOPE_UNKNOWN', message: 'no device is at site "dc2" (sites in use: DC1, DC2): a partner\'s scope names sites devices are at' });
      expect(partners.find('ACME')?.scope).toEqual({ kind: 'sites', sites: ['DC1'] });
      sites = new Set();
      expect(() => partners.create({ name: 'Other', scope: { kind: 'sites', sites: ['DC1'] } }, 'host')).toThrow('(no device has a site yet)');
      expect(() => partners.update('ACME', { scope: { kind: 'sites', sites: [] } }, 'host')).toThrow(/names 1 to 100 sites/);
      partners.update('ACME', { scope: { kind: 'all' } }, 'host');
      expect(partners.find('ACME')?.scope).toEqual({ kind: 'all' });
      expect(audit().at(-1)).toEqual(['host', null, 'ACME', 'partner.update', 'scope site DC1 -> all devices']);
    });

    it('take their tokens with them when removed', () => {
      const acme = partners.create({ name: 'Acme', deviceData: true }, 'host');
      const { token } = tokens.create({ role: 'partner', name: 'acme', partner: acme.id });
      const other = tokens.create({ role: 'viewer', name: 'grafana' });
      expect(partners.remove('ACME', 'host')).toMatchObject({ partnerId: 'ACME', tokens: 1 });
      expect(tokens.authenticate(token)).toBeNull();
      expect(tokens.list().map((t) => t.name)).toEqual(['grafana']);
      expect(tokens.authenticate(other.token)?.name).toBe('grafana');
      expect(audit().at(-1)).toEqual(['host', null, 'ACME', 'partner.remove', '1 token revoked with it']);
    });

    it('refuse names that are empty or hold control characters', () => {
      expect(() => partners.create({ name: '   ' }, 'host')).toThrow(/1 to 128 characters/);
      expect(() => partners.create({ name: 'Acme\u0007' }, 'host')).toThrow(/control characters/);
      expect(partners.list()).toEqual([]);
    });
  });

  describe('partner tokens', () => {
    it('that name no partner belong to the implicit partner: read-only, all devices, device data', () => {
      const { token, info } = tokens.create({ role: 'partner', name: 'wallboard' });
      expect(info.partner?.partnerId).toBe('LEGACY_PARTNER');
      expect(tokens.authenticate(token)).toEqual({
        id: info.id,
        role: 'partner',
        name: 'wallboard',
        partner: { id: info.partner!.id, partnerId: 'LEGACY_PARTNER', administrator: false, deviceData: true, scope: { kind: 'all' } },
      });
      // One implicit partner, however many tokens.
      tokens.create({ role: 'partner', name: 'second' });
      expect(partners.list().filter((p) => p.implicit)).toHaveLength(1);
    });

    it('are refused for other roles', () => {
      const acme = partners.create({ name: 'Acme' }, 'host');
      expect(() => tokens.create({ role: 'viewer', name: 'x', partner: acme.id })).toThrow(/only partner tokens belong to a partner/);
    });
  });
});

describe('partner tokens in SQLite', () => {
  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
  });

  it('of a database from before partners keep what the role gave them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'priscan-partners-'));
    try {
      const path = join(dir, 'priscan.db');
      const partnersAt = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('CREATE TABLE partners'));
      expect(partnersAt).toBeGreaterThan(0);
      const before = openDatabase(path, { migrations: MIGRATIONS.slice(0, partnersAt) });
      const token = `psk_${Buffer.alloc(32, 9).toString('base64url')}`;
      const insert = before.prepare('INSERT INTO api_tokens (name, role, prefix, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)');
      insert.run('acme', 'partner', token.slice(0, 12), createHash('sha256').update(token).digest(), 1);
      insert.run('ops', 'admin', 'psk_opsopsop', createHash('sha256').update('other').digest(), 1);
      before.close();
      const migrated = SqliteStore.open(path, clock);
      try {
        const after = new ApiTokens({ repository: migrated.tokens, clock });
        expect(after.authenticate(token)?.partner).toMatchObject({ partnerId: 'LEGACY_PARTNER', administrator: false, deviceData: true, scope: { kind: 'all' } });
        expect(after.list().map((t) => [t.name, t.partner?.partnerId ?? null])).toEqual([['acme', 'LEGACY_PARTNER'], ['ops', null]]);
        expect(migrated.partners.list()).toMatchObject([{ partnerId: 'LEGACY_PARTNER', implicit: true, tokens: 1 }]);
      } finally {
        migrated.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
