import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';
import type { Caller } from '../http/auth.js';

/** The session cookie's name; its value is the session id (only its hash is kept). */
export const SESSION_COOKIE = 'priscan_session';
/** A session unused this long ends (an open live page keeps it in use). */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** The most sessions held at once; the least recently used goes first. */
export const MAX_SESSIONS = 10_000;
const ID_BYTES = 32;

/** A one-time message for the next page (what a form did). */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface ConsoleSession {
  /** Who signed in, as their token says: the session has the token's role, and ends with it. */
  caller: Caller;
  /** Sent back with every form that changes something (a hidden field); checked on each POST. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  flash: Flash | undefined;
}

/** Why a session cookie no longer works, for the sign-in page to say. */
export type SessionEnd = 'expired' | 'revoked';

export type SessionLookup = { session: ConsoleSession } | { ended: SessionEnd } | undefined;

export interface ConsoleSessionsDeps {
  clock: { now(): number };
  /** Whether the session's token still works: a revoked or expired token ends its sessions at once. */
  tokenActive: (tokenId: number) => boolean;
  randomBytes?: (size: number) => Buffer;
  idleMs?: number;
  maxSessions?: number;
}

/**
 * Console sign-ins. Sessions live in memory: the credential is the API token itself, so a
 * restart costs a sign-in, and no session table has to be migrated or pruned. Ids are 256
 * random bits; the map holds their SHA-256, so a dump of memory holds no usable cookie.
 */
export class ConsoleSessions {
  private readonly byHash = new Map<string, ConsoleSession>();
  /** Sessions signed out, expired or evicted: their open live pages end too. */
  private readonly gone = new WeakSet<ConsoleSession>();

  constructor(private readonly deps: ConsoleSessionsDeps) {}

  get size(): number {
    return this.byHash.size;
  }

  /** A new session for `caller`; returns the id to put in the cookie. */
  create(caller: Caller): { id: string; session: ConsoleSession } {
    const now = this.deps.clock.now();
    this.sweep(now);
    if (this.byHash.size >= (this.deps.maxSessions ?? MAX_SESSIONS)) this.evictLeastRecent();
    const id = this.random().toString('base64url');
    const session: ConsoleSession = { caller, csrf: this.random().toString('base64url'), createdAt: now, lastSeenAt: now, flash: undefined };
    this.byHash.set(hashId(id), session);
    return { id, session };
  }

  /** The session of a cookie value, if it still works; using it keeps it alive. */
  lookup(id: string | undefined): SessionLookup {
    if (!id) return undefined;
    const hash = hashId(id);
    const session = this.byHash.get(hash);
    if (!session) return undefined;
    const now = this.deps.clock.now();
    const ended = this.endReason(session, now);
    if (ended) {
      this.remove(hash);
      return { ended };
    }
    session.lastSeenAt = now;
    return { session };
  }

  /** Whether a session still works, without a cookie: asked again and again by its open live page. */
  active(session: ConsoleSession): boolean {
    const now = this.deps.clock.now();
    if (this.gone.has(session) || this.endReason(session, now)) return false;
    session.lastSeenAt = now;
    return true;
  }

  /** Signs out. */
  end(id: string): void {
    this.remove(hashId(id));
  }

  private remove(hash: string): void {
    const session = this.byHash.get(hash);
    if (session) this.gone.add(session);
    this.byHash.delete(hash);
  }

  private endReason(session: ConsoleSession, now: number): SessionEnd | undefined {
    if (!this.deps.tokenActive(session.caller.id)) return 'revoked';
    if (now - session.lastSeenAt > (this.deps.idleMs ?? SESSION_IDLE_MS)) return 'expired';
    return undefined;
  }

  private sweep(now: number): void {
    const idle = this.deps.idleMs ?? SESSION_IDLE_MS;
    for (const [hash, session] of this.byHash) if (now - session.lastSeenAt > idle) this.remove(hash);
  }

  private evictLeastRecent(): void {
    let oldest: [string, number] | undefined;
    for (const [hash, session] of this.byHash) if (!oldest || session.lastSeenAt < oldest[1]) oldest = [hash, session.lastSeenAt];
    if (oldest) this.remove(oldest[0]);
  }

  private random(): Buffer {
    return (this.deps.randomBytes ?? cryptoRandomBytes)(ID_BYTES);
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

/** The cookies of a request (the first of each name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/**
 * A Set-Cookie value: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Path=/ (the API's event stream takes it too), Secure when the console is served over https.
 * `maxAgeSeconds` 0 deletes it; absent, it lasts until the browser closes.
 */
export function cookie(name: string, value: string, options: { secure: boolean; maxAgeSeconds?: number }): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}
