import { beforeEach, describe, expect, it } from 'vitest';
import { licensedNodes } from '../../src/licensing/gate.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import { issueKey, verifyKey, type LicenseKey } from '../../src/licensing/key.js';
import { LicenseAlreadyInstalledError } from '../../src/store/licenses.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

const SECRET = IssuerSecret.fromText('store-test-secret-0123456789', 'test');
const MAC = 'aa:bb:cc:00:11:22';

function key(passcode: string, nodes = 10, mac = MAC): LicenseKey {
  return issueKey({ secret: SECRET, mac, nodes, passcode, edition: 'standard', issuedOn: new Date('2024-05-01T00:00:00Z') });
}

eachStore('test/unit/store-licenses.test.ts', (backend) => {
  let clock: FakeClock;
  let store: Store;

  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
    store = backend.open({ clock });
  });

  describe('LicensesRepository', () => {
    it('installs a verified key and lists it without its text', () => {
      const license = verifyKey({ key: key('P1').key, secret: SECRET, mac: MAC });
      const installed = store.licenses.add(license);
      expect(installed).toEqual({
        id: installed.id,
        fingerprint: license.fingerprint,
        serial: license.serial,
        serialHex: license.serialHex,
        nodes: 10,
        edition: 'standard',
        issueDay: license.issueDay,
        mac: MAC,
        installedAt: clock.now(),
      });
      expect(store.licenses.list()).toEqual([installed]);
      expect(JSON.stringify(store.licenses.list())).not.toContain(license.key);
    });

    it('gives the key texts back for re-verification, and they still verify', () => {
      const license = key('P1');
      store.licenses.add(license);
      const [stored] = store.licenses.keys();
      expect(stored).toEqual({ id: expect.any(Number), fingerprint: license.fingerprint, key: license.key });
      expect(verifyKey({ key: stored!.key, secret: SECRET, mac: MAC }).serial).toBe(license.serial);
    });

    it('refuses a second key with an installed serial, even one issued for other nodes', () => {
      const first = store.licenses.add(key('P1', 10));
      for (const again of [key('P1', 10), key('P1', 99)]) {
        let caught: unknown;
        try {
          store.licenses.add(again);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(LicenseAlreadyInstalledError);
        expect((caught as LicenseAlreadyInstalledError).installed).toEqual(first);
        expect((caught as Error).message).toMatch(new RegExp(`serial ${first.serialHex} is already installed.*${first.fingerprint}`));
      }
      expect(store.licenses.list()).toHaveLength(1);
    });

    it('removes by fingerprint (any case), by id, or by an id given as text', () => {
      const a = store.licenses.add(key('P1'));
      const b = store.licenses.add(key('P2'));
      const c = store.licenses.add(key('P3'));
      expect(store.licenses.find(a.fingerprint.toUpperCase())).toEqual(a);
      expect(store.licenses.remove(` ${a.fingerprint.toUpperCase()} `)).toEqual(a);
      expect(store.licenses.remove(b.id)).toEqual(b);
      expect(store.licenses.remove(String(c.id))).toEqual(c);
      expect(store.licenses.remove(a.fingerprint)).toBeUndefined();
      expect(store.licenses.remove(999)).toBeUndefined();
      expect(store.licenses.list()).toEqual([]);
    });

    it('totals the keys and their nodes; the gate adds the included allowance', () => {
      expect(store.licenses.totals()).toEqual({ keys: 0, nodes: 0 });
      store.licenses.add(key('P1', 10));
      store.licenses.add(key('P2', 25));
      expect(store.licenses.totals()).toEqual({ keys: 2, nodes: 35 });
      expect(licensedNodes(store.licenses.list())).toBe(40);
    });

    it('keeps keys and tokens across a re-open', () => {
      store.licenses.add(key('P1'));
      store.tokens.insert({ name: 'ops', role: 'admin', prefix: 'psk_AAAAAAAA', hash: Buffer.alloc(32, 1) });
      store.close();
      store = backend.open({ clock });
      expect(store.licenses.list()).toHaveLength(1);
      expect(store.tokens.list().map((t) => t.name)).toEqual(['ops']);
    });
  });
});
