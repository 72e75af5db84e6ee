import { createHash, timingSafeEqual } from 'node:crypto';
import { CROCKFORD_ALPHABET, decodeCrockford, describeCharacter, encodeCrockford, normalizeKeyInput } from './crockford.js';
import { formatMac, parseMac, type ServerIdentity } from './identity.js';
import type { IssuerSecret } from './issuer-secret.js';

/*
 * A license key is 40 bytes, written as 64 Crockford base32 characters:
 *   payload (10 bytes): format u8 (1) | nodes u16 BE | serial u32 BE | issue day u16 BE | edition u8
 *   tag (30 bytes): HMAC-SHA256(issuer secret, "priscan-license-v1" || payload || MAC (6 bytes)), first 30 bytes
 * The MAC is not in the key: it is only in the tag. A key that fails for this
 * server's MAC therefore cannot say which MAC it was made for, unless one of the
 * candidates we try (this machine's other interfaces) matches, or the issuer's
 * ledger is asked about its serial.
 */
export const KEY_FORMAT = 1;
export const KEY_BYTES = 40;
export const KEY_LENGTH = 64;
const PAYLOAD_BYTES = 10;
const TAG_BYTES = 30;
const DOMAIN = Buffer.from('priscan-license-v1', 'ascii');
const EPOCH_MS = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;
const MAX_U16 = 0xffff;

/** Editions and their byte in the key. Only the byte is stored: never renumber. */
export const EDITIONS = { standard: 1, enterprise: 2, demo: 3 } as const;
export type Edition = keyof typeof EDITIONS;
const EDITION_BY_BYTE: ReadonlyMap<number, Edition> = new Map(
  Object.entries(EDITIONS).map(([name, byte]) => [byte, name as Edition]),
);

/** A verified key: what it grants, and for which MAC. */
export interface LicenseKey {
  /** The canonical 64 characters. */
  key: string;
  /** A short, non-secret id for listings: 8 hex characters of SHA-256 over the key's bytes. */
  fingerprint: string;
  /** First 4 bytes of SHA-256 of the passcode: one passcode, one serial. */
  serial: number;
  /** The serial as 8 hex characters, as the issuer's ledger shows it. */
  serialHex: string;
  nodes: number;
  edition: Edition;
  /** Days since 2020-01-01 UTC. */
  issueDay: number;
  /** The issue day as YYYY-MM-DD (UTC). */
  issuedOn: string;
  /** The MAC the key is bound to, aa:bb:cc:dd:ee:ff. */
  mac: string;
}

export type LicenseKeyReason =
  | 'MALFORMED_LENGTH'
  | 'MALFORMED_ALPHABET'
  | 'UNKNOWN_FORMAT'
  | 'UNKNOWN_EDITION'
  /** The key verifies for another MAC of this machine (one of the candidates given). */
  | 'OTHER_MAC'
  /** The key verifies for no MAC we know: made for another server, or altered, or mistyped. */
  | 'TAMPERED';

/** A key was refused. The message says what to do; it never carries the issuer secret. */
export class LicenseKeyError extends Error {
  override readonly name = 'LicenseKeyError';

  constructor(
    readonly reason: LicenseKeyReason,
    message: string,
    readonly details: { position?: number; character?: string; serverMac?: string; keyMac?: string } = {},
  ) {
    super(message);
  }
}

/** A request to issue cannot be met (bad node count, passcode, date or MAC). */
export class LicenseIssueError extends Error {
  override readonly name = 'LicenseIssueError';
}

export interface IssueKeyRequest {
  secret: IssuerSecret;
  /** The server's MAC, in any form parseMac accepts. */
  mac: string;
  /** 1 to 65535. */
  nodes: number;
  /** The purchase passcode; surrounding whitespace is ignored. */
  passcode: string;
  edition: Edition;
  issuedOn: Date;
}

