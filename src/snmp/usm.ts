/**
 * SNMPv3 User-based Security Model (RFC 3414, RFC 7860 for SHA-2, RFC 3826 for AES): user
 * definitions, key derivation and localization, message authentication and privacy.
 * Pure functions over buffers; message layout is v3.ts's.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, getCiphers, randomBytes, timingSafeEqual, type Cipher } from 'node:crypto';

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

/** A privacy key localized to one engine. */
export interface PrivacyKey {
  protocol: PrivProtocol;
  key: Buffer;
  /** AES under `key` in ECB mode: made at the first AES decryption and kept with the key. */
  keystream?: Cipher;
}

/** A user's keys localized to one authoritative engine. */
export interface LocalizedUser {
  user: UsmUser;
  engineId: Buffer;
  auth?: { protocol: AuthProtocol; key: Buffer };
  priv?: PrivacyKey;
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
  /** The same block cipher in ECB mode (AES only), for decryption. */
  ecb?: string;
}

const PRIV: Record<PrivProtocol, PrivAlgorithm> = {
  des: { cipher: 'des-cbc', keyLength: 8 },
  aes128: { cipher: 'aes-128-cfb', keyLength: 16, ecb: 'aes-128-ecb' },
  aes256: { cipher: 'aes-256-cfb', keyLength: 32, ecb: 'aes-256-ecb' },
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

/** RFC 3414 A.2: how many bytes of the repeated password Ku hashes. */
export const PASSWORD_STREAM_BYTES = 1024 * 1024;

/** The OpenSSL name of the protocol's hash function. */
export function hashOf(protocol: AuthProtocol): string {
  return AUTH[protocol].hash;
}

/** RFC 3414 A.2: the user's key Ku, hashed from 1 MiB of the repeated password. */
export function passwordToKey(protocol: AuthProtocol, password: string): Buffer {
  const pass = Buffer.from(password, 'utf8');
  if (pass.length === 0) throw new RangeError('an empty password has no key');
  // Buffer.alloc repeats a Buffer fill value: exactly the password stream the RFC hashes.
  return createHash(AUTH[protocol].hash).update(Buffer.alloc(PASSWORD_STREAM_BYTES, pass)).digest();
}

/** Bytes hashed between two turns of the event loop by passwordToKeyInSteps: well under a millisecond. */
const STEP_BYTES = 64 * 1024;

/** passwordToKey in 64 KiB steps, each in its own turn of the event loop, so nothing waits behind it. */
export async function passwordToKeyInSteps(protocol: AuthProtocol, password: string): Promise<Buffer> {
  const pass = Buffer.from(password, 'utf8');
  if (pass.length === 0) throw new RangeError('an empty password has no key');
  // Byte p of the stream is pass[p % length]: a step starting at p is this window from p % length.
  const window = Buffer.alloc(STEP_BYTES + pass.length, pass);
  const hash = createHash(AUTH[protocol].hash);
  for (let done = 0; done < PASSWORD_STREAM_BYTES; done += STEP_BYTES) {
    const from = done % pass.length;
    hash.update(window.subarray(from, from + Math.min(STEP_BYTES, PASSWORD_STREAM_BYTES - done)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hash.digest();
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

/** One password's key Ku to derive (RFC 3414 A.2); `id` names it without holding the password. */
export interface PasswordKeyJob {
  id: string;
  protocol: AuthProtocol;
  password: string;
}

/** What the receive path asks of a key cache. */
export interface UsmKeys {
  /** The user's keys localized to `engineId`; undefined while its password keys are still being derived. */
  localize(user: UsmUser, engineId: Buffer): LocalizedUser | undefined;
}

/** A user object as the cache knows it. */
interface UserIds {
  /** Its own number: its localized keys are found by it and the engine ID. */
  number: number;
  /** The password keys it needs: auth, then priv (both hashed with the auth protocol). */
  passwords: PasswordKeyJob[];
}

/**
 * Localized keys by user and engine. Deriving Ku hashes 1 MiB per password, so both steps are
 * cached; bounded, as a receiver may hear from any number of engines. No map key holds a
 * password: a password key is named by a SHA-256 of the password under this cache's own random
 * salt (shared by every user object with that password), localized keys by the user object's
 * number and the engine. A user object is looked at once: users are not changed in place.
 */
export class KeyCache implements UsmKeys {
  private readonly userKeys = new Map<string, Buffer>();
  private readonly localized = new Map<string, LocalizedUser>();
  private readonly ids = new WeakMap<UsmUser, UserIds>();
  private readonly salt = randomBytes(32);
  private users = 0;

  constructor(private readonly maxEntries = 20_000) {}

  /** The user's keys localized to `engineId`, deriving (synchronously) what is not cached. */
  localize(user: UsmUser, engineId: Buffer): LocalizedUser {
    for (const job of this.missingPasswordKeys(user)) this.addPasswordKey(job.id, passwordToKey(job.protocol, job.password));
    return this.localizeDerived(user, engineId)!;
  }

  /** The user's keys localized to `engineId` from password keys already derived; undefined if one is not. */
  localizeDerived(user: UsmUser, engineId: Buffer): LocalizedUser | undefined {
    const ids = this.idsOf(user);
    const id = `${ids.number}\u0000${engineId.toString('latin1')}`;
    const cached = this.localized.get(id);
    if (cached) return cached;
    const [authKu, privKu] = ids.passwords.map((job) => this.userKeys.get(job.id));
    if (ids.passwords.length > 0 && !authKu) return undefined;
    if (ids.passwords.length > 1 && !privKu) return undefined;
    const result: LocalizedUser = { user, engineId: Buffer.from(engineId) };
    if (authKu) {
      const authProtocol = user.authProtocol!;
      result.auth = { protocol: authProtocol, key: localizeKey(authProtocol, authKu, engineId) };
      if (privKu) result.priv = { protocol: user.privProtocol!, key: privacyKey(user.privProtocol!, authProtocol, localizeKey(authProtocol, privKu, engineId)) };
    }
    remember(this.localized, id, result, this.maxEntries);
    return result;
  }

  /** The password keys `user` needs that are not derived yet. */
  missingPasswordKeys(user: UsmUser): PasswordKeyJob[] {
    return this.idsOf(user).passwords.filter((job) => !this.userKeys.has(job.id));
  }

  /** Keeps a password key derived elsewhere (a worker thread) for the job `id`. */
  addPasswordKey(id: string, key: Buffer): void {
    remember(this.userKeys, id, key, this.maxEntries);
  }

  private idsOf(user: UsmUser): UserIds {
    let ids = this.ids.get(user);
    if (!ids) {
      ids = { number: this.users++, passwords: [] };
      if (user.level !== 'noAuthNoPriv' && user.authProtocol && user.authPassword !== undefined) {
        const protocol = user.authProtocol;
        const passwords = [user.authPassword, ...(user.level === 'authPriv' && user.privProtocol && user.privPassword !== undefined ? [user.privPassword] : [])];
        ids.passwords = passwords.map((password) => ({ id: this.passwordId(protocol, password), protocol, password }));
      }
      this.ids.set(user, ids);
    }
    return ids;
  }

  private passwordId(protocol: AuthProtocol, password: string): string {
    return createHash('sha256').update(this.salt).update(JSON.stringify([protocol, password])).digest('base64');
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

/**
 * Checks the MAC at `offset` (its length is the protocol's). The MAC is computed over `message`
 * itself with those bytes zeroed for the while, not over a copy; `message` is left as it was.
 */
export function verifyMessage(auth: { protocol: AuthProtocol; key: Buffer }, message: Buffer, offset: number, received: Buffer): boolean {
  const length = AUTH[auth.protocol].macLength;
  if (received.length !== length || offset < 0 || offset + length > message.length) return false;
  const sent = Buffer.from(message.subarray(offset, offset + length));
  message.fill(0, offset, offset + length);
  try {
    return timingSafeEqual(computeMac(auth, message), received);
  } finally {
    sent.copy(message, offset);
  }
}

/** The engine's clock as the message carries it, which seeds the IV. */
export interface EngineClock {
  boots: number;
  time: number;
}

/** Encrypts a serialized scopedPDU; returns the ciphertext and msgPrivacyParameters (the salt). */
export function encryptScopedPdu(priv: PrivacyKey, clock: EngineClock, plaintext: Buffer): { data: Buffer; privParams: Buffer } {
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
  const salt = randomBytes(8);
  const cipher = createCipheriv(PRIV[priv.protocol].cipher, priv.key, aesIv(clock, salt));
  return { data: Buffer.concat([cipher.update(plaintext), cipher.final()]), privParams: salt };
}

/** Decrypts msgData's encryptedPDU; a DES plaintext keeps its padding (the BER length ends it). */
export function decryptScopedPdu(priv: PrivacyKey, clock: EngineClock, privParams: Buffer, data: Buffer): Buffer {
  if (privParams.length !== 8) throw new RangeError(`msgPrivacyParameters must be 8 bytes, got ${privParams.length}`);
  if (priv.protocol === 'des') {
    if (data.length === 0 || data.length % 8 !== 0) throw new RangeError(`a DES ciphertext is a multiple of 8 bytes, got ${data.length}`);
    const decipher = createDecipheriv('des-cbc', priv.key.subarray(0, 8), xor(priv.key.subarray(8, 16), privParams)).setAutoPadding(false);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
  return decryptCfb(priv, clock, privParams, data);
}

/**
 * AES-CFB128 decryption (RFC 3826 3.1.4, NIST SP 800-38A 6.3): plaintext block i is ciphertext
 * block i XOR E(K, ciphertext block i-1), block 0 taking the IV. Every block E encrypts is known
 * before decryption starts, so one ECB pass over IV || ciphertext gives the whole keystream, from
 * a cipher object made once per key: making a Decipheriv per message cost about half the time.
 */
function decryptCfb(priv: PrivacyKey, clock: EngineClock, salt: Buffer, data: Buffer): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const blocks = Math.ceil(data.length / 16);
  const input = Buffer.allocUnsafe(blocks * 16);
  writeAesIv(input, clock, salt);
  data.copy(input, 16, 0, (blocks - 1) * 16);
  // ECB without padding keeps nothing back between calls: the same object serves every message.
  priv.keystream ??= createCipheriv(PRIV[priv.protocol].ecb!, priv.key, null).setAutoPadding(false);
  const keystream = priv.keystream.update(input);
  const plaintext = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) plaintext[i] = data[i]! ^ keystream[i]!;
  return plaintext;
}

function aesIv(clock: EngineClock, salt: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  writeAesIv(iv, clock, salt);
  return iv;
}

/** RFC 3826 3.1.2.1: IV = engineBoots || engineTime || 64-bit salt, at the start of `into`. */
function writeAesIv(into: Buffer, clock: EngineClock, salt: Buffer): void {
  into.writeUInt32BE(clock.boots >>> 0, 0);
  into.writeUInt32BE(clock.time >>> 0, 4);
  salt.copy(into, 8, 0, 8);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
