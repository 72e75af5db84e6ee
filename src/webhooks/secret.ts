import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Shorter secrets are refused: the signature is only as strong as its key. */
export const MIN_WEBHOOK_SECRET_BYTES = 16;

const REDACTED = '<secret>';

/**
 * A webhook's shared HMAC key. It can only sign, and prints (toString, JSON, util.inspect) as
 * `<secret>`, so it never reaches a log line or an API answer.
 */
export class WebhookSecret {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** From text, surrounding whitespace (a file's newline) removed; `source` names where it came from in errors. */
  static fromText(text: string, source: string): WebhookSecret {
    const key = Buffer.from(text.trim(), 'utf8');
    if (key.length < MIN_WEBHOOK_SECRET_BYTES) {
      throw new Error(`the secret from ${source} is ${key.length === 0 ? 'empty' : `too short (${key.length} bytes)`}: at least ${MIN_WEBHOOK_SECRET_BYTES} bytes are needed (openssl rand -hex 32 makes one)`);
    }
    return new WebhookSecret(key);
  }

  /** HMAC-SHA256 over `<timestamp>.<body>`, hex. */
  sign(timestamp: number, body: string): string {
    return createHmac('sha256', this.#key).update(`${timestamp}.`).update(body).digest('hex');
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WebhookSecret ${REDACTED}`;
  }
}

export interface SecretSources {
  environment?: NodeJS.ProcessEnv;
  readFile?: (path: string) => Buffer;
}

/** Loads a webhook's secret from its file or environment variable; the error says which, never what it holds. */
export function loadWebhookSecret(where: { secretFile?: string; secretEnv?: string }, sources: SecretSources = {}): WebhookSecret {
  if (where.secretFile !== undefined) {
    let content: Buffer;
    try {
      content = (sources.readFile ?? ((path: string) => readFileSync(path)))(where.secretFile);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new Error(`cannot read the secret file ${where.secretFile} (${typeof code === 'string' ? code : 'unknown error'})`);
    }
    return WebhookSecret.fromText(content.toString('utf8'), `file ${where.secretFile}`);
  }
  const name = where.secretEnv ?? '';
  const value = (sources.environment ?? process.env)[name];
  if (value === undefined) throw new Error(`the environment variable ${name} is not set`);
  return WebhookSecret.fromText(value, `environment variable ${name}`);
}
