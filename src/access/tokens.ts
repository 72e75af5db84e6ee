import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { PartnerRecord } from '../store/partners.js';
import type { TokenRecord, TokensRepository } from '../store/tokens.js';
import type { PartnerScope } from './scope.js';

/** admin: everything; viewer: read; partner: a token of a partner organisation, with that partner's access. */
export const ROLES = ['admin', 'viewer', 'partner'] as const;
export type Role = (typeof ROLES)[number];

/** Every token starts with this, so a leaked one is recognisable (e.g. by secret scanners). */
export const TOKEN_PREFIX = 'psk_';
const RANDOM_BYTES = 32;
/** psk_ and 32 bytes of base64url (43 characters). */
const TOKEN_PATTERN = /^psk_[A-Za-z0-9_-]{43}$/;
/** Listings show psk_ and 8 characters: 48 of the 256 random bits. */
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
/** A token's name: what listings show and revocation takes. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;
const LAST_USED_EVERY_MS = 60_000;

/** What a partner's token may do: the partner's grants and scope at the time it was asked. */
export interface PartnerAccess {
  /** The partner's stored id. */
  id: number;
  /** Its Partner ID, e.g. ACME_INC. */
  partnerId: string;
  administrator: boolean;
  deviceData: boolean;
  scope: PartnerScope;
}

/** Who a token belongs to. */
export interface TokenCaller {
  id: number;
  role: Role;
  name: string;
  /** Only on partner tokens: the partner's access now. */
  partner?: PartnerAccess;
}

/** The access a partner record gives its tokens. */
export function partnerAccess(partner: PartnerRecord): PartnerAccess {
  return { id: partner.id, partnerId: partner.partnerId, administrator: partner.administrator, deviceData: partner.deviceData, scope: partner.scope };
}

/** A token as listings show it: no secret. */
export type TokenInfo = TokenRecord;

export interface CreatedToken {
  /** The token text. Shown once: only its hash is stored. */
  token: string;
  info: TokenInfo;
}

/** A token request that cannot be met (bad role or name). Name clashes: TokenNameTakenError. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
}

export interface ApiTokensDeps {
  repository: TokensRepository;
  /** Expiry is judged by it; the system clock unless a test sets time. */
  clock?: { now(): number };
  /** Injected by tests for predictable tokens. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * API tokens: created as `psk_` + 32 random bytes (base64url), stored as SHA-256.
 * A plain hash is enough (no salt, no slow KDF) because a token is 256 random
 * bits: there is nothing to guess from a dictionary, and the lookup by hash lets
 * authentication take one indexed query.
 */
export class ApiTokens {
  constructor(private readonly deps: ApiTokensDeps) {}

  /**
   * Makes a token; the returned text is the only time it is seen. `expiresAt` (ms since the epoch)
   * must be in the future. A partner token belongs to `partner` (a partner's stored id); without
   * one, to the implicit partner (read-only, all devices, device data: what the role always meant).
   */
  create(request: { role: Role; name: string; expiresAt?: number | null; partner?: number }): CreatedToken {
    if (!(ROLES as readonly string[]).includes(request.role)) {
      throw new TokenRequestError(`unknown role ${JSON.stringify(request.role)}: use one of ${ROLES.join(', ')}`);
    }
    if (request.partner !== undefined && request.role !== 'partner') {
      throw new TokenRequestError(`only partner tokens belong to a partner; a ${request.role} token names none`);
    }
    const name = request.name.trim();
    if (!TOKEN_NAME_PATTERN.test(name)) {
      throw new TokenRequestError(
        'a token name has 1 to 64 characters: letters, digits, space, dot, underscore, @ and dash, starting with a letter or digit',
      );
    }
    const expiresAt = request.expiresAt ?? null;
    if (expiresAt !== null && !(Number.isSafeInteger(expiresAt) && expiresAt > this.now())) {
      throw new TokenRequestError('a token\'s expiry must be a time in the future');
    }
    const token = TOKEN_PREFIX + (this.deps.randomBytes ?? randomBytes)(RANDOM_BYTES).toString('base64url');
    const info = this.deps.repository.insert({
      name,
      role: request.role,
      prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
      hash: hashToken(token),
      expiresAt,
      ...(request.partner === undefined ? {} : { partner: request.partner }),
    });
    return { token, info };
  }

  /**
   * Who the token belongs to, or null (malformed, unknown, revoked or expired). The format
   * check reveals nothing secret; the look-up is by hash, so its timing says
   * nothing about how much of a guess was right; the final comparison is constant-time.
   */
  authenticate(tokenText: string): TokenCaller | null {
    if (!TOKEN_PATTERN.test(tokenText)) return null;
    const hash = hashToken(tokenText);
    const found = this.deps.repository.findByHash(hash);
    if (!found || found.hash.length !== hash.length || !timingSafeEqual(found.hash, hash)) return null;
    const caller = this.callerOf(found.record);
    if (caller) this.deps.repository.touch(found.record.id, LAST_USED_EVERY_MS);
    return caller;
  }

  /**
   * Whether the token of an authenticated caller still works: not revoked, not expired. Long-lived
   * responses (the event stream) ask this again and again, so a revocation ends them too.
   */
  isActive(id: number): boolean {
    return this.current(id) !== null;
  }

  /** The caller behind a token id as it is now (its partner's current grants and scope), or null if it no longer works. */
  current(id: number): TokenCaller | null {
    const token = this.deps.repository.get(id);
    return token ? this.callerOf(token) : null;
  }

  /** Every token, without secrets, oldest first. */
  list(): TokenInfo[] {
    return this.deps.repository.list();
  }

  /**
   * Revokes a token by id (a number) or name (a string; a string of digits that is
   * no token's name is taken as an id). Returns the revoked token, or undefined.
   */
  revoke(ref: number | string): TokenInfo | undefined {
    const { repository } = this.deps;
    let token: TokenInfo | undefined;
    if (typeof ref === 'number') token = repository.get(ref);
    else token = repository.getByName(ref.trim()) ?? (/^\d+$/.test(ref.trim()) ? repository.get(Number(ref.trim())) : undefined);
    if (!token || !repository.delete(token.id)) return undefined;
    return token;
  }

  /** Null when expired, or a partner token without its partner (never to be taken for another role). */
  private callerOf(token: TokenRecord): TokenCaller | null {
    if (this.expired(token)) return null;
    const caller: TokenCaller = { id: token.id, role: token.role, name: token.name };
    if (token.role !== 'partner') return caller;
    const partner = this.deps.repository.partnerOf(token);
    return partner ? { ...caller, partner: partnerAccess(partner) } : null;
  }

  private expired(token: TokenInfo): boolean {
    return token.expiresAt !== null && token.expiresAt <= this.now();
  }

  private now(): number {
    return (this.deps.clock ?? systemClock).now();
  }
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
