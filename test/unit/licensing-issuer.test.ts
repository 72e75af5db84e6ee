import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IdentityError,
  MacAddressError,
  formatMac,
  machineMacs,
  normalizeMac,
  parseMac,
  serverIdentity,
  type InterfaceTable,
} from '../../src/licensing/identity.js';
import {
  DEMO_ISSUER_SECRET,
  IssuerSecret,
  IssuerSecretError,
  loadIssuerSecret,
} from '../../src/licensing/issuer-secret.js';
import { passcodeSerial, verifyKey } from '../../src/licensing/key.js';
import { LedgerError, RedemptionLedger, issueFromLedger } from '../../src/licensing/ledger.js';
import { SqliteStore } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SECRET_TEXT = 'ledger-test-secret-d41d8cd98f00';
const SECRET = IssuerSecret.fromText(SECRET_TEXT, 'test');
const MAC = 'aa:bb:cc:00:11:22';

let dir: string;
let clock: FakeClock;
const opened: RedemptionLedger[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-ledger-'));
  clock = new FakeClock(Date.parse('2024-05-01T12:00:00Z'));
});

afterEach(() => {
  for (const ledger of opened.splice(0)) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function openLedger(file = 'ledger.db'): RedemptionLedger {
  const ledger = RedemptionLedger.open(join(dir, file), clock);
  opened.push(ledger);
  return ledger;
}

function issue(ledger: RedemptionLedger, passcode: string, mac = MAC) {
  return issueFromLedger({
    ledger,
    secret: SECRET,
    mac,
    nodes: 10,
    passcode,
    edition: 'standard',
    issuedOn: new Date(clock.now()),
  });
}

function entry(mac: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo {
  return family === 'IPv4'
    ? { address: '10.0.0.2', netmask: '255.0.0.0', family, mac, internal, cidr: '10.0.0.2/8' }
    : { address: 'fe80::1', netmask: 'ffff::', family, mac, internal, cidr: 'fe80::1/64', scopeid: 2 };
}

const INTERFACES: InterfaceTable = {
  lo: [entry('00:00:00:00:00:00', true)],
  tun0: [entry('00:00:00:00:00:00')],
  eth0: [entry('AA:BB:CC:00:11:22'), entry('AA:BB:CC:00:11:22', false, 'IPv6')],
  eth1: [entry('02:42:ac:11:00:02')],
};

describe('server identity', () => {
  it.each([
    ['aa:bb:cc:00:11:22', MAC],
    ['AA-BB-CC-00-11-22', MAC],
    ['aabb.cc00.1122', MAC],
    ['AABBCC001122', MAC],
    [' a:b:c:0:1:2 ', '0a:0b:0c:00:01:02'],
  ])('reads %s', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
    expect(formatMac(parseMac(input))).toBe(expected);
  });

  it.each(['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff', 'aabb.ccdd', '', '00:00:00:00:00:00'])(
    'refuses %j',
    (input) => expect(() => parseMac(input)).toThrow(MacAddressError),
  );

  it('picks the first non-loopback interface with a MAC', () => {
    expect(serverIdentity({ interfaces: INTERFACES })).toEqual({ interface: 'eth0', mac: MAC });
    expect(machineMacs(INTERFACES).map((m) => m.interface)).toEqual(['eth0', 'eth1']);
  });

  it('uses the configured interface', () => {
    expect(serverIdentity({ interfaceName: 'eth1', interfaces: INTERFACES })).toEqual({ interface: 'eth1', mac: '02:42:ac:11:00:02' });
  });

  it('names the usable interfaces when the configured one is unknown or unusable', () => {
    expect(() => serverIdentity({ interfaceName: 'wlan0', interfaces: INTERFACES })).toThrow(
      /"wlan0".*no such interface.*eth0 \(aa:bb:cc:00:11:22\), eth1 \(02:42:ac:11:00:02\)/,
    );
    expect(() => serverIdentity({ interfaceName: 'lo', interfaces: INTERFACES })).toThrow(/loopback interface or has no hardware/);
  });

  it('says so when no interface can identify the server', () => {
    const only = { lo: INTERFACES.lo, tun0: INTERFACES.tun0 };
    expect(() => serverIdentity({ interfaces: only })).toThrow(IdentityError);
    expect(() => serverIdentity({ interfaces: only })).toThrow(/interfaces seen: lo, tun0/);
  });
});

describe('issuer secret', () => {
  it('loads from a file (trimmed) and from an environment variable', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, `${SECRET_TEXT}\n`);
    const fromFile = loadIssuerSecret({ file });
    const fromEnv = loadIssuerSecret({ env: 'ISSUER' }, { environment: { ISSUER: SECRET_TEXT } });
    const payload = Buffer.from('x');
    expect(fromFile.hmac(payload)).toEqual(SECRET.hmac(payload));
    expect(fromEnv.hmac(payload)).toEqual(SECRET.hmac(payload));
    expect(fromEnv.source).toBe('environment variable ISSUER');
  });

  it('never prints itself', () => {
    for (const shown of [String(SECRET), `${SECRET}`, JSON.stringify({ SECRET }), inspect(SECRET), inspect({ SECRET })]) {
      expect(shown).not.toContain(SECRET_TEXT);
      expect(shown).toContain('<secret>');
    }
  });

  it('marks the demo secret, which is usable but insecure', () => {
    expect(DEMO_ISSUER_SECRET.demo).toBe(true);
    expect(SECRET.demo).toBe(false);
  });

  it('explains every failure without the secret in it', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, ' \n');
    const short = join(dir, 'short');
    const shortSecret = 'Zq9-short-Zq9';
    writeFileSync(short, shortSecret);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const cases: [() => unknown, RegExp][] = [
      [() => loadIssuerSecret({ file: join(dir, 'missing') }), /missing does not exist/],
      [() => loadIssuerSecret({ file: empty }), /is empty/],
      [() => loadIssuerSecret({ file: short }), /too short \(13 bytes; at least 16/],
      [() => loadIssuerSecret({ file: directory }), /is a directory/],
      [() => loadIssuerSecret({ env: 'NOPE' }, { environment: {} }), /NOPE .*is not set/],
      [() => loadIssuerSecret({ env: 'E' }, { environment: { E: '' } }), /environment variable E is empty/],
      [() => loadIssuerSecret({ env: 'E' }, { environment: { E: shortSecret } }), /too short/],
    ];
    const denied = () => {
      throw Object.assign(new Error(`EACCES: permission denied, open '/etc/priscan/issuer.key'`), { code: 'EACCES' });
    };
    cases.push([() => loadIssuerSecret({ file: '/etc/priscan/issuer.key' }, { readFile: denied }), /cannot be read by this user/]);
    // root reads anything: the real permission check runs only for other users.
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked');
      writeFileSync(locked, SECRET_TEXT);
      chmodSync(locked, 0o000);
      cases.push([() => loadIssuerSecret({ file: locked }), /cannot be read by this user/]);
    }
    for (const [load, message] of cases) {
      let caught: unknown;
      try {
        load();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(IssuerSecretError);
      const text = (caught as Error).message;
      expect(text).toMatch(message);
      expect(text).not.toContain(SECRET_TEXT);
      expect(text).not.toContain(shortSecret);
    }
  });
});

