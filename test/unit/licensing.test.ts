import { describe, expect, it } from 'vitest';
import {
  CROCKFORD_ALPHABET,
  CrockfordAlphabetError,
  decodeCrockford,
  encodeCrockford,
  groupForDisplay,
  normalizeKeyInput,
} from '../../src/licensing/crockford.js';
import { INCLUDED_NODES, admit, licensedNodes, unlicensedDevices } from '../../src/licensing/gate.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import {
  KEY_LENGTH,
  LicenseIssueError,
  LicenseKeyError,
  issueKey,
  passcodeSerial,
  readKeyClaims,
  verifyKey,
  type IssueKeyRequest,
  type LicenseKeyReason,
} from '../../src/licensing/key.js';

const SECRET_TEXT = 'unit-test-issuer-secret-7f3a9c';
const SECRET = IssuerSecret.fromText(SECRET_TEXT, 'test');
const MAC = 'aa:bb:cc:00:11:22';
const OTHER_MAC = '02:42:ac:11:00:02';

function request(overrides: Partial<IssueKeyRequest> = {}): IssueKeyRequest {
  return {
    secret: SECRET,
    mac: MAC,
    nodes: 25,
    passcode: 'PC-2024-0001',
    edition: 'standard',
    issuedOn: new Date('2024-05-01T15:30:00Z'),
    ...overrides,
  };
}

function rejection(fn: () => unknown): LicenseKeyError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LicenseKeyError) return error;
    throw error;
  }
  throw new Error('expected a LicenseKeyError');
}

/** Replaces the character at `index` with another valid one. */
function alterChar(key: string, index: number): string {
  const current = CROCKFORD_ALPHABET.indexOf(key[index]!);
  const replacement = CROCKFORD_ALPHABET[(current + 1) % 32]!;
  return key.slice(0, index) + replacement + key.slice(index + 1);
}

function keyFromBytes(bytes: Uint8Array): string {
  return encodeCrockford(bytes);
}

describe('Crockford base32', () => {
  it.each([
    [[], ''],
    [[0], '00'],
    [[0xff], 'ZW'],
    [[0xde, 0xad, 0xbe, 0xef], 'VTPVXVR'],
    [[0x00, 0x44, 0x32, 0x14, 0xc7], '0123456789'.slice(0, 8)],
  ])('encodes %j as %s and back', (bytes, text) => {
    expect(encodeCrockford(Uint8Array.from(bytes))).toBe(text);
    expect([...decodeCrockford(text)]).toEqual(bytes);
  });

  it('round-trips random byte strings of every length up to 41', () => {
    for (let length = 0; length <= 41; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 89 + length * 7) & 0xff);
      expect(decodeCrockford(encodeCrockford(bytes))).toEqual(bytes);
    }
  });

  it('names a bad character and its position', () => {
    expect(() => decodeCrockford('01U3')).toThrow(CrockfordAlphabetError);
    expect(() => decodeCrockford('01U3')).toThrow(/"U".*position 3/);
  });

  it('normalizes pasted input: spaces, dashes, lower case, O/I/L aliases', () => {
    expect(normalizeKeyInput(' ab-cd\tef\n gh ')).toBe('ABCDEFGH');
    expect(normalizeKeyInput('oOiIlL')).toBe('001111');
    expect(normalizeKeyInput('a\u00a0b\u2013c\u2014d')).toBe('ABCD');
    expect(normalizeKeyInput('u')).toBe('U');
  });

  it('groups a key for display', () => {
    expect(groupForDisplay('A'.repeat(64))).toBe(Array.from({ length: 8 }, () => 'A'.repeat(8)).join('-'));
  });
});

