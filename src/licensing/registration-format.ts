import { createHash, randomBytes } from 'node:crypto';
import { CrockfordAlphabetError, decodeCrockford, describeCharacter, encodeCrockford, groupForDisplay, normalizeKeyInput } from './crockford.js';

// What registration requests and codes share: the System ID, the texts people paste (Crockford
// base32, spaces and dashes ignored), and a small reader of the fields inside.

/** The first byte says what a pasted text is, so each tool can say "that is the other one". */
export const TEXT_TYPE = { request: 0x01, registration: 0x02, reassociation: 0x03 } as const;
export const FORMAT = 1;

/** 10 random bytes: 16 Crockford characters, shown as four groups of four. */
export const SYSTEM_ID_BYTES = 10;
const SYSTEM_ID_LENGTH = 16;

/** A new System ID, canonical (16 characters, no dashes). */
export function generateSystemId(random: (size: number) => Buffer = randomBytes): string {
  return encodeCrockford(random(SYSTEM_ID_BYTES));
}

/** XXXX-XXXX-XXXX-XXXX: how a System ID is shown. */
export function displaySystemId(systemId: string): string {
  return groupForDisplay(systemId, 4);
}

/** A System ID as typed (dashes, spaces, lower case, O/I/L tolerated), canonical; throws RegistrationTextError if it is none. */
export function parseSystemId(text: string): string {
  const canonical = normalizeKeyInput(text);
  if (canonical.length !== SYSTEM_ID_LENGTH || !/^[0-9A-HJKMNP-TV-Z]+$/.test(canonical)) {
    throw new RegistrationTextError('MALFORMED', `${JSON.stringify(text.slice(0, 40))} is not a System ID: it has 16 characters (digits and letters without I, L, O, U), shown as XXXX-XXXX-XXXX-XXXX`);
  }
  return canonical;
}

export function systemIdBytes(systemId: string): Buffer {
  return Buffer.from(decodeCrockford(systemId));
}

export function systemIdFromBytes(bytes: Uint8Array): string {
  return encodeCrockford(bytes);
}

/** The first 8 bytes of SHA-256 of a public key, as 16 hex characters: what codes are bound to. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

export type RegistrationTextReason =
  /** Not readable as such a text: characters, length, structure. */
  | 'MALFORMED'
  /** Another kind of text (a request where a code was expected, or a registration code where a reassociation code was). */
  | 'WRONG_KIND'
  | 'UNKNOWN_FORMAT'
  /** Its signature or tag does not verify: altered, mistyped, or (a code) made with another issuer secret. */
  | 'TAMPERED'
  /** A genuine code for another installation's System ID. */
  | 'FOREIGN'
  /** A genuine code for this System ID, made for another installation key. */
  | 'OTHER_KEY';

/** A request or code was refused; the message says why and what to do, never a secret. */
export class RegistrationTextError extends Error {
  override readonly name = 'RegistrationTextError';

  constructor(
    readonly reason: RegistrationTextReason,
    message: string,
  ) {
    super(message);
  }
}

/** Crockford text as pasted -> bytes, with the type byte and format checked. `what` names the text in messages. */
export function decodePasted(text: string, what: 'registration request' | 'registration code'): { type: number; bytes: Buffer } {
  const canonical = normalizeKeyInput(unarmored(text));
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeCrockford(canonical));
  } catch (error) {
    if (error instanceof CrockfordAlphabetError) {
      throw new RegistrationTextError(
        'MALFORMED',
        `the ${what} has a ${describeCharacter(error.character)} at position ${error.position} (not counting spaces and dashes): ` +
          'it uses only digits and the letters A-Z without I, L, O and U',
      );
    }
    throw incomplete(what);
  }
  if (bytes.length < 3) throw incomplete(what);
  const type = bytes.readUInt8(0);
  if (bytes.readUInt8(1) !== FORMAT && Object.values(TEXT_TYPE).includes(type as never)) {
    throw new RegistrationTextError('UNKNOWN_FORMAT', `this ${what} has format ${bytes.readUInt8(1)}, and this priscan reads format ${FORMAT} only: upgrade priscan`);
  }
  return { type, bytes };
}

/** What is between -----BEGIN …----- and -----END …----- lines, when the text has them; else the text. */
function unarmored(text: string): string {
  const armored = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(text);
  return armored ? armored[1]! : text;
}

export function incomplete(what: string): RegistrationTextError {
  return new RegistrationTextError('MALFORMED', `the ${what} is incomplete or has something else pasted with it: copy it again, completely`);
}

/** Bytes -> the text people copy: groups of 8 characters, `perLine` groups a line. */
export function displayText(bytes: Uint8Array, perLine = 6): string {
  const groups = groupForDisplay(encodeCrockford(bytes)).split('-');
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += perLine) lines.push(groups.slice(i, i + perLine).join('-'));
  return lines.join('\n');
}

/** Reads the fields of a request or code in order; `fail` makes the error for a text that ends early or runs on. */
export class FieldReader {
  private at = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly fail: () => Error,
  ) {}

  get offset(): number {
    return this.at;
  }

  take(length: number): Buffer {
    if (this.at + length > this.bytes.length) throw this.fail();
    const part = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return part;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  /** A UTF-8 text after its length byte. */
  text(): string {
    return this.take(this.u8()).toString('utf8');
  }

  /** The reader must be at the end (nothing pasted after the text). */
  end(): void {
    if (this.at !== this.bytes.length) throw this.fail();
  }
}

/** A UTF-8 text with its length byte; throws RangeError when over `max` bytes. */
export function textField(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > max) throw new RangeError(`${JSON.stringify(text)} is longer than ${max} bytes`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}
