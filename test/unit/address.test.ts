// One device, one address, whatever the spelling (issue 12): the one canonical spelling, and the
// boundaries that apply it without a database: the config schema and the registration read-back.
import { describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { registrationMethod } from '../../src/registration/methods.js';
import type { ManagerRegistration } from '../../src/registration/method.js';
import { addressKey, canonicalAddress } from '../../src/snmp/address.js';
import type { SnmpClient, SnmpVarbind } from '../../src/snmp/client.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { simSettings } from '../helpers/devices.js';

describe('canonicalAddress', () => {
  it.each([
    ['127.0.175.5', '127.0.175.5'],
    ['::ffff:127.0.175.5', '127.0.175.5'],
    ['::FFFF:7f00:af05', '127.0.175.5'],
    ['0:0:0:0:0:ffff:7f00:af05', '127.0.175.5'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::1', '::1'],
    // Not IPv4-mapped: stays IPv6.
    ['::127.0.0.1', '::127.0.0.1'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    // A link-local address reaches nothing without its zone.
    ['FE80::1%eth0', 'fe80::1%eth0'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalAddress(text)).toBe(canonical);
    expect(canonicalAddress(canonical)).toBe(canonical);
  });

  it.each(['', 'ups-a1.example', '127.0.175', '127.000.175.5', ' 127.0.175.5', '127.0.175.5:161', '::ffff:1.2.3.4.5', '256.0.0.1', 'gggg::1'])(
    '%j is no address',
    (text) => {
      expect(canonicalAddress(text)).toBeUndefined();
      expect(addressKey(text)).toBe(text);
    },
  );
});

const device = (address: string, name = 'ups-a1') => ({ name, address, snmp: { readCommunity: 'public', writeCommunity: 'private' } });
const configError = (raw: unknown): string => {
  try {
    parseConfig(raw, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('config addresses', () => {
  it('keeps every address in its canonical spelling', () => {
    const config = parseConfig(
      {
        devices: [device('::ffff:127.0.175.5'), device('2001:DB8::0:7', 'pdu-b7')],
        manager: { address: '::ffff:127.0.0.1' },
        notifications: { listen: { address: '0:0:0:0:0:0:0:1', port: 0 } },
      },
      'test.yaml',
    );
    expect(config.devices.map((d) => d.address)).toEqual(['127.0.175.5', '2001:db8::7']);
    expect(config.manager.address).toBe('127.0.0.1');
    expect(config.notifications.listen.address).toBe('::1');
  });

  it('refuses two spellings of one address as two devices, naming the key', () => {
    expect(configError({ devices: [device('127.0.175.5'), device('::ffff:7f00:af05', 'ups-a2')] })).toBe(
      'test.yaml: devices.1.address: duplicates devices.0.address (127.0.175.5)',
    );
  });

  it('refuses what is not an address, naming the key', () => {
    expect(configError({ devices: [device('ups-a1.example')] })).toBe(
      'test.yaml: devices.0.address: must be an IPv4 or IPv6 address, e.g. 10.1.2.3 or 2001:db8::1',
    );
    expect(configError({ manager: { address: '10.1.2' } })).toMatch(/^test\.yaml: manager\.address: must be an IPv4 or IPv6 address/);
  });
});

/** A client through which every IpAddress a device reports reads in its IPv4-mapped IPv6 spelling. */
class MappedSpellingClient implements SnmpClient {
  constructor(private readonly inner: SnmpClient) {}
  private respell = (vbs: SnmpVarbind[]): SnmpVarbind[] =>
    vbs.map((vb) => (vb.type === 'IpAddress' && typeof vb.value === 'string' ? { ...vb, value: `::ffff:${vb.value}` } : vb));
  async get(oids: readonly string[]) {
    return this.respell(await this.inner.get(oids));
  }
  async subtree(oid: string) {
    return this.respell(await this.inner.subtree(oid));
  }
  set(varbinds: readonly SnmpVarbind[]) {
    return this.inner.set(varbinds);
  }
  close() {
    this.inner.close();
  }
}

const SETTINGS = simSettings({ address: '127.0.175.20' });
const MANAGER: ManagerRegistration = { address: '127.0.0.1', port: 1162, community: 'n0tify' };

describe('registration read-back compares canonical spellings', () => {
  it('apc-receiver-table: a card that reports receiverAddr as ::ffff:a.b.c.d holds our row, and gets no second one', async () => {
    const card = new ApcUpsDevice(SETTINGS);
    const fake = new FakeSnmpClient(card.mib);
    const client = new MappedSpellingClient(fake);
    const method = registrationMethod('apc-receiver-table');
    expect(await method.ensure(client, MANAGER)).toBe('created');
    fake.requests.length = 0;
    expect(await method.ensure(client, MANAGER)).toBe('verified');
    expect(fake.requests.filter((r) => r.op === 'set')).toEqual([]);
    expect(card.identity.registration.targets().map((t) => t.address)).toEqual([MANAGER.address]);
    await method.remove(client, MANAGER);
    expect(card.identity.registration.targets()).toEqual([]);
  });
});
