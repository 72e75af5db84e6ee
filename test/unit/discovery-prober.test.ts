// The discovery prober on a fake network and a fake clock: it asks each address who it is, tries
// the credentials in order (communities, then v3 users) until one answers, keeps to its bounds on
// concurrency and rate, and sends to nothing outside the addresses it is given.
import { describe, expect, it } from 'vitest';
import { Prober, type ProbeCredential, type ProbeSettings } from '../../src/discovery/prober.js';
import { parseTargets } from '../../src/discovery/targets.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeSnmpNetwork, settle, type FakeAgent } from '../helpers/fake-snmp-network.js';

const SIM = '1.3.6.1.4.1.32473.1.3.1';
const v2c = (name: string, community: string): ProbeCredential => ({ name, credentials: { version: '2c', community } });
const v3 = (name: string, user: string): ProbeCredential => ({
  name,
  credentials: { version: '3', usm: { name: user, level: 'authNoPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd' } },
});
const SETTINGS: ProbeSettings = { port: 161, concurrency: 4, ratePerSecond: 1000, timeoutMs: 500, retries: 1 };

function network(agents: Record<string, FakeAgent>, answerMs = 0) {
  const clock = new FakeClock();
  const net = new FakeSnmpNetwork(clock, new Map(Object.entries(agents)), answerMs);
  return { clock, net, prober: new Prober({ clock, clients: net }) };
}

