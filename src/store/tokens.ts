import type Database from 'better-sqlite3';
import type { Role } from '../access/tokens.js';
import type { PartnerRecord, PartnersRepository } from './partners.js';

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

interface TokenRow {
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

interface TokenStatements {
  list: Database.Statement<[], TokenRow>;
  get: Database.Statement<[number], TokenRow>;
  getByName: Database.Statement<[string], TokenRow>;
  getByHash: Database.Statement<[Buffer], TokenRow>;
  insert: Database.Statement<[{ name: string; role: string; prefix: string; hash: Buffer; at: number; expiresAt: number | null; partner: number | null }]>;
  delete: Database.Statement<[number]>;
  touch: Database.Statement<[{ id: number; at: number; before: number }]>;
}

/** API tokens, stored as hashes. Hashing and checking tokens is access/tokens.ts's job. */
export class TokensRepository {
  static prepare(db: Database.Database, clock: { now(): number }, partners: PartnersRepository): TokensRepository {
    const select = 'SELECT t.*, p.partner_id AS partner_code FROM api_tokens t LEFT JOIN partners p ON p.id = t.partner';
    const statements: TokenStatements = {
      list: db.prepare(`${select} ORDER BY t.id`),
      get: db.prepare(`${select} WHERE t.id = ?`),
      getByName: db.prepare(`${select} WHERE t.name = ?`),
      getByHash: db.prepare(`${select} WHERE t.token_sha256 = ?`),
      insert: db.prepare(
        `INSERT INTO api_tokens (name, role, prefix, token_sha256, created_at, expires_at, partner)
         VALUES (@name, @role, @prefix, @hash, @at, @expiresAt, @partner)`,
      ),
      delete: db.prepare('DELETE FROM api_tokens WHERE id = ?'),
      touch: db.prepare(
        'UPDATE api_tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)',
      ),
    };
    const insertTx = db.transaction((token: NewToken, at: number) => {
      // A partner-role token that names no partner belongs to the implicit partner, as every
      // such token made before partners existed does (see the migration).
      const partner = token.role !== 'partner' ? null : (token.partner ?? partners.implicitPartner().id);
      return statements.insert.run({ name: token.name, role: token.role, prefix: token.prefix, hash: token.hash, expiresAt: token.expiresAt ?? null, at, partner });
    });
    return new TokensRepository(statements, insertTx, clock, partners);
  }

  private constructor(
    private readonly statements: TokenStatements,
    private readonly insertTx: Database.Transaction<(token: NewToken, at: number) => Database.RunResult>,
    private readonly clock: { now(): number },
    private readonly partners: PartnersRepository,
  ) {}

  /** A token's partner as it is now (its grants and scope), looked up at every authentication. */
  partnerOf(token: TokenRecord): PartnerRecord | undefined {
    return token.partner ? this.partners.get(token.partner.id) : undefined;
  }

  /** Stores a token's hash; throws TokenNameTakenError for a name in use. */
  insert(token: NewToken): TokenRecord {
    let result: Database.RunResult;
    try {
      result = this.insertTx.immediate(token, this.clock.now());
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('api_tokens.name')) {
        throw new TokenNameTakenError(token.name);
      }
      throw error;
    }
    return toRecord(this.statements.get.get(Number(result.lastInsertRowid)) as TokenRow);
  }

  list(): TokenRecord[] {
    return this.statements.list.all().map(toRecord);
  }

  get(id: number): TokenRecord | undefined {
    const row = this.statements.get.get(id);
    return row && toRecord(row);
  }

  getByName(name: string): TokenRecord | undefined {
    const row = this.statements.getByName.get(name);
    return row && toRecord(row);
  }

  /** The token with this hash, with the stored hash (for a constant-time comparison). */
  findByHash(hash: Buffer): { record: TokenRecord; hash: Buffer } | undefined {
    const row = this.statements.getByHash.get(hash);
    return row && { record: toRecord(row), hash: row.token_sha256 };
  }

  /** Removes a token; false if there was none with this id. */
  delete(id: number): boolean {
    return this.statements.delete.run(id).changes > 0;
  }

  /** Records a use, writing at most once per `everyMs` per token (a request must not mean a write). */
  touch(id: number, everyMs: number): void {
    const at = this.clock.now();
    this.statements.touch.run({ id, at, before: at - everyMs });
  }
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
