import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { maskAddress } from '../../src/access/mask.js';
import { ApiTokens, TokenRequestError } from '../../src/access/tokens.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { TokenNameTakenError } from '../../src/store/tokens.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

let clock: FakeClock;

eachStore('test/unit/tokens.test.ts', (backend) => {
  let store: Store;
  let tokens: ApiTokens;

  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
    store = backend.open({ clock });
    tokens = new ApiTokens({ repository: store.tokens, clock });
  });

  describe('API tokens', () => {
    it('creates a token shown once, and authenticates it to its role and name', () => {
      const { token, info } = tokens.create({ role: 'viewer', name: 'grafana' });
      expect(token).toMatch(/^psk_[A-Za-z0-9_-]{43}$/);
      expect(info).toMatchObject({ name: 'grafana', role: 'viewer', prefix: token.slice(0, 12), createdAt: clock.now(), lastUsedAt: null });
      expect(tokens.authenticate(token)).toEqual({ id: info.id, role: 'viewer', name: 'grafana' });
    });

    it('makes a different token every time', () => {
      const a = tokens.create({ role: 'admin', name: 'a' }).token;
      const b = tokens.create({ role: 'admin', name: 'b' }).token;
      expect(a).not.toBe(b);
      expect(tokens.authenticate(a)?.name).toBe('a');
      expect(tokens.authenticate(b)?.name).toBe('b');
    });

    it('stores only a hash: the token is nowhere in the database', () => {
      const { token } = tokens.create({ role: 'admin', name: 'ops' });
      const rows = backend.sql('SELECT * FROM api_tokens');
      const secretPart = token.slice(4);
      for (const value of Object.values(rows[0]!)) {
        const shown = Buffer.isBuffer(value)
          ? [value.toString('latin1'), value.toString('hex'), value.toString('base64url')].join(' ')
          : String(value);
        expect(shown).not.toContain(secretPart);
      }
      expect(rows[0]!.token_sha256).toBeInstanceOf(Buffer);
      expect((rows[0]!.token_sha256 as Buffer).length).toBe(32);
    });

    it('lists tokens without secrets', () => {
      const created = [
        tokens.create({ role: 'admin', name: 'ops' }),
        tokens.create({ role: 'viewer', name: 'grafana' }),
        tokens.create({ role: 'partner', name: 'acme' }),
      ];
      const listed = tokens.list();
      expect(listed.map((t) => [t.name, t.role])).toEqual([
        ['ops', 'admin'],
        ['grafana', 'viewer'],
        ['acme', 'partner'],
      ]);
      const dump = JSON.stringify(listed);
      for (const { token } of created) {
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(token.slice(12));
      }
      for (const entry of listed) expect(Object.keys(entry).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'partner', 'prefix', 'role']);
    });

    it.each([
      ['empty', ''],
      ['not a token', 'hello'],
      ['wrong prefix', `psx_${'A'.repeat(43)}`],
      ['well-formed but unknown', `psk_${'A'.repeat(43)}`],
      ['too long', `psk_${'A'.repeat(44)}`],
    ])('refuses a token that is %s', (_what, text) => {
      tokens.create({ role: 'admin', name: 'ops' });
      expect(tokens.authenticate(text)).toBeNull();
    });

    it('refuses a token altered in any one character', () => {
      const { token } = tokens.create({ role: 'admin', name: 'ops' });
      for (let i = 4; i < token.length; i++) {
        const altered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        expect(tokens.authenticate(altered)).toBeNull();
      }
    });

    it('revokes by id or by name; a revoked token no longer authenticates', () => {
      const ops = tokens.create({ role: 'admin', name: 'ops' });
      const grafana = tokens.create({ role: 'viewer', name: 'grafana' });
      expect(tokens.revoke('grafana')?.id).toBe(grafana.info.id);
      expect(tokens.authenticate(grafana.token)).toBeNull();
      expect(tokens.revoke(ops.info.id)?.name).toBe('ops');
      expect(tokens.authenticate(ops.token)).toBeNull();
      expect(tokens.list()).toEqual([]);
      expect(tokens.revoke('grafana')).toBeUndefined();
      expect(tokens.revoke(12345)).toBeUndefined();
    });

    it('revokes by an id given as text, preferring a token named so', () => {
      const first = tokens.create({ role: 'viewer', name: 'first' });
      const named = tokens.create({ role: 'viewer', name: String(first.info.id) });
      expect(tokens.revoke(String(first.info.id))?.id).toBe(named.info.id);
      expect(tokens.revoke(String(first.info.id))?.id).toBe(first.info.id);
    });

    it('refuses a duplicate name, an unknown role and a bad name', () => {
      tokens.create({ role: 'admin', name: 'ops' });
      expect(() => tokens.create({ role: 'viewer', name: 'ops' })).toThrow(TokenNameTakenError);
      expect(() => tokens.create({ role: 'root' as never, name: 'x' })).toThrow(TokenRequestError);
      expect(() => tokens.create({ role: 'admin', name: '  ' })).toThrow(/1 to 64 characters/);
      expect(() => tokens.create({ role: 'admin', name: 'a'.repeat(65) })).toThrow(TokenRequestError);
      expect(() => tokens.create({ role: 'admin', name: 'bad\nname' })).toThrow(TokenRequestError);
    });

    it('records the last use, writing at most once a minute', () => {
      const { token, info } = tokens.create({ role: 'viewer', name: 'grafana' });
      const lastUsed = () => tokens.list().find((t) => t.id === info.id)?.lastUsedAt;
      tokens.authenticate(token);
      const first = clock.now();
      expect(lastUsed()).toBe(first);
      clock.advance(30_000);
      tokens.authenticate(token);
      expect(lastUsed()).toBe(first);
      clock.advance(31_000);
      tokens.authenticate(token);
      expect(lastUsed()).toBe(clock.now());
    });

    it('refuses a token from the moment it expires, like a revoked one', () => {
      const expiresAt = clock.now() + 60_000;
      const { token, info } = tokens.create({ role: 'viewer', name: 'contractor', expiresAt });
      expect(info.expiresAt).toBe(expiresAt);
      expect(tokens.list()[0]!.expiresAt).toBe(expiresAt);
      clock.advance(59_999);
      expect(tokens.authenticate(token)?.name).toBe('contractor');
      expect(tokens.isActive(info.id)).toBe(true);
      clock.advance(1);
      expect(tokens.authenticate(token)).toBeNull();
      expect(tokens.isActive(info.id)).toBe(false);
      // Listed still (an operator sees it expired), until revoked.
      expect(tokens.list().map((t) => t.name)).toEqual(['contractor']);
    });

    it('says a revoked token is no longer active; one without expiry stays active', () => {
      const forever = tokens.create({ role: 'admin', name: 'ops' });
      const gone = tokens.create({ role: 'viewer', name: 'grafana' });
      tokens.revoke('grafana');
      clock.advance(10 * 365 * 86_400_000);
      expect(tokens.isActive(forever.info.id)).toBe(true);
      expect(tokens.isActive(gone.info.id)).toBe(false);
      expect(tokens.isActive(999)).toBe(false);
    });

    it('refuses an expiry that is not in the future', () => {
      expect(() => tokens.create({ role: 'viewer', name: 'late', expiresAt: clock.now() })).toThrow(/in the future/);
      expect(() => tokens.create({ role: 'viewer', name: 'odd', expiresAt: Number.NaN })).toThrow(TokenRequestError);
      expect(tokens.list()).toEqual([]);
    });

    it('uses the injected random source', () => {
      const fixed = new ApiTokens({ repository: store.tokens, randomBytes: (n) => Buffer.alloc(n, 0xfb) });
      const { token } = fixed.create({ role: 'partner', name: 'acme' });
      expect(token).toBe(`psk_${Buffer.alloc(32, 0xfb).toString('base64url')}`);
      expect(fixed.authenticate(token)?.role).toBe('partner');
    });
  });
});