describe('the prober', () => {
  it('reports who answers, with which credential (by name), and which addresses are silent', async () => {
    const { clock, net, prober } = network({
      '10.1.2.1': { sysObjectId: SIM, sysName: 'ups-a1', sysDescr: 'UPS\r\n  rack 4', community: 'public' },
      '10.1.2.3': { sysObjectId: '1.3.6.1.4.1.318.1.3.2.1', community: 'dc-ro' },
    });
    const results = await settle(clock, prober.probe({ addresses: parseTargets('10.1.2.1-3'), credentials: [v2c('default', 'public'), v2c('dc', 'dc-ro')], settings: SETTINGS }));
    expect(results).toEqual([
      { address: '10.1.2.1', status: 'answered', credential: 'default', sysObjectId: SIM, sysName: 'ups-a1', sysDescr: 'UPS rack 4' },
      { address: '10.1.2.2', status: 'timeout' },
      { address: '10.1.2.3', status: 'answered', credential: 'dc', sysObjectId: '1.3.6.1.4.1.318.1.3.2.1', sysName: null, sysDescr: null },
    ]);
    expect(JSON.stringify(results)).not.toMatch(/public|dc-ro/);
    expect(net.openSessions).toBe(0);
  });

  it('tries communities before v3 users, retries only timeouts, and stops at the first answer', async () => {
    const { clock, net, prober } = network({
      '10.1.2.1': { sysObjectId: SIM, community: 'second' },
      '10.1.2.2': { sysObjectId: SIM, v3User: 'ops' },
    });
    const credentials = [v3('wrong-user', 'nobody'), v3('ops', 'ops'), v2c('first', 'first'), v2c('second', 'second')];
    const results = await settle(clock, prober.probe({ addresses: ['10.1.2.1', '10.1.2.2'], credentials, settings: { ...SETTINGS, concurrency: 1 } }));
    expect(results.map((r) => [r.address, r.status, 'credential' in r ? r.credential : null])).toEqual([
      ['10.1.2.1', 'answered', 'second'],
      ['10.1.2.2', 'answered', 'ops'],
    ]);
    const attempts = (address: string) => net.sent.filter((s) => s.address === address).map((s) => s.credential);
    // The first community times out twice (1 retry); the second answers: no v3 user is tried.
    expect(attempts('10.1.2.1')).toEqual(['first', 'first', 'second']);
    // Both communities time out twice; the unknown v3 user is refused at once (no retry); ops answers.
    expect(attempts('10.1.2.2')).toEqual(['first', 'first', 'second', 'second', 'nobody', 'ops']);
    // Retries are the prober's, each waiting for its turn at the rate limit: the sessions retry nothing.
    expect(new Set(net.sent.map((s) => [s.retries, s.timeoutMs].join()))).toEqual(new Set(['0,500']));
  });

  it('reports an agent that refuses every credential, or answers with an error status, as an error', async () => {
    const { clock, net, prober } = network({
      '10.1.2.1': { sysObjectId: SIM, v3User: 'someone-else' },
      '10.1.2.2': { sysObjectId: SIM, community: 'public', errorStatus: 'genErr' },
    });
    const results = await settle(clock, prober.probe({ addresses: ['10.1.2.1', '10.1.2.2'], credentials: [v2c('default', 'public'), v3('ops', 'ops'), v2c('other', 'other')], settings: SETTINGS }));
    expect(results).toEqual([
      { address: '10.1.2.1', status: 'error', error: 'ops: 10.1.2.1:161: unknown user name' },
      { address: '10.1.2.2', status: 'error', error: 'default: 10.1.2.2:161 answered genErr' },
    ]);
    // An error status ends the address: the agent took the community, another will not help.
    expect(net.sent.filter((s) => s.address === '10.1.2.2').map((s) => s.credential)).toEqual(['public']);
  });

  it('never has more than `concurrency` requests in flight', async () => {
    const agents = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`10.1.2.${i + 1}`, { sysObjectId: SIM, community: 'public' }]));
    const { clock, net, prober } = network(agents, 300);
    const results = await settle(clock, prober.probe({ addresses: parseTargets('10.1.2.0/27'), credentials: [v2c('default', 'public')], settings: { ...SETTINGS, concurrency: 5, retries: 0 } }));
    expect(results).toHaveLength(30);
    expect(results.filter((r) => r.status === 'answered')).toHaveLength(20);
    // Reached, so the bound was what held it back.
    expect(net.maxInFlight).toBe(5);
  });

  it('starts at most `ratePerSecond` requests in any second, retries included', async () => {
    const { clock, net, prober } = network({ '10.1.2.7': { sysObjectId: SIM, community: 'public' } });
    const start = clock.now();
    await settle(clock, prober.probe({ addresses: parseTargets('10.1.2.0/27'), credentials: [v2c('a', 'public'), v2c('b', 'other')], settings: { ...SETTINGS, concurrency: 16, ratePerSecond: 20, timeoutMs: 100, retries: 1 } }));
    const times = net.sent.map((s) => s.at - start).sort((a, b) => a - b);
    // 29 silent addresses x 2 credentials x 2 attempts, and one answer.
    expect(times).toHaveLength(29 * 4 + 1);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBe(20);
    // Evenly spaced: one every 50 ms, never a burst.
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(times.slice(1).map(() => 50));
  });

  it('sends to the addresses it is given and nothing else, not even a device next to them', async () => {
    const agents = Object.fromEntries(['127.0.200.0', '127.0.200.3', '127.0.200.9', '127.0.200.15', '127.0.200.16'].map((a) => [a, { sysObjectId: SIM, community: 'public' }]));
    const { clock, net, prober } = network(agents);
    const addresses = parseTargets('127.0.200.0/28');
    const results = await settle(clock, prober.probe({ addresses, credentials: [v2c('a', 'public'), v3('b', 'ops')], settings: { ...SETTINGS, port: 16161 } }));
    expect(results.filter((r) => r.status === 'answered').map((r) => r.address)).toEqual(['127.0.200.3', '127.0.200.9']);
    expect([...net.contacted].sort()).toEqual([...addresses].sort());
    for (const outside of ['127.0.200.0', '127.0.200.15', '127.0.200.16']) expect(net.contacted.has(outside), outside).toBe(false);
    expect(new Set(net.sent.map((s) => s.port))).toEqual(new Set([16161]));
  });

  it('sends nothing more once aborted, and reports only the addresses it finished', async () => {
    const { clock, net, prober } = network({});
    const abort = new AbortController();
    const run = prober.probe({ addresses: parseTargets('10.1.2.0/24'), credentials: [v2c('a', 'public')], settings: { ...SETTINGS, retries: 0 }, signal: abort.signal });
    const finished = settle(clock, run);
    await new Promise((resolve) => setImmediate(resolve));
    while (net.sent.length < 10) {
      clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve));
    }
    abort.abort();
    const sentAtAbort = net.sent.length;
    const results = await finished;
    expect(net.sent.length).toBe(sentAtAbort);
    expect(results.length).toBeLessThanOrEqual(sentAtAbort);
    expect(results.length).toBeGreaterThan(0);
    expect(net.openSessions).toBe(0);
  });
});
