// The config's discovery section: strict like the rest, secrets redacted when logged, and the
// credentials handed to the prober as the read side of each (by name).
import { describe, expect, it } from 'vitest';
import { discoveryCredentials } from '../../src/app/discovery-admission.js';
import { ConfigError, parseConfig, redactConfig } from '../../src/config/load.js';

const V3 = { version: '3', user: 'disc', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' } as const;
const CREDENTIALS = [
  { name: 'dc-default', snmp: { readCommunity: 'ro-secret-1', writeCommunity: 'rw-secret-1' } },
  { name: 'ops-v3', snmp: V3 },
];

describe('discovery config', () => {
  it('has defaults that bound a sweep, and no credentials', () => {
    expect(parseConfig({}, 'test').discovery).toEqual({ credentials: [], concurrency: 16, ratePerSecond: 50, timeoutMs: 1000, retries: 1 });
  });

  it('takes credentials shaped like a device\'s snmp, and never logs their secrets', () => {
    const config = parseConfig({ discovery: { credentials: CREDENTIALS, ratePerSecond: 10 } }, 'test');
    expect(config.discovery.credentials.map((c) => [c.name, c.snmp.version])).toEqual([['dc-default', '2c'], ['ops-v3', '3']]);
    const logged = JSON.stringify(redactConfig(config));
    for (const secret of ['ro-secret-1', 'rw-secret-1', V3.authPassword, V3.privPassword]) expect(logged).not.toContain(secret);
    expect(logged).toContain('"name":"ops-v3"');
  });

  it('probes with the read community, or the v3 user', () => {
    const config = parseConfig({ discovery: { credentials: CREDENTIALS } }, 'test');
    expect(discoveryCredentials(config.discovery)).toEqual([
      { name: 'dc-default', credentials: { version: '2c', community: 'ro-secret-1' } },
      { name: 'ops-v3', credentials: { version: '3', usm: { name: 'disc', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' } } },
    ]);
  });

  it.each([
    [{ credentials: [CREDENTIALS[0], { ...CREDENTIALS[1], name: 'dc-default' }] }, /test: discovery.credentials.1.name: duplicates discovery.credentials.0.name \(dc-default\)/],
    [{ credentials: [{ name: 'bad name', snmp: CREDENTIALS[0]!.snmp }] }, /discovery.credentials.0.name: letters, digits/],
    [{ credentials: [{ name: 'x', snmp: { readCommunity: 'only-read' } }] }, /discovery.credentials.0.snmp.writeCommunity/],
    [{ credentials: [{ name: 'x', snmp: { ...V3, privPassword: 'short' } }] }, /discovery.credentials.0.snmp.privPassword: must be at least 8 characters/],
    [{ concurrency: 0 }, /discovery.concurrency/],
    [{ ratePerSecond: 0.5 }, /discovery.ratePerSecond/],
    [{ timeoutMs: 10 }, /discovery.timeoutMs/],
    [{ retries: 9 }, /discovery.retries/],
    [{ community: 'public' }, /discovery: Unrecognized key: "community"/],
  ])('refuses %j with one line naming the key, never the secret', (discovery, message) => {
    expect(() => parseConfig({ discovery }, 'test')).toThrow(ConfigError);
    expect(() => parseConfig({ discovery }, 'test')).toThrow(message);
    try {
      parseConfig({ discovery }, 'test');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/only-read|ro-secret|short|passw0rd/);
    }
  });
});
