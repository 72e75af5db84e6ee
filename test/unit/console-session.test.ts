import { describe, expect, it } from 'vitest';
import { ConsoleSessions, cookie, parseCookies } from '../../src/console/session.js';
import { FakeClock } from '../helpers/fake-clock.js';

const caller = (id: number) => ({ id, role: 'viewer' as const, name: `token-${id}` });

function sessions(options: { maxSessions?: number } = {}) {
  const clock = new FakeClock();
  const revoked = new Set<number>();
  const store = new ConsoleSessions({ clock, tokenActive: (id) => !revoked.has(id), idleMs: 60_000, ...options });
  return { clock, revoked, store };
}

describe('console sessions', () => {
  it('finds a session by its cookie value, and keeps it alive while it is used', () => {
    const { clock, store } = sessions();
    const { id, session } = store.create(caller(1));
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (let i = 0; i < 5; i++) {
      clock.advance(50_000);
      expect(store.lookup(id)).toEqual({ session });
    }
    expect(store.lookup('x'.repeat(43))).toBeUndefined();
    expect(store.lookup(undefined)).toBeUndefined();
  });

  it('ends a session unused for longer than the idle time', () => {
    const { clock, store } = sessions();
    const { id } = store.create(caller(1));
    clock.advance(60_001);
    expect(store.lookup(id)).toEqual({ ended: 'expired' });
    expect(store.lookup(id)).toBeUndefined();
  });

  it('ends every session of a token once it is revoked or expired, also for an open live page', () => {
    const { revoked, store } = sessions();
    const a = store.create(caller(1));
    const b = store.create(caller(1));
    const other = store.create(caller(2));
    revoked.add(1);
    expect(store.active(b.session)).toBe(false);
    expect(store.lookup(a.id)).toEqual({ ended: 'revoked' });
    expect(store.lookup(other.id)).toEqual({ session: other.session });
  });

  it('ends a signed-out session, and its open live page', () => {
    const { store } = sessions();
    const { id, session } = store.create(caller(1));
    expect(store.active(session)).toBe(true);
    store.end(id);
    expect(store.active(session)).toBe(false);
    expect(store.lookup(id)).toBeUndefined();
  });

  it('holds at most maxSessions, dropping the least recently used', () => {
    const { clock, store } = sessions({ maxSessions: 3 });
    const ids = [1, 2, 3].map((n) => {
      clock.advance(10);
      return store.create(caller(n)).id;
    });
    store.lookup(ids[0]);
    store.create(caller(4));
    expect(store.size).toBe(3);
    expect(store.lookup(ids[1])).toBeUndefined();
    expect(store.lookup(ids[0])).toBeDefined();
  });
});

describe('cookies', () => {
  it('are HttpOnly and SameSite=Strict for the whole site, Secure over https', () => {
    expect(cookie('priscan_session', 'abc', { secure: false })).toBe('priscan_session=abc; Path=/; HttpOnly; SameSite=Strict');
    expect(cookie('priscan_session', '', { secure: true, maxAgeSeconds: 0 })).toBe('priscan_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0');
  });

  it('are read from a Cookie header, the first of each name', () => {
    expect(parseCookies('a=1; priscan_session=xyz; a=2; junk')).toEqual(new Map([['a', '1'], ['priscan_session', 'xyz']]));
    expect(parseCookies(undefined).size).toBe(0);
  });
});
