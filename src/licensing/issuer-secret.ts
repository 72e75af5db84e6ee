import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Shorter secrets are refused: the HMAC is only as strong as its key. */
export const MIN_SECRET_BYTES = 16;

const REDACTED = '<secret>';

/** The secret is missing or unusable. Messages name where it was looked for, never its content. */
export class IssuerSecretError extends Error {
  override readonly name = 'IssuerSecretError';
}

/**
 * The license issuer's HMAC key. It never leaves this object: it can only sign,
 * and it prints (toString, JSON, util.inspect, template strings) as `<secret>`.
 */
export class IssuerSecret {
  readonly #bytes: Buffer;

  private constructor(
    bytes: Buffer,
    /** Where it came from (a file path or "environment variable X"): safe to show. */
    readonly source: string,
    /** True only for DEMO_ISSUER_SECRET. */
    readonly demo: boolean,
  ) {
    this.#bytes = bytes;
  }

  /** A secret from text (surrounding whitespace removed); throws IssuerSecretError if empty or short. */
  static fromText(text: string, source: string): IssuerSecret {
    return IssuerSecret.#create(text, source, false);
  }

  static #create(text: string, source: string, demo: boolean): IssuerSecret {
    const trimmed = text.trim();
    if (trimmed.length === 0) throw new IssuerSecretError(`the issuer secret from ${source} is empty`);
    const bytes = Buffer.from(trimmed, 'utf8');
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IssuerSecretError(
        `the issuer secret from ${source} is too short (${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are needed): ` +
          'generate one with: openssl rand -base64 32',
      );
    }
    return new IssuerSecret(bytes, source, demo);
  }

  /** HMAC-SHA256 of the parts, concatenated. */
  hmac(...parts: readonly Uint8Array[]): Buffer {
    const mac = createHmac('sha256', this.#bytes);
    for (const part of parts) mac.update(part);
    return mac.digest();
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `IssuerSecret ${REDACTED} (from ${this.source})`;
  }

  /** See DEMO_ISSUER_SECRET. */
  static readonly DEMO: IssuerSecret = IssuerSecret.#create(
    'priscan-demo-issuer-secret-INSECURE-published-in-source',
    'the built-in demo secret',
    true,
  );
}

/**
 * INSECURE, FOR THE DEMO ONLY. This secret is published in priscan's source, so
 * anyone can issue keys with it. `priscan demo` uses it so that keys can be
 * issued and installed offline; a real installation must never accept it.
 */
export const DEMO_ISSUER_SECRET: IssuerSecret = IssuerSecret.DEMO;

/**
 * Where the issuer secret is: a file, or an environment variable. Never a
 * command-line argument (arguments are visible to every user in `ps`).
 */
export type IssuerSecretSource = { file: string } | { env: string };

export interface IssuerSecretDeps {
  environment?: NodeJS.ProcessEnv;
  readFile?: (path: string) => Buffer;
}

/** Loads the issuer secret; throws IssuerSecretError saying what to fix. */
export function loadIssuerSecret(source: IssuerSecretSource, deps: IssuerSecretDeps = {}): IssuerSecret {
  if ('file' in source) {
    const readFile = deps.readFile ?? ((path: string) => readFileSync(path));
    let content: Buffer;
    try {
      content = readFile(source.file);
    } catch (error) {
      throw new IssuerSecretError(`the issuer secret file ${source.file} ${unreadable(error)}`);
    }
    return IssuerSecret.fromText(content.toString('utf8'), `file ${source.file}`);
  }
  const environment = deps.environment ?? process.env;
  const value = environment[source.env];
  if (value === undefined) {
    throw new IssuerSecretError(`the environment variable ${source.env} (the issuer secret) is not set`);
  }
  return IssuerSecret.fromText(value, `environment variable ${source.env}`);
}

// Only the error code is used: an fs message could one day carry more than the path.
function unreadable(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read by this user (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}