/** Makes a key (the license authority's side). Throws LicenseIssueError for a request out of range. */
export function issueKey(request: IssueKeyRequest): LicenseKey {
  const { nodes, edition, issuedOn } = request;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_U16) {
    throw new LicenseIssueError(`a key grants 1 to ${MAX_U16} nodes, not ${String(nodes)}`);
  }
  if (!Object.hasOwn(EDITIONS, edition)) {
    throw new LicenseIssueError(`unknown edition ${JSON.stringify(edition)}: use one of ${Object.keys(EDITIONS).join(', ')}`);
  }
  const issueDay = Math.floor((issuedOn.getTime() - EPOCH_MS) / DAY_MS);
  if (!Number.isInteger(issueDay) || issueDay < 0 || issueDay > MAX_U16) {
    throw new LicenseIssueError(`the issue date must be a valid date from 2020-01-01 on, not ${String(issuedOn)}`);
  }
  let macBytes: Uint8Array;
  try {
    macBytes = parseMac(request.mac);
  } catch (error) {
    throw new LicenseIssueError((error as Error).message);
  }
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload.writeUInt8(KEY_FORMAT, 0);
  payload.writeUInt16BE(nodes, 1);
  payload.writeUInt32BE(passcodeSerial(request.passcode), 3);
  payload.writeUInt16BE(issueDay, 7);
  payload.writeUInt8(EDITIONS[edition], 9);
  const bytes = Buffer.concat([payload, tagFor(request.secret, payload, macBytes)]);
  return describeKey(bytes, edition, formatMac(macBytes));
}

export interface VerifyKeyRequest {
  /** As pasted: spaces, dashes, lower case and O/I/L are tolerated. */
  key: string;
  secret: IssuerSecret;
  /** This server's licensing MAC. */
  mac: string;
  /** Other MACs of this machine, tried only to explain a failure (see OTHER_MAC). */
  otherMacs?: readonly ServerIdentity[];
}

/** Verifies a key for this server; throws LicenseKeyError with the reason and what to do. */
export function verifyKey(request: VerifyKeyRequest): LicenseKey {
  const bytes = decodeKey(request.key);
  const serverMac = parseMac(request.mac);
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  const tag = bytes.subarray(PAYLOAD_BYTES);
  const serialHex = hex8(payload.readUInt32BE(3));

  if (tagMatches(tag, tagFor(request.secret, payload, serverMac))) {
    const edition = EDITION_BY_BYTE.get(payload.readUInt8(9));
    if (edition === undefined) {
      throw new LicenseKeyError(
        'UNKNOWN_EDITION',
        `license key ${serialHex} is genuine but of an edition (${payload.readUInt8(9)}) this priscan does not know: upgrade priscan`,
      );
    }
    return describeKey(bytes, edition, formatMac(serverMac));
  }

  const mine = formatMac(serverMac);
  for (const other of request.otherMacs ?? []) {
    const otherBytes = parseMac(other.mac);
    if (formatMac(otherBytes) === mine || !tagMatches(tag, tagFor(request.secret, payload, otherBytes))) continue;
    throw new LicenseKeyError(
      'OTHER_MAC',
      `license key ${serialHex} was issued for MAC ${other.mac} (interface ${other.interface} of this machine), ` +
        `but this server's licensing MAC is ${mine}: set the licensing interface to ${other.interface}, ` +
        `or ask the license authority to issue the key for ${mine}`,
      { serverMac: mine, keyMac: other.mac },
    );
  }
  throw new LicenseKeyError(
    'TAMPERED',
    `license key ${serialHex} does not verify for this server (MAC ${mine}): it was issued for a different server's MAC, ` +
      `or it was altered or mistyped. Compare it with the key you were sent; if it matches, ask the license authority ` +
      `to issue it for MAC ${mine} (quote serial ${serialHex})`,
    { serverMac: mine },
  );
}

/** What a key says about itself, NOT verified: for support and the issuer's ledger look-ups only. */
export interface KeyClaims {
  key: string;
  fingerprint: string;
  serial: number;
  serialHex: string;
  nodes: number;
  editionByte: number;
  issueDay: number;
}

