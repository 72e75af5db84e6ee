/**
 * SNMPv3 User-based Security Model (RFC 3414, RFC 7860 for SHA-2, RFC 3826 for AES): user
 * definitions, key derivation and localization, message authentication and privacy.
 * Pure functions over buffers; message layout is v3.ts's.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, getCiphers, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type AuthProtocol = (typeof AUTH_PROTOCOLS)[number];
/** aes256 is the Blumenthal key extension: net-snmp's `-x AES256`. */
export const PRIV_PROTOCOLS = ['des', 'aes128', 'aes256'] as const;
export type PrivProtocol = (typeof PRIV_PROTOCOLS)[number];
export const SECURITY_LEVELS = ['noAuthNoPriv', 'authNoPriv', 'authPriv'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

/** RFC 3414 11.2: shorter passwords give guessable keys; net-snmp refuses them too. */
export const MIN_PASSWORD_LENGTH = 8;

/** One USM user as configured. Passwords are secrets: never logged, never returned. */
export interface UsmUser {
  name: string;
  level: SecurityLevel;
  authProtocol?: AuthProtocol;
  authPassword?: string;
  privProtocol?: PrivProtocol;
  privPassword?: string;
}

/** A user's keys localized to one authoritative engine. */
export interface LocalizedUser {
  user: UsmUser;
  engineId: Buffer;
  auth?: { protocol: AuthProtocol; key: Buffer };
  priv?: { protocol: PrivProtocol; key: Buffer };
}

interface AuthAlgorithm {
  hash: string;
  /** Length of msgAuthenticationParameters: HMAC-96 for MD5/SHA-1, RFC 7860 for SHA-2. */
  macLength: number;
}

const AUTH: Record<AuthProtocol, AuthAlgorithm> = {
  md5: { hash: 'md5', macLength: 12 },
  sha: { hash: 'sha1', macLength: 12 },
  sha224: { hash: 'sha224', macLength: 16 },
  sha256: { hash: 'sha256', macLength: 24 },
  sha384: { hash: 'sha384', macLength: 32 },
  sha512: { hash: 'sha512', macLength: 48 },
};

interface PrivAlgorithm {
  cipher: string;
  keyLength: number;
}

const PRIV: Record<PrivProtocol, PrivAlgorithm> = {
  des: { cipher: 'des-cbc', keyLength: 8 },
  aes128: { cipher: 'aes-128-cfb', keyLength: 16 },
  aes256: { cipher: 'aes-256-cfb', keyLength: 32 },
};

export function authParamsLength(protocol: AuthProtocol): number {
  return AUTH[protocol].macLength;
}

/**
 * Whether this Node can run DES-CBC: OpenSSL 3 moved it to the legacy provider, which Node
 * loads only when started with --openssl-legacy-provider.
 */
export function desAvailable(): boolean {
  if (!getCiphers().includes('des-cbc')) return false;
  try {
    createCipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

export const DES_UNAVAILABLE =
  'DES privacy needs Node.js started with --openssl-legacy-provider (OpenSSL 3 ships DES only in its legacy provider); use aes128 or aes256 where the device allows';

/** What is wrong with a user definition, or undefined. The text never holds a password. */
export function checkUser(user: UsmUser): string | undefined {
  if (user.name.length === 0 || Buffer.byteLength(user.name) > 32) return 'the user name must be 1 to 32 bytes';
  if (!SECURITY_LEVELS.includes(user.level)) return `unknown security level ${String(user.level)}`;
  if (user.authProtocol !== undefined && !AUTH_PROTOCOLS.includes(user.authProtocol)) return `unknown auth protocol ${String(user.authProtocol)}; known: ${AUTH_PROTOCOLS.join(', ')}`;
  if (user.privProtocol !== undefined && !PRIV_PROTOCOLS.includes(user.privProtocol)) return `unknown privacy protocol ${String(user.privProtocol)}; known: ${PRIV_PROTOCOLS.join(', ')}`;
  const needsAuth = user.level !== 'noAuthNoPriv';
  const needsPriv = user.level === 'authPriv';
  if (needsAuth && (!user.authProtocol || user.authPassword === undefined)) return `security level ${user.level} needs authProtocol and authPassword`;
  if (needsPriv && (!user.privProtocol || user.privPassword === undefined)) return 'security level authPriv needs privProtocol and privPassword';
  if (needsAuth && user.authPassword!.length < MIN_PASSWORD_LENGTH) return `authPassword must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (needsPriv && user.privPassword!.length < MIN_PASSWORD_LENGTH) return `privPassword must be at least ${MIN_PASSWORD_LENGTH} characters`;
  return undefined;
}

/** RFC 3414 A.2: the user's key Ku, hashed from 1 MiB of the repeated password. */
export function passwordToKey(protocol: AuthProtocol, password: string): Buffer {
  const pass = Buffer.from(password, 'utf8');
  if (pass.length === 0) throw new RangeError('an empty password has no key');
  // Buffer.alloc repeats a Buffer fill value: exactly the password stream the RFC hashes.
  return createHash(AUTH[protocol].hash).update(Buffer.alloc(1024 * 1024, pass)).digest();
}

/** RFC 3414 A.2: Kul = H(Ku || engineID || Ku). */
export function localizeKey(protocol: AuthProtocol, ku: Buffer, engineId: Buffer): Buffer {
  return createHash(AUTH[protocol].hash).update(ku).update(engineId).update(ku).digest();
}

/** Localized privacy key of the cipher's length (Blumenthal extension for aes256: K || H(K) ...). */
function privacyKey(privProtocol: PrivProtocol, authProtocol: AuthProtocol, localized: Buffer): Buffer {
  const need = privProtocol === 'des' ? 16 : PRIV[privProtocol].keyLength;
  let key = localized;
  while (key.length < need) key = Buffer.concat([key, createHash(AUTH[authProtocol].hash).update(key).digest()]);
  return key.subarray(0, need);
}

/**
 * Localized keys by user and engine. Deriving Ku hashes 1 MiB, so both steps are cached;
 * bounded, as a receiver may hear from any number of engines.
 */
export class KeyCache {
  private readonly userKeys = new Map<string, Buffer>();
  private readonly localized = new Map<string, LocalizedUser>();

  constructor(private readonly maxEntries = 20_000) {}

  localize(user: UsmUser, engineId: Buffer): LocalizedUser {
    const id = `${user.name}\u0000${user.level}\u0000${user.authProtocol}\u0000${user.authPassword}\u0000${user.privProtocol}\u0000${user.privPassword}\u0000${engineId.toString('hex')}`;
    const cached = this.localized.get(id);
    if (cached) return cached;
    const result: LocalizedUser = { user, engineId: Buffer.from(engineId) };
    if (user.level !== 'noAuthNoPriv' && user.authProtocol && user.authPassword !== undefined) {
      const authProtocol = user.authProtocol;
      result.auth = { protocol: authProtocol, key: localizeKey(authProtocol, this.userKey(authProtocol, user.authPassword), engineId) };
      if (user.level === 'authPriv' && user.privProtocol && user.privPassword !== undefined) {
        const localized = localizeKey(authProtocol, this.userKey(authProtocol, user.privPassword), engineId);
        result.priv = { protocol: user.privProtocol, key: privacyKey(user.privProtocol, authProtocol, localized) };
      }
    }
    remember(this.localized, id, result, this.maxEntries);
    return result;
  }

  private userKey(protocol: AuthProtocol, password: string): Buffer {
    const id = `${protocol}\u0000${password}`;
    const cached = this.userKeys.get(id);
    if (cached) return cached;
    const key = passwordToKey(protocol, password);
    remember(this.userKeys, id, key, this.maxEntries);
    return key;
  }
}

function remember<T>(map: Map<string, T>, id: string, value: T, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(id, value);
}

/** The MAC over a whole message whose authentication parameters are zeroed. */
export function computeMac(auth: { protocol: AuthProtocol; key: Buffer }, message: Buffer): Buffer {
  const algorithm = AUTH[auth.protocol];
  return createHmac(algorithm.hash, auth.key).update(message).digest().subarray(0, algorithm.macLength);
}

/** Writes the MAC into a message built with zeroed authentication parameters at `offset`. */
export function signMessage(auth: { protocol: AuthProtocol; key: Buffer }, message: Buffer, offset: number): void {
  computeMac(auth, message).copy(message, offset);
}

/** Checks the MAC at `offset` (its length is the protocol's); leaves `message` as it was. */
export function verifyMessage(auth: { protocol: AuthProtocol; key: Buffer }, message: Buffer, offset: number, received: Buffer): boolean {
  const length = AUTH[auth.protocol].macLength;
  if (received.length !== length) return false;
  const copy = Buffer.from(message);
  copy.fill(0, offset, offset + length);
  return timingSafeEqual(computeMac(auth, copy), received);
}

/** The engine's clock as the message carries it, which seeds the IV. */
export interface EngineClock {
  boots: number;
  time: number;
}

/** Encrypts a serialized scopedPDU; returns the ciphertext and msgPrivacyParameters (the salt). */
export function encryptScopedPdu(priv: { protocol: PrivProtocol; key: Buffer }, clock: EngineClock, plaintext: Buffer): { data: Buffer; privParams: Buffer } {
  if (priv.protocol === 'des') {
    // RFC 3414 8.1.1.1: salt = engineBoots || local integer; IV = pre-IV XOR salt.
    const salt = Buffer.alloc(8);
    salt.writeUInt32BE(clock.boots >>> 0, 0);
    randomBytes(4).copy(salt, 4);
    const iv = xor(priv.key.subarray(8, 16), salt);
    const padded = Buffer.alloc(Math.ceil(plaintext.length / 8) * 8);
    plaintext.copy(padded);
    const cipher = createCipheriv('des-cbc', priv.key.subarray(0, 8), iv).setAutoPadding(false);
    return { data: Buffer.concat([cipher.update(padded), cipher.final()]), privParams: salt };
  }
  // RFC 3826 3.1.2.1: IV = engineBoots || engineTime || 64-bit salt.
  const salt = randomBytes(8);
  const cipher = createCipheriv(PRIV[priv.protocol].cipher, priv.key, aesIv(clock, salt));
  return { data: Buffer.concat([cipher.update(plaintext), cipher.final()]), privParams: salt };
}

/** Decrypts msgData's encryptedPDU; a DES plaintext keeps its padding (the BER length ends it). */
export function decryptScopedPdu(priv: { protocol: PrivProtocol; key: Buffer }, clock: EngineClock, privParams: Buffer, data: Buffer): Buffer {
  if (privParams.length !== 8) throw new RangeError(`msgPrivacyParameters must be 8 bytes, got ${privParams.length}`);
  if (priv.protocol === 'des') {
    if (data.length === 0 || data.length % 8 !== 0) throw new RangeError(`a DES ciphertext is a multiple of 8 bytes, got ${data.length}`);
    const decipher = createDecipheriv('des-cbc', priv.key.subarray(0, 8), xor(priv.key.subarray(8, 16), privParams)).setAutoPadding(false);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
  const decipher = createDecipheriv(PRIV[priv.protocol].cipher, priv.key, aesIv(clock, privParams));
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function aesIv(clock: EngineClock, salt: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(clock.boots >>> 0, 0);
  iv.writeUInt32BE(clock.time >>> 0, 4);
  salt.copy(iv, 8);
  return iv;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
