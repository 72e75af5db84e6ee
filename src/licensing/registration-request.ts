import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { formatMac, parseMac } from './identity.js';
import {
  decodePasted,
  displayText,
  FieldReader,
  FORMAT,
  incomplete,
  keyFingerprint,
  RegistrationTextError,
  SYSTEM_ID_BYTES,
  systemIdBytes,
  systemIdFromBytes,
  TEXT_TYPE,
  textField,
} from './registration-format.js';

/*
 * An offline registration request: what the installation tells the license authority, signed with
 * the installation's own Ed25519 key. An HMAC would need a secret the customer's side shares with
 * the authority, and the issuer secret must not be on every installation for that; a key pair made
 * once per installation needs nothing shared. Its signature shows the request arrived as made, and
 * the public key (in the request) is what the authority binds the registration code to.
 *
 *   type u8 (1) | format u8 (1) | System ID (10) | MAC (6; zeros: none) | licensed nodes u32 |
 *   made at u32 (seconds since 1970) | version (u8 length, UTF-8) | public key (32) |
 *   signature (64): Ed25519 over "priscan-registration-request-v1" || everything before it
 */
const DOMAIN = Buffer.from('priscan-registration-request-v1', 'ascii');
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const VERSION_MAX = 64;
const NO_MAC = Buffer.alloc(6);
/** Around the request, so it can be pasted out of a mail with whatever surrounds it (see decodePasted). */
const BEGIN = '-----BEGIN PRISCAN REGISTRATION REQUEST-----';
const END = '-----END PRISCAN REGISTRATION REQUEST-----';

/** The installation's signing key: made once, kept in its database (PKCS#8 DER, base64). */
export class InstallationKey {
  private constructor(
    private readonly privateKey: KeyObject,
    /** The raw 32-byte Ed25519 public key. */
    readonly publicKey: Buffer,
  ) {}

  static generate(): InstallationKey {
    return InstallationKey.fromPrivate(generateKeyPairSync('ed25519').privateKey);
  }

  /** From what `stored` wrote. */
  static fromStored(text: string): InstallationKey {
    return InstallationKey.fromPrivate(createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' }));
  }

  private static fromPrivate(privateKey: KeyObject): InstallationKey {
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    return new InstallationKey(privateKey, Buffer.from(String(jwk.x), 'base64url'));
  }

  get fingerprint(): string {
    return keyFingerprint(this.publicKey);
  }

  stored(): string {
    return this.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  }

  sign(message: Buffer): Buffer {
    return sign(null, message, this.privateKey);
  }

  toString(): string {
    return `InstallationKey ${this.fingerprint}`;
  }
}

/** What a request says; verified (its signature checked) when read with readRegistrationRequest. */
export interface RegistrationRequest {
  systemId: string;
  /** The licensing MAC (aa:bb:cc:dd:ee:ff), or null when the server had none. */
  mac: string | null;
  licensedNodes: number;
  /** When it was made (ms). */
  madeAt: number;
  version: string;
  publicKey: Buffer;
  /** keyFingerprint(publicKey). */
  keyFingerprint: string;
}

export interface RequestFacts {
  systemId: string;
  mac: string | null;
  licensedNodes: number;
  madeAt: number;
  version: string;
}

/** The signed request as text to copy: between BEGIN and END lines, groups of 8 characters. */
export function makeRegistrationRequest(facts: RequestFacts, key: InstallationKey): string {
  const header = Buffer.alloc(2 + SYSTEM_ID_BYTES + 6 + 8);
  header.writeUInt8(TEXT_TYPE.request, 0);
  header.writeUInt8(FORMAT, 1);
  systemIdBytes(facts.systemId).copy(header, 2);
  (facts.mac === null ? NO_MAC : Buffer.from(parseMac(facts.mac))).copy(header, 2 + SYSTEM_ID_BYTES);
  header.writeUInt32BE(Math.min(facts.licensedNodes, 0xffffffff), 18);
  header.writeUInt32BE(Math.floor(facts.madeAt / 1000), 22);
  const body = Buffer.concat([header, textField(facts.version.slice(0, VERSION_MAX), 255), key.publicKey]);
  return `${BEGIN}\n${displayText(Buffer.concat([body, key.sign(Buffer.concat([DOMAIN, body]))]))}\n${END}`;
}

/** Reads a pasted request and checks its signature; throws RegistrationTextError saying why not. */
export function readRegistrationRequest(text: string): RegistrationRequest {
  const what = 'registration request';
  const { type, bytes } = decodePasted(text, what);
  if (type === TEXT_TYPE.registration || type === TEXT_TYPE.reassociation) {
    throw new RegistrationTextError('WRONG_KIND', 'this is a registration code (the answer to a request), not a request: apply it on the installation with priscan registration apply');
  }
  if (type !== TEXT_TYPE.request) throw new RegistrationTextError('MALFORMED', 'this is not a priscan registration request: copy the whole output of priscan registration request');
  const reader = new FieldReader(bytes, () => incomplete(what));
  reader.take(2);
  const systemId = systemIdFromBytes(reader.take(SYSTEM_ID_BYTES));
  const macBytes = reader.take(6);
  const licensedNodes = reader.u32();
  const madeAt = reader.u32() * 1000;
  const version = reader.text();
  const publicKey = Buffer.from(reader.take(PUBLIC_KEY_BYTES));
  const signed = bytes.subarray(0, reader.offset);
  const signature = reader.take(SIGNATURE_BYTES);
  reader.end();
  let genuine = false;
  try {
    const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
    genuine = verify(null, Buffer.concat([DOMAIN, signed]), keyObject, signature);
  } catch {
    genuine = false;
  }
  if (!genuine) {
    throw new RegistrationTextError('TAMPERED', 'the registration request does not verify (its signature does not match): it was altered or mistyped; ask for it again, copied whole');
  }
  return {
    systemId,
    mac: macBytes.equals(NO_MAC) ? null : formatMac(macBytes),
    licensedNodes,
    madeAt,
    version,
    publicKey,
    keyFingerprint: keyFingerprint(publicKey),
  };
}