/** Reads a key's payload without verifying it; throws LicenseKeyError if it is malformed. */
export function readKeyClaims(text: string): KeyClaims {
  const bytes = decodeKey(text);
  const serial = bytes.readUInt32BE(3);
  return {
    key: encodeCrockford(bytes),
    fingerprint: keyFingerprint(bytes),
    serial,
    serialHex: hex8(serial),
    nodes: bytes.readUInt16BE(1),
    editionByte: bytes.readUInt8(9),
    issueDay: bytes.readUInt16BE(7),
  };
}

/** The key's serial: the first 4 bytes of SHA-256 of the passcode (trimmed), big-endian. */
export function passcodeSerial(passcode: string): number {
  return passcodeDigest(passcode).readUInt32BE(0);
}

/** SHA-256 of the passcode (trimmed): what the issuer's ledger keeps instead of the passcode. */
export function passcodeDigest(passcode: string): Buffer {
  const trimmed = passcode.trim();
  if (trimmed.length === 0) throw new LicenseIssueError('the passcode is empty');
  return createHash('sha256').update(trimmed, 'utf8').digest();
}

export function keyFingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8);
}

/** The serial as the 8 hex characters listings show. */
export function hex8(serial: number): string {
  return serial.toString(16).padStart(8, '0');
}

/** Days since 2020-01-01 as YYYY-MM-DD. */
export function issueDate(issueDay: number): string {
  return new Date(EPOCH_MS + issueDay * DAY_MS).toISOString().slice(0, 10);
}

function decodeKey(text: string): Buffer {
  const canonical = normalizeKeyInput(text);
  let position = 0;
  for (const char of canonical) {
    position += 1;
    if (!CROCKFORD_ALPHABET.includes(char)) {
      const hint = char === 'U' ? ' (U is never used in keys: is it a V?)' : '';
      throw new LicenseKeyError(
        'MALFORMED_ALPHABET',
        `the license key has a ${describeCharacter(char)} at position ${position}, counting key characters only ` +
          `(not spaces or dashes)${hint}: keys use only digits and the letters A-Z without I, L, O and U; ` +
          'check that character against the key you were sent',
        { position, character: char },
      );
    }
  }
  if (position !== KEY_LENGTH) {
    throw new LicenseKeyError(
      'MALFORMED_LENGTH',
      `a license key has ${KEY_LENGTH} characters (not counting spaces and dashes), this one has ${position}: ` +
        `check that it was copied completely${position > KEY_LENGTH ? ' and that nothing else was pasted with it' : ''}`,
    );
  }
  const bytes = Buffer.from(decodeCrockford(canonical));
  const format = bytes.readUInt8(0);
  if (format !== KEY_FORMAT) {
    throw new LicenseKeyError(
      'UNKNOWN_FORMAT',
      `this license key has format ${format}, and this priscan reads format ${KEY_FORMAT} only: ` +
        'the key may be for a newer priscan (upgrade priscan) or it was mistyped (check its first two characters)',
    );
  }
  return bytes;
}

function tagFor(secret: IssuerSecret, payload: Uint8Array, mac: Uint8Array): Buffer {
  return secret.hmac(DOMAIN, payload, mac).subarray(0, TAG_BYTES);
}

function tagMatches(actual: Uint8Array, expected: Uint8Array): boolean {
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function describeKey(bytes: Buffer, edition: Edition, mac: string): LicenseKey {
  const serial = bytes.readUInt32BE(3);
  const issueDay = bytes.readUInt16BE(7);
  return {
    key: encodeCrockford(bytes),
    fingerprint: keyFingerprint(bytes),
    serial,
    serialHex: hex8(serial),
    nodes: bytes.readUInt16BE(1),
    edition,
    issueDay,
    issuedOn: issueDate(issueDay),
    mac,
  };
}
