// Discovery jobs on a fake network: what a job reports, how discovered devices are named and
// admitted (in address order, within the license, never the unmatched), one job at a time, and
// requests refused before anything is sent.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { deviceInputSchema } from '../../src/config/schema.js';
import { discoveredName, uniqueName } from '../../src/discovery/naming.js';
import type { ProbeCredential } from '../../src/discovery/prober.js';
import { DiscoveryRequestError, DiscoveryService, type Admission, type Candidate, type DiscoveryAdmission, type DiscoveryJob } from '../../src/discovery/service.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeSnmpNetwork, settle, type FakeAgent } from '../helpers/fake-snmp-network.js';

const SIM = '1.3.6.1.4.1.32473.1.3.1';
const UPS = '1.3.6.1.4.1.32473.1.3.2';
const PROFILES: Record<string, string> = { [SIM]: 'priscan-sim', [UPS]: 'rfc1628-ups' };
const CREDENTIALS: ProbeCredential[] = [
  { name: 'default', credentials: { version: '2c', community: 'public' } },
  { name: 'dc', credentials: { version: '2c', community: 'dc-ro' } },
];

/** Devices by address, admitted up to `licensed`, as DeviceService admits API additions. */
class FakeAdmission implements DiscoveryAdmission {
  readonly devices = new Map<string, Candidate & { id: number }>();
  constructor(
    private readonly licensed: number,
    existing: ReadonlyArray<{ name: string; address: string }> = [],
  ) {
    for (const d of existing) this.devices.set(d.address, { ...d, port: 161, credential: 'config', id: this.devices.size + 1 });
  }
  existingAt(address: string) {
    return this.devices.get(address)?.name;
  }
  nameTaken(name: string) {
    return [...this.devices.values()].some((d) => d.name === name);
  }
  add(candidate: Candidate): Admission {
    if (this.devices.size >= this.licensed) return { outcome: 'refused', reason: 'license', message: `licensed for ${this.licensed} nodes and ${this.devices.size} in use` };
    const id = this.devices.size + 1;
    this.devices.set(candidate.address, { ...candidate, id });
    return { outcome: 'added', deviceId: id, name: candidate.name };
  }
}

function discoveryOn(agents: Record<string, FakeAgent>, admission: DiscoveryAdmission = new FakeAdmission(5), credentials = CREDENTIALS) {
  const clock = new FakeClock();
  const net = new FakeSnmpNetwork(clock, new Map(Object.entries(agents)));
  let ids = 0;
  const service = new DiscoveryService({
    clock,
    clients: net,
    log: pino({ level: 'silent' }),
    credentials,
    settings: { concurrency: 8, ratePerSecond: 100, timeoutMs: 200, retries: 0 },
    profileFor: (oid) => PROFILES[oid],
    admission,
    newId: () => `job-${++ids}`,
  });
  const finish = (job: DiscoveryJob) => settle(clock, (async () => {
    while (service.get(job.id)?.state === 'running') await new Promise((resolve) => setImmediate(resolve));
    return service.get(job.id)!;
  })());
  return { clock, net, service, finish };
}

const agent = (sysObjectId: string, sysName: string, community = 'public'): FakeAgent => ({ sysObjectId, sysName, sysDescr: `${sysName} device`, community });