describe('redemption ledger', () => {
  it('issues a key that verifies, and records the redemption without the passcode', () => {
    const ledger = openLedger();
    const { license, redemption } = issue(ledger, 'PASS-0001');
    expect(verifyKey({ key: license.key, secret: SECRET, mac: MAC })).toEqual(license);
    expect(redemption).toMatchObject({ mac: MAC, nodes: 10, edition: 'standard', issuedAt: clock.now(), fingerprint: license.fingerprint });
    expect(ledger.find('PASS-0001')).toEqual(redemption);
    expect(ledger.findBySerial(license.serial)).toEqual(redemption);
    expect(ledger.list()).toEqual([redemption]);
    ledger.close();
    const raw = JSON.stringify(openLedger().list());
    expect(raw).not.toContain('PASS-0001');
  });

  it('refuses a second redemption of a passcode, saying when and for which MAC', () => {
    const ledger = openLedger();
    const first = issue(ledger, 'PASS-0002');
    clock.advance(86_400_000);
    let caught: unknown;
    try {
      issue(ledger, '  PASS-0002 ', '02:42:ac:11:00:02');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LedgerError);
    const error = caught as LedgerError;
    expect(error.reason).toBe('ALREADY_REDEEMED');
    expect(error.message).toContain('already redeemed on 2024-05-01 12:00 UTC for MAC aa:bb:cc:00:11:22');
    expect(error.message).not.toContain(SECRET_TEXT);
    expect(error.redemption).toEqual(first.redemption);
    expect(ledger.list()).toHaveLength(1);
  });

  it('keeps its records across a re-open, and refuses across processes sharing the file', () => {
    issue(openLedger(), 'PASS-0003');
    const other = openLedger();
    expect(() => issue(other, 'PASS-0003')).toThrow(/already redeemed/);
    expect(other.find('PASS-0003')?.mac).toBe(MAC);
  });

  it('rolls back when the key cannot be issued', () => {
    const ledger = openLedger();
    expect(() => issueFromLedger({ ledger, secret: SECRET, mac: MAC, nodes: 0, passcode: 'P-4', edition: 'demo', issuedOn: new Date() })).toThrow(
      /1 to 65535 nodes/,
    );
    expect(ledger.find('P-4')).toBeUndefined();
    expect(issue(ledger, 'P-4').redemption.nodes).toBe(10);
  });

  it('refuses a passcode whose serial another passcode already has', () => {
    // Found by search: two passcodes whose SHA-256 share the first 4 bytes.
    expect(passcodeSerial('COLLIDE-5150')).toBe(0xf3801c57);
    expect(passcodeSerial('COLLIDE-19571')).toBe(0xf3801c57);
    const ledger = openLedger();
    issue(ledger, 'COLLIDE-5150');
    expect(() => issue(ledger, 'COLLIDE-19571')).toThrow(LedgerError);
    expect(() => issue(ledger, 'COLLIDE-19571')).toThrow(/serial f3801c57 is already used by another passcode.*new passcode/);
    expect(ledger.find('COLLIDE-19571')).toBeUndefined();
  });

  it('refuses a database that is not a ledger', () => {
    const store = SqliteStore.open(join(dir, 'priscan.db'), clock);
    store.close();
    expect(() => openLedger('priscan.db')).toThrow();
    const old = new Database(join(dir, 'other.db'));
    old.pragma('user_version = 1');
    old.close();
    expect(() => openLedger('other.db')).toThrow(/not a priscan license ledger/);
  });
});
