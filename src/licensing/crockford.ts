/**
 * Crockford base32 (https://www.crockford.com/base32.html): digits and upper-case
 * letters without I, L, O and U, so a key read aloud or retyped is hard to get wrong.
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const VALUES: ReadonlyMap<string, number> = new Map([...CROCKFORD_ALPHABET].map((char, value) => [char, value]));

/** A character outside the alphabet (after normalization), with its 1-based position. */
export class CrockfordAlphabetError extends Error {
  override readonly name = 'CrockfordAlphabetError';

  constructor(
    readonly character: string,
    readonly position: number,
  ) {
    super(`${describeCharacter(character)} at position ${position} is not a Crockford base32 character`);
  }
}

/** Encodes bytes, most significant bit first; a final partial group is padded with zero bits. */
export function encodeCrockford(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD_ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += CROCKFORD_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes canonical Crockford base32 (upper case, no separators: see
 * normalizeKeyInput for pasted text). Throws CrockfordAlphabetError naming the
 * first bad character; a text whose padding bits are not zero is not canonical
 * and is refused with a RangeError.
 */
export function decodeCrockford(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  let position = 0;
  for (const char of text) {
    position += 1;
    const value = VALUES.get(char);
    if (value === undefined) throw new CrockfordAlphabetError(char, position);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new RangeError('Crockford base32 text has non-zero padding bits');
  return out;
}

// People paste keys from mail, PDFs and chat: any Unicode space and the dash look-alikes.
const SEPARATORS = /[\s\u00ad\u2010-\u2015\u2212-]/gu;
const ALIASES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };

/**
 * Turns what an operator pasted into canonical Crockford text: removes spaces and
 * dashes anywhere, upper-cases, and maps the look-alikes O to 0 and I, L to 1.
 * U stays U (it is not in the alphabet, so decoding names it).
 */
export function normalizeKeyInput(text: string): string {
  return text
    .replace(SEPARATORS, '')
    // ASCII only, so a position in an error message is a position in what was pasted (minus separators).
    .replace(/[a-z]/g, (char) => char.toUpperCase())
    .replace(/[OIL]/g, (char) => ALIASES[char] ?? char);
}

/** Splits canonical text into dash-separated groups for display (a key of 64 reads as 8 groups of 8). */
export function groupForDisplay(text: string, size = 8): string {
  return text.match(new RegExp(`.{1,${size}}`, 'g'))?.join('-') ?? '';
}

/** "U" when it prints, else its code point (a zero-width space is invisible in a message). */
export function describeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const printable = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char);
  const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return printable ? `character ${JSON.stringify(char)} (${codePoint})` : `character ${codePoint}`;
}