describe('API tokens in SQLite', () => {
  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
  });

  it('keeps the tokens of a database from before expiry, never expiring', () => {
    const dir = mkdtempSync(join(tmpdir(), 'priscan-tokens-'));
    try {
      const path = join(dir, 'priscan.db');
      const expiry = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('ADD COLUMN expires_at'));
      expect(expiry).toBeGreaterThan(0);
      const before = openDatabase(path, { migrations: MIGRATIONS.slice(0, expiry) });
      const token = `psk_${Buffer.alloc(32, 7).toString('base64url')}`;
      before
        .prepare('INSERT INTO api_tokens (name, role, prefix, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)')
        .run('ops', 'admin', token.slice(0, 12), createHash('sha256').update(token).digest(), 1);
      before.close();
      const migrated = SqliteStore.open(path, clock);
      try {
        const after = new ApiTokens({ repository: migrated.tokens, clock });
        expect(after.list()).toMatchObject([{ name: 'ops', expiresAt: null }]);
        clock.advance(10 * 365 * 86_400_000);
        expect(after.authenticate(token)?.name).toBe('ops');
      } finally {
        migrated.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('maskAddress (partner role)', () => {
  it.each([
    ['10.20.12.34', 'x.x.12.34'],
    ['192.0.2.1', 'x.x.2.1'],
    ['127.0.10.5', 'x.x.10.5'],
    ['2001:db8::12:34', 'x:x:x:x:x:x:12:34'],
    ['2001:DB8:0:0:0:0:AB:0034', 'x:x:x:x:x:x:ab:34'],
    ['2001:db8:1:2:3:4:5:6', 'x:x:x:x:x:x:5:6'],
    ['::1', 'x:x:x:x:x:x:0:1'],
    ['::', 'x:x:x:x:x:x:0:0'],
    ['fe80::1%eth0', 'x:x:x:x:x:x:0:1'],
    ['[2001:db8::7]', 'x:x:x:x:x:x:0:7'],
    ['64:ff9b::192.0.2.33', 'x:x:x:x:x:x:c000:221'],
    ['::ffff:10.20.12.34', 'x.x.12.34'],
    ['::ffff:a14:c22', 'x.x.12.34'],
    ['ups1.rack3.dc.example.com', 'x.x.x.example.com'],
    ['pdu-7.example.org.', 'x.example.org'],
    ['example.com', 'example.com'],
    ['localhost', 'localhost'],
  ])('%s -> %s', (address, masked) => {
    expect(maskAddress(address)).toBe(masked);
  });
});