describe('issueKey / verifyKey', () => {
  it('round-trips: what is issued verifies with every field intact', () => {
    const issued = issueKey(request());
    expect(issued.key).toHaveLength(KEY_LENGTH);
    expect(issued.key).toMatch(/^[0-9A-HJKMNP-TV-Z]{64}$/);
    const verified = verifyKey({ key: issued.key, secret: SECRET, mac: MAC });
    expect(verified).toEqual(issued);
    expect(verified).toMatchObject({
      nodes: 25,
      edition: 'standard',
      serial: passcodeSerial('PC-2024-0001'),
      issuedOn: '2024-05-01',
      issueDay: 1582,
      mac: MAC,
    });
    expect(verified.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(verified.serialHex).toBe(verified.serial.toString(16).padStart(8, '0'));
  });

  it('lays the payload out as the design says', () => {
    const { key, serial } = issueKey(request({ nodes: 0x1234, edition: 'enterprise' }));
    const bytes = Buffer.from(decodeCrockford(key));
    expect(bytes).toHaveLength(40);
    expect(bytes[0]).toBe(1);
    expect(bytes.readUInt16BE(1)).toBe(0x1234);
    expect(bytes.readUInt32BE(3)).toBe(serial);
    expect(bytes.readUInt16BE(7)).toBe(1582);
    expect(bytes[9]).toBe(2);
    expect(readKeyClaims(key)).toMatchObject({ serial, nodes: 0x1234, editionByte: 2, issueDay: 1582 });
  });

  it('takes the serial from SHA-256 of the trimmed passcode', () => {
    // sha256("abc") = ba7816bf...
    expect(passcodeSerial('abc')).toBe(0xba7816bf);
    expect(passcodeSerial('  abc\n')).toBe(0xba7816bf);
  });

  it('accepts what people paste: spaces, dashes, lower case, O/I/L for 0/1', () => {
    const { key } = issueKey(request());
    const grouped = groupForDisplay(key).toLowerCase();
    const spaced = ` ${key.slice(0, 20)}  ${key.slice(20, 40)}\n${key.slice(40)} `;
    const aliased = key.replaceAll('0', 'O').replaceAll('1', 'l');
    for (const pasted of [grouped, spaced, aliased, aliased.toLowerCase().replaceAll('l', 'I')]) {
      expect(verifyKey({ key: pasted, secret: SECRET, mac: MAC }).key).toBe(key);
    }
  });

  it('accepts the MAC in any written form', () => {
    const { key } = issueKey(request({ mac: 'AA-BB-CC-00-11-22' }));
    expect(verifyKey({ key, secret: SECRET, mac: 'aabb.cc00.1122' }).mac).toBe(MAC);
  });

  it('fails when any single character (so any byte) is altered', () => {
    const { key } = issueKey(request());
    for (let index = 0; index < KEY_LENGTH; index++) {
      const error = rejection(() => verifyKey({ key: alterChar(key, index), secret: SECRET, mac: MAC }));
      // The format byte is read before the tag: altering it says so, and still fails.
      expect(['TAMPERED', 'UNKNOWN_FORMAT']).toContain(error.reason);
    }
  });

  it('fails when any single byte is altered, including bytes the tag covers', () => {
    const bytes = Buffer.from(decodeCrockford(issueKey(request()).key));
    for (let index = 1; index < 40; index++) {
      const altered = Buffer.from(bytes);
      altered[index] = altered[index]! ^ 0x01;
      expect(rejection(() => verifyKey({ key: keyFromBytes(altered), secret: SECRET, mac: MAC })).reason).toBe('TAMPERED');
    }
  });

  it('fails for a key made with another secret', () => {
    const { key } = issueKey(request({ secret: IssuerSecret.fromText('another-issuer-secret-0000', 'test') }));
    expect(rejection(() => verifyKey({ key, secret: SECRET, mac: MAC })).reason).toBe('TAMPERED');
  });

  it('for another MAC: names this server MAC, and cannot honestly name the other one', () => {
    const { key, serialHex } = issueKey(request({ mac: OTHER_MAC }));
    const error = rejection(() => verifyKey({ key, secret: SECRET, mac: MAC }));
    expect(error.reason).toBe('TAMPERED');
    expect(error.message).toContain(MAC);
    expect(error.message).toContain("a different server's MAC");
    expect(error.message).toContain(serialHex);
    expect(error.details.serverMac).toBe(MAC);
  });

  it('for another MAC of this machine: names both MACs and the interface to configure', () => {
    const { key } = issueKey(request({ mac: OTHER_MAC }));
    const error = rejection(() =>
      verifyKey({
        key,
        secret: SECRET,
        mac: MAC,
        otherMacs: [
          { interface: 'eth0', mac: MAC },
          { interface: 'docker0', mac: OTHER_MAC },
        ],
      }),
    );
    expect(error.reason).toBe('OTHER_MAC');
    expect(error.message).toContain(MAC);
    expect(error.message).toContain(OTHER_MAC);
    expect(error.message).toContain('docker0');
    expect(error.details).toMatchObject({ serverMac: MAC, keyMac: OTHER_MAC });
  });

  const malformed: [string, (key: string) => string, LicenseKeyReason, RegExp][] = [
    ['one character short', (k) => k.slice(1), 'MALFORMED_LENGTH', /64 characters.*has 63/],
    ['one character long', (k) => `${k}0`, 'MALFORMED_LENGTH', /has 65.*nothing else/],
    ['empty', () => '', 'MALFORMED_LENGTH', /has 0/],
    ['a U at position 5', (k) => `${k.slice(0, 4)}U${k.slice(5)}`, 'MALFORMED_ALPHABET', /"U".*position 5.*never used/],
    ['a * after a dash', (k) => `${k.slice(0, 8)}-*${k.slice(9)}`, 'MALFORMED_ALPHABET', /"\*".*position 9/],
    ['a zero-width space', (k) => `${k.slice(0, 2)}\u200b${k.slice(2)}`, 'MALFORMED_ALPHABET', /U\+200B at position 3/],
  ];
  it.each(malformed)('rejects a key with %s', (_name, alter, reason, message) => {
    const error = rejection(() => verifyKey({ key: alter(issueKey(request()).key), secret: SECRET, mac: MAC }));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  it('rejects a format byte other than 1, suggesting an upgrade', () => {
    const bytes = Buffer.from(decodeCrockford(issueKey(request()).key));
    bytes[0] = 2;
    const error = rejection(() => verifyKey({ key: keyFromBytes(bytes), secret: SECRET, mac: MAC }));
    expect(error.reason).toBe('UNKNOWN_FORMAT');
    expect(error.message).toMatch(/format 2.*upgrade priscan/);
  });

  it.each([
    [{ nodes: 0 }, /1 to 65535 nodes/],
    [{ nodes: 65536 }, /1 to 65535 nodes/],
    [{ nodes: 1.5 }, /1 to 65535 nodes/],
    [{ passcode: '   ' }, /passcode is empty/],
    [{ issuedOn: new Date('2019-12-31T00:00:00Z') }, /from 2020-01-01/],
    [{ issuedOn: new Date('nonsense') }, /valid date/],
    [{ mac: '00:00:00:00:00:00' }, /not a usable MAC/],
    [{ mac: 'aa:bb:cc' }, /not a MAC address/],
    [{ edition: 'toString' as never }, /unknown edition/],
  ])('refuses to issue %j', (overrides, message) => {
    expect(() => issueKey(request(overrides))).toThrow(LicenseIssueError);
    expect(() => issueKey(request(overrides))).toThrow(message);
  });

  it('never puts the issuer secret in a message', () => {
    const { key } = issueKey(request({ mac: OTHER_MAC }));
    const attempts = [
      () => verifyKey({ key, secret: SECRET, mac: MAC }),
      () => verifyKey({ key, secret: SECRET, mac: MAC, otherMacs: [{ interface: 'eth1', mac: OTHER_MAC }] }),
      () => verifyKey({ key: key.slice(3), secret: SECRET, mac: MAC }),
      () => verifyKey({ key: `U${key.slice(1)}`, secret: SECRET, mac: MAC }),
      () => issueKey(request({ nodes: -1 })),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow();
      try {
        attempt();
      } catch (error) {
        expect(String((error as Error).message)).not.toContain(SECRET_TEXT);
        expect(JSON.stringify(error)).not.toContain(SECRET_TEXT);
      }
    }
  });
});

describe('node gate', () => {
  it('adds the included allowance to the keys', () => {
    expect(INCLUDED_NODES).toBe(5);
    expect(licensedNodes([])).toBe(5);
    expect(licensedNodes([{ nodes: 10 }, { nodes: 25 }])).toBe(40);
  });

  it.each([
    [0, 5, true],
    [4, 5, true],
    [5, 5, false],
    [7, 5, false],
    [39, 40, true],
  ])('with %i in use of %i licensed, admits another: %s', (used, licensed, ok) => {
    expect(admit(used, licensed).ok).toBe(ok);
  });

  it('refuses with the numbers and what to do', () => {
    expect(admit(5, 5)).toEqual({
      ok: false,
      code: 'LICENSE_NODE_LIMIT',
      licensed: 5,
      used: 5,
      message: 'licensed for 5 nodes, 5 in use: add a license key (priscan license add) or remove a device',
    });
  });

  it('marks the newest devices beyond the count as unlicensed', () => {
    const devices = [11, 12, 13, 14, 15, 16, 17].map((id) => ({ id }));
    expect(unlicensedDevices(devices, 5)).toEqual([16, 17]);
    expect(unlicensedDevices(devices, 7)).toEqual([]);
    expect(unlicensedDevices(devices, 40)).toEqual([]);
    expect(unlicensedDevices(devices, 0)).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(unlicensedDevices([], 5)).toEqual([]);
  });
});
