// The per-message USM steps made cheaper: the MAC checked over the message itself (no copy), and
// AES-CFB decrypted with one ECB cipher kept per key. Each is compared with OpenSSL's own result.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUTH_PROTOCOLS, authParamsLength, decryptScopedPdu, signMessage, verifyMessage, type PrivacyKey } from '../../src/snmp/usm.js';

describe('verifyMessage', () => {
  it.each(AUTH_PROTOCOLS)('checks a %s MAC in place and leaves the message as it was', (protocol) => {
    const auth = { protocol, key: randomBytes(64) };
    const length = authParamsLength(protocol);
    const message = randomBytes(300);
    message.fill(0, 100, 100 + length);
    signMessage(auth, message, 100);
    const signed = Buffer.from(message);
    const mac = Buffer.from(message.subarray(100, 100 + length));
    expect(verifyMessage(auth, message, 100, mac)).toBe(true);
    expect(message.equals(signed)).toBe(true);

    message[250]! ^= 1;
    const altered = Buffer.from(message);
    expect(verifyMessage(auth, message, 100, mac)).toBe(false);
    expect(message.equals(altered)).toBe(true);
    expect(verifyMessage({ ...auth, key: randomBytes(64) }, signed, 100, mac)).toBe(false);
  });

  it('is false, and changes nothing, for a MAC of the wrong length or out of the message', () => {
    const auth = { protocol: 'sha256' as const, key: randomBytes(32) };
    const message = randomBytes(60);
    const before = Buffer.from(message);
    expect(verifyMessage(auth, message, 10, randomBytes(12))).toBe(false);
    expect(verifyMessage(auth, message, 50, randomBytes(24))).toBe(false);
    expect(verifyMessage(auth, message, -1, randomBytes(24))).toBe(false);
    expect(message.equals(before)).toBe(true);
  });

  it('gives the HMAC of the message with its MAC zeroed', () => {
    const auth = { protocol: 'sha' as const, key: randomBytes(20) };
    const message = randomBytes(120);
    const zeroed = Buffer.from(message).fill(0, 40, 52);
    const mac = createHmac('sha1', auth.key).update(zeroed).digest().subarray(0, 12);
    expect(verifyMessage(auth, message, 40, mac)).toBe(true);
  });
});

describe('AES-CFB decryption', () => {
  it.each<[PrivacyKey['protocol'], string, number]>([
    ['aes128', 'aes-128-cfb', 16],
    ['aes256', 'aes-256-cfb', 32],
  ])('%s: one kept cipher decrypts messages of every length as OpenSSL CFB does', (protocol, cipher, keyLength) => {
    const priv: PrivacyKey = { protocol, key: randomBytes(keyLength) };
    for (let length = 0; length <= 200; length++) {
      const clock = { boots: 7 + length, time: 1000 + length };
      const salt = randomBytes(8);
      const iv = Buffer.concat([Buffer.from([0, 0, 0, clock.boots, 0, 0, (clock.time >> 8) & 0xff, clock.time & 0xff]), salt]);
      const plaintext = randomBytes(length);
      const encryptor = createCipheriv(cipher, priv.key, iv);
      const ciphertext = Buffer.concat([encryptor.update(plaintext), encryptor.final()]);
      expect(decryptScopedPdu(priv, clock, salt, ciphertext).equals(plaintext)).toBe(true);
    }
    // Made once, at the first message, and kept with the key.
    expect(priv.keystream).toBeDefined();
  });
});