describe('a discovery job', () => {
  it('lists what answered with its profile, counts the silent, and adds nothing without add', async () => {
    const admission = new FakeAdmission(5);
    const { service, finish } = discoveryOn({ '10.1.2.2': agent(SIM, 'sim-a'), '10.1.2.5': { sysObjectId: '1.3.6.1.4.1.9.1.1', community: 'dc-ro' } }, admission);
    const job = await finish(service.begin({ targets: '10.1.2.0/29', port: 161, add: false }));
    expect(job).toMatchObject({ state: 'done', addresses: 6, probed: 6, counts: { answered: 2, timeout: 4, error: 0 }, credentials: ['default', 'dc'] });
    expect(job.results.map((r) => [r.address, r.status, r.profile, r.admission])).toEqual([
      ['10.1.2.2', 'answered', 'priscan-sim', null],
      ['10.1.2.5', 'answered', null, null],
    ]);
    expect(admission.devices.size).toBe(0);
    expect(job.finishedAt).toBeGreaterThan(job.startedAt);
  });

  it('with add, admits the matched ones in address order up to the license, names them from sysName, and lists the rest', async () => {
    const admission = new FakeAdmission(3, [{ name: 'pdu-1', address: '10.1.2.9' }]);
    const { service, finish } = discoveryOn(
      {
        '10.1.2.1': agent(SIM, 'UPS Room 2'),
        '10.1.2.2': agent(UPS, 'UPS Room 2'),
        '10.1.2.3': { sysObjectId: '1.3.6.1.4.1.9.1.1', sysName: 'router', community: 'public' },
        '10.1.2.4': agent(SIM, 'pdu-1', 'dc-ro'),
        '10.1.2.6': agent(UPS, ''),
        '10.1.2.9': agent(UPS, 'already-known'),
      },
      admission,
    );
    const job = await finish(service.begin({ targets: ['10.1.2.1-6', '10.1.2.9'], port: 1161, add: true }));
    expect(job.results.map((r) => [r.address, r.admission?.outcome, r.admission && 'name' in r.admission ? r.admission.name : null])).toEqual([
      ['10.1.2.1', 'added', 'UPS-Room-2'],
      ['10.1.2.2', 'added', 'UPS-Room-2-2'],
      ['10.1.2.3', 'unmatched', null],
      ['10.1.2.4', 'refused', null],
      ['10.1.2.6', 'refused', null],
      ['10.1.2.9', 'exists', 'pdu-1'],
    ]);
    expect(job.results[3]!.admission).toMatchObject({ reason: 'license', message: 'licensed for 3 nodes and 3 in use' });
    expect(job.results[2]!.admission).toMatchObject({ message: 'no profile matches sysObjectID 1.3.6.1.4.1.9.1.1: add it with an explicit profile' });
    expect([...admission.devices.values()].map((d) => [d.address, d.name, d.port, d.credential])).toEqual([
      ['10.1.2.9', 'pdu-1', 161, 'config'],
      ['10.1.2.1', 'UPS-Room-2', 1161, 'default'],
      ['10.1.2.2', 'UPS-Room-2-2', 1161, 'default'],
    ]);
  });

  it('names a device without a usable sysName after its profile and address, de-duplicated', async () => {
    const admission = new FakeAdmission(10);
    const { service, finish } = discoveryOn({ '10.1.2.1': agent(SIM, ''), '10.1.2.2': agent(SIM, '---'), '10.1.2.3': agent(SIM, 'priscan-sim-10.1.2.1') }, admission);
    await finish(service.begin({ targets: '10.1.2.1-3', port: 161, add: true }));
    expect([...admission.devices.values()].map((d) => d.name)).toEqual(['priscan-sim-10.1.2.1', 'priscan-sim-10.1.2.2', 'priscan-sim-10.1.2.1-2']);
  });

  it('tries only the credentials named, in the order named', async () => {
    const { net, service, finish } = discoveryOn({ '10.1.2.1': agent(SIM, 'a', 'public') });
    const job = await finish(service.begin({ targets: '10.1.2.1', port: 161, credentials: ['dc'], add: false }));
    expect(job).toMatchObject({ credentials: ['dc'], counts: { answered: 0, timeout: 1 } });
    expect(net.sent.map((s) => s.credential)).toEqual(['dc-ro']);
  });

  it.each([
    [{ targets: '10.1.2.0/16' }, 'targets', /"10.1.2.0\/16": host bits are set/],
    [{ targets: '10.0.0.0/16' }, 'targets', /holds 65534 addresses; at most 4096/],
    [{ targets: '10.1.2.1', credentials: ['default', 'nope'] }, 'credentials', /unknown discovery credential "nope"; configured: default, dc/],
  ])('refuses %j before sending anything', (request, reason, message) => {
    const { net, service } = discoveryOn({});
    let refusal: unknown;
    try {
      service.begin({ port: 161, add: true, ...request });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DiscoveryRequestError);
    expect(refusal).toMatchObject({ reason, message: expect.stringMatching(message) });
    expect(net.sent).toEqual([]);
    expect(service.busy).toBe(false);
  });

  it('refuses to start without configured credentials', () => {
    const { service } = discoveryOn({}, new FakeAdmission(5), []);
    expect(() => service.begin({ targets: '10.1.2.1', port: 161, add: false })).toThrow(/no discovery credentials are configured: add them under discovery.credentials/);
  });

  it('runs one job at a time, and keeps the last 8 finished ones', async () => {
    const { service, finish } = discoveryOn({});
    const first = service.begin({ targets: '10.1.2.1-4', port: 161, add: false });
    expect(() => service.begin({ targets: '10.1.3.1', port: 161, add: false })).toThrow(/discovery job-1 is running \(0 of 4 addresses probed\); wait for it to finish/);
    await finish(first);
    const ids = [first.id];
    for (let i = 0; i < 8; i++) ids.push((await finish(service.begin({ targets: '10.1.2.1', port: 161, add: false }))).id);
    expect(service.get(ids[0]!)).toBeUndefined();
    expect(ids.slice(1).map((id) => service.get(id)?.state)).toEqual(Array(8).fill('done'));
  });

  it('stops sending when the service stops, and the job says it was stopped', async () => {
    const { clock, net, service } = discoveryOn({});
    const job = service.begin({ targets: '10.1.2.0/24', port: 161, add: true });
    while (net.sent.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(10);
    }
    await settle(clock, service.stop());
    const sent = net.sent.length;
    expect(service.get(job.id)).toMatchObject({ state: 'stopped' });
    expect(service.get(job.id)!.probed).toBeLessThan(254);
    clock.advance(60_000);
    expect(net.sent.length).toBe(sent);
    expect(service.busy).toBe(false);
  });
});

describe('discovered names', () => {
  it.each([
    ['ups-a1', 'ups-a1'],
    ['UPS Room 2 (west)', 'UPS-Room-2-west'],
    ['  _lab.ups  ', 'lab.ups'],
    ['ups.example.net.', 'ups.example.net'],
    ['x'.repeat(80), 'x'.repeat(64)],
    ['', 'apc-ups-10.1.2.3'],
    ['äöü', 'apc-ups-10.1.2.3'],
  ])('%j becomes %j', (sysName, name) => {
    expect(discoveredName({ sysName, profile: 'apc-ups', address: '10.1.2.3' })).toBe(name);
    expect(deviceInputSchema.shape.name.safeParse(name).success).toBe(true);
  });

  it('makes a v6 address fit the rule', () => {
    const name = discoveredName({ sysName: null, profile: null, address: '2001:db8::1' });
    expect(name).toBe('device-2001-db8-1');
    expect(deviceInputSchema.shape.name.safeParse(name).success).toBe(true);
  });

  it('adds the first free suffix, shortening to stay within 64 characters', () => {
    const taken = new Set(['ups', 'ups-2', 'x'.repeat(64)]);
    expect(uniqueName('ups', (n) => taken.has(n))).toBe('ups-3');
    expect(uniqueName('pdu', (n) => taken.has(n))).toBe('pdu');
    expect(uniqueName('x'.repeat(64), (n) => taken.has(n))).toBe(`${'x'.repeat(62)}-2`);
  });
});
