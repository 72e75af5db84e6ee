import type Database from 'better-sqlite3';
import type { Role } from '../access/tokens.js';
import type { PartnerRecord, PartnersRepository } from './partners.js';
import type { StoreSession } from './session.js';

/** The partner a token belongs to: its stored id and its Partner ID now. */
export interface TokenPartner {
  id: number;
  partnerId: string;
}

/** An API token as stored and listed: never the token, never its hash. */
export interface TokenRecord {
  id: number;
  name: string;
  role: Role;
  /** The token's first characters (e.g. psk_AbCdEfGh), to tell tokens apart. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** When it stops working (ms since the epoch); null: never. */
  expiresAt: number | null;
  /** The partner a partner-role token belongs to; null for other roles. */
  partner: TokenPartner | null;
}

export interface NewToken {
  name: string;
  role: Role;
  prefix: string;
  /** SHA-256 of the whole token text. */
  hash: Buffer;
  /** Absent or null: never expires. */
  expiresAt?: number | null;
  /** The partner's stored id, for the partner role only; absent: the implicit partner. */
  partner?: number;
}

/** Another token already has this name. */
export class TokenNameTakenError extends Error {
  override readonly name = 'TokenNameTakenError';

  constructor(readonly tokenName: string) {
    super(`a token named ${JSON.stringify(tokenName)} already exists: choose another name, or revoke that token first`);
  }
}

/** An api_tokens row as stored, with its partner's Partner ID. */
export interface TokenRow {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  token_sha256: Buffer;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  partner: number | null;
  partner_code: string | null;
}

export type TokenInsert = { name: string; role: string; prefix: string; hash: Buffer; at: number; expiresAt: number | null; partner: number | null };

/** What a backend runs for the tokens: one method per statement. */
export interface TokenStatements {
  list(): TokenRow[];
  get(id: number): TokenRow | undefined;
  getByName(name: string): TokenRow | undefined;
  getByHash(hash: Buffer): TokenRow | undefined;
  /** The new row's id. */
  insert(params: TokenInsert): number;
  delete(id: number): boolean;
  /** Sets last_used_at = at unless it is at or after `before`. */
  touch(params: { id: number; at: number; before: number }): void;
}

/** A token with its partner's Partner ID, as both backends select it. */
export const TOKEN_SELECT = 'SELECT t.*, p.partner_id AS partner_code FROM api_tokens t LEFT JOIN partners p ON p.id = t.partner';

/** API tokens, stored as hashes. Hashing and checking tokens is access/tokens.ts's job. */
export class TokensRepository {
  constructor(private readonly deps: { statements: TokenStatements; session: StoreSession; clock: { now(): number }; partners: PartnersRepository }) {}

  /** A token's partner as it is now (its grants and scope), looked up at every authentication. */
  partnerOf(token: TokenRecord): PartnerRecord | undefined {
    return token.partner ? this.deps.partners.get(token.partner.id) : undefined;
  }

  /** Stores a token's hash; throws TokenNameTakenError for a name in use. */
  insert(token: NewToken): TokenRecord {
    const { statements, session, clock, partners } = this.deps;
    let id: number;
    try {
      id = session.write(() => {
        // A partner-role token that names no partner belongs to the implicit partner, as every
        // such token made before partners existed does (see the migration).
        const partner = token.role !== 'partner' ? null : (token.partner ?? partners.implicitPartner().id);
        return statements.insert({ name: token.name, role: token.role, prefix: token.prefix, hash: token.hash, expiresAt: token.expiresAt ?? null, at: clock.now(), partner });
      });
    } catch (error) {
      if (session.uniqueViolation(error) === 'api_tokens.name') throw new TokenNameTakenError(token.name);
      throw error;
    }
    return toRecord(statements.get(id) as TokenRow);
  }

  list(): TokenRecord[] {
    return this.deps.statements.list().map(toRecord);
  }

  get(id: number): TokenRecord | undefined {
    const row = this.deps.statements.get(id);
    return row && toRecord(row);
  }

  getByName(name: string): TokenRecord | undefined {
    const row = this.deps.statements.getByName(name);
    return row && toRecord(row);
  }

  /** The token with this hash, with the stored hash (for a constant-time comparison). */
  findByHash(hash: Buffer): { record: TokenRecord; hash: Buffer } | undefined {
    const row = this.deps.statements.getByHash(hash);
    return row && { record: toRecord(row), hash: row.token_sha256 };
  }

  /** Removes a token; false if there was none with this id. */
  delete(id: number): boolean {
    return this.deps.statements.delete(id);
  }

  /** Records a use, writing at most once per `everyMs` per token (a request must not mean a write). */
  touch(id: number, everyMs: number): void {
    const at = this.deps.clock.now();
    this.deps.statements.touch({ id, at, before: at - everyMs });
  }
}

export function sqliteTokenStatements(db: Database.Database): TokenStatements {
  const list = db.prepare<[], TokenRow>(`${TOKEN_SELECT} ORDER BY t.id`);
  const get = db.prepare<[number], TokenRow>(`${TOKEN_SELECT} WHERE t.id = ?`);
  const getByName = db.prepare<[string], TokenRow>(`${TOKEN_SELECT} WHERE t.name = ?`);
  const getByHash = db.prepare<[Buffer], TokenRow>(`${TOKEN_SELECT} WHERE t.token_sha256 = ?`);
  const insert = db.prepare<[TokenInsert]>(
    `INSERT INTO api_tokens (name, role, prefix, token_sha256, created_at, expires_at, partner)
     VALUES (@name, @role, @prefix, @hash, @at, @expiresAt, @partner)`,
  );
  const remove = db.prepare<[number]>('DELETE FROM api_tokens WHERE id = ?');
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)');
  return {
    list: () => list.all(),
    get: (id) => get.get(id),
    getByName: (name) => getByName.get(name),
    getByHash: (hash) => getByHash.get(hash),
    insert: (params) => Number(insert.run(params).lastInsertRowid),
    delete: (id) => remove.run(id).changes > 0,
    touch: (params) => void touch.run(params),
  };
}

function toRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    partner: row.partner === null || row.partner_code === null ? null : { id: row.partner, partnerId: row.partner_code },
  };
}
