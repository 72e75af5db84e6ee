// Discovery end to end on loopback: a /28 with simulated devices of every kind, a recording no
// profile matches, a device that only speaks v3, one that knows none of the credentials, and empty
// addresses. The answering ones are reported with the right profile; `add` admits them within the
// 5 included nodes and says why the rest were not; nothing outside the /28 (nor its network and
// broadcast addresses) receives a single datagram. The CLI is run as shipped (dist/).
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPriscan, type CliRun } from '../helpers/cli-process.js';
import { Fleet } from '../../simulators/fleet.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { EXIT } from '../../src/cli/api-client.js';
import { discoverCommand } from '../../src/cli/commands/discover.js';
import type { UsmUser } from '../../src/snmp/usm.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.200.0/24.
const NET = '127.0.200.';
const PORT = 16213;
const READ = 'disc-ro-5521';
const WRITE = 'disc-rw-5522';
const V3_USER: UsmUser = { name: 'disc-ops', level: 'authPriv', authProtocol: 'sha', authPassword: 'disc-auth-passw0rd', privProtocol: 'aes128', privPassword: 'disc-priv-passw0rd' };
const SECRETS = [READ, WRITE, V3_USER.authPassword!, V3_USER.privPassword!];

let t: TestDaemon;
const fleets: Fleet[] = [];
/** Plain UDP sockets on addresses no probe may reach, counting what arrives. */
const listeners: Array<{ address: string; socket: dgram.Socket; datagrams: number }> = [];
let outsideDevice: SimDevice;
let strangerDevice: SimDevice;
const bodies: string[] = [];

interface Result {
  address: string;
  status: string;
  credential: string | null;
  sysObjectId: string | null;
  sysName: string | null;
  profile: string | null;
  admission: { outcome: string; device: string | null; deviceId: number | null; reason: string | null; message: string | null } | null;
}
interface Job {
  id: string;
  state: string;
  addresses: number;
  probed: number;
  counts: { answered: number; timeout: number; error: number };
  results: Result[];
}

async function api(method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await t.api(method, url, payload);
  bodies.push(JSON.stringify(res.body));
  return res;
}

async function discover(payload: Record<string, unknown>): Promise<Job> {
  const started = await api('POST', '/api/v1/discovery', payload);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const id = started.body.id as string;
  return until(`discovery ${id} finished`, async () => {
    const { body } = await api('GET', `/api/v1/discovery/${id}`);
    return body.state === 'running' ? undefined : (body as unknown as Job);
  }, 20_000);
}

function counted(device: SimDevice): number {
  const c = device.agent.counters;
  return c.requests + c.badCommunity + c.malformed + Object.values(c.usm).reduce((a, b) => a + b, 0);
}

function priscan(args: string[]): Promise<CliRun> {
  return runPriscan(args, { PATH: process.env.PATH, PRISCAN_URL: t.running.httpUrl, PRISCAN_TOKEN: t.adminToken }, 30_000);
}

beforeAll(async () => {
  t = await startTestDaemon({
    discovery: {
      credentials: [
        { name: 'dc-v3', snmp: { version: '3', user: V3_USER.name, level: V3_USER.level, authProtocol: V3_USER.authProtocol, authPassword: V3_USER.authPassword, privProtocol: V3_USER.privProtocol, privPassword: V3_USER.privPassword } },
        { name: 'dc-default', snmp: { version: '2c', readCommunity: READ, writeCommunity: WRITE } },
      ],
      // Every address at once, and a timeout a loaded test machine's simulators answer within:
      // a silent address costs one timeout per credential.
      concurrency: 16,
      ratePerSecond: 500,
      timeoutMs: 1000,
      retries: 0,
    },
  });
  const recording = join(t.dataDir, 'unknown.snmprec');
  writeFileSync(recording, '1.3.6.1.2.1.1.1.0|4|Some switch nobody wrote a profile for\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.32473.9.9\n');
  const common = { port: PORT, readCommunity: READ, writeCommunity: WRITE, apcTrapPort: t.running.intake.port };
  const kinds = ['sim', 'ups', 'apc-ups', 'netbotz', 'pdu', 'sim'] as const;
  fleets.push(
    new Fleet({ ...common, baseAddress: `${NET}1`, devices: kinds.map((kind) => ({ kind, count: 1 })) }),
    new Fleet({ ...common, baseAddress: `${NET}7`, devices: [{ kind: 'snmprec', count: 1 }], snmprecFile: recording }),
    // Knows none of the communities: only the v3 user gets an answer.
    new Fleet({ ...common, baseAddress: `${NET}8`, readCommunity: 'not-ours', writeCommunity: 'not-ours-rw', devices: [{ kind: 'ups', count: 1 }], v3User: V3_USER }),
    // Knows none of the credentials at all.
    new Fleet({ ...common, baseAddress: `${NET}9`, readCommunity: 'stranger', writeCommunity: 'stranger-rw', devices: [{ kind: 'sim', count: 1 }] }),
    // Just outside the range, answering the right community.
    new Fleet({ ...common, baseAddress: `${NET}16`, devices: [{ kind: 'sim', count: 1 }] }),
  );
  for (const fleet of fleets) await fleet.start();
  strangerDevice = fleets[3]!.devices[0]!;
  outsideDevice = fleets[4]!.devices[0]!;
  // The /28's network and broadcast addresses, and the next address after the outside device.
  for (const address of [`${NET}0`, `${NET}15`, `${NET}17`]) {
    const listener = { address, socket: dgram.createSocket('udp4'), datagrams: 0 };
    listener.socket.on('message', () => listener.datagrams++);
    await new Promise<void>((bound) => listener.socket.bind(PORT, address, bound));
    listeners.push(listener);
  }
});

afterAll(async () => {
  try {
    for (const secret of SECRETS) expect(bodies.filter((b) => b.includes(secret)), 'an API response held a secret').toEqual([]);
  } finally {
    for (const l of listeners) l.socket.close();
    for (const fleet of fleets) await fleet.stop();
    await t?.stop();
  }
});

describe('discovery on a /28', () => {
  let job: Job;

  it('reports each answering address with its sysObjectID, sysName, profile and the credential that answered', async () => {
    job = await discover({ targets: `${NET}0/28`, port: PORT });
    expect(job).toMatchObject({ state: 'done', addresses: 14, probed: 14, counts: { answered: 8, timeout: 6, error: 0 } });
    expect(job.results.map((r) => [r.address, r.status, r.profile, r.credential, r.admission])).toEqual([
      [`${NET}1`, 'answered', 'priscan-sim', 'dc-default', null],
      [`${NET}2`, 'answered', 'rfc1628-ups', 'dc-default', null],
      [`${NET}3`, 'answered', 'apc-ups', 'dc-default', null],
      [`${NET}4`, 'answered', 'netbotz', 'dc-default', null],
      [`${NET}5`, 'answered', 'apc-rpdu', 'dc-default', null],
      [`${NET}6`, 'answered', 'priscan-sim', 'dc-default', null],
      [`${NET}7`, 'answered', null, 'dc-default', null],
      // Communities are tried first: the v3 user answers only where no community does.
      [`${NET}8`, 'answered', 'rfc1628-ups', 'dc-v3', null],
    ]);
    const sim = fleets[0]!.devices[0]!;
    expect(job.results[0]).toMatchObject({ sysObjectId: sim.identity.sysObjectId, sysName: `sim-${NET}1`, sysDescr: sim.identity.sysDescr });
    expect(job.results[6]).toMatchObject({ sysObjectId: '1.3.6.1.4.1.32473.9.9', sysName: null, sysDescr: 'Some switch nobody wrote a profile for' });
    expect(t.running.store.devices.count()).toBe(0);
  });

  it('sent nothing outside the range, nor to its network and broadcast addresses', () => {
    // The device that knows no credential was asked (and stayed silent), so the counters count.
    expect(counted(strangerDevice)).toBeGreaterThan(0);
    expect(counted(outsideDevice)).toBe(0);
    expect(listeners.map((l) => [l.address, l.datagrams])).toEqual([[`${NET}0`, 0], [`${NET}15`, 0], [`${NET}17`, 0]]);
  });

  it('with add, admits the matched ones in address order within the 5 included nodes; the rest are listed with the reason', async () => {
    const added = await discover({ targets: [`${NET}1-${NET}8`], port: PORT, add: true });
    expect(added.results.map((r) => [r.address, r.admission?.outcome, r.admission?.device ?? null, r.admission?.reason ?? null])).toEqual([
      [`${NET}1`, 'added', `sim-${NET}1`, null],
      [`${NET}2`, 'added', `ups-${NET}2`, null],
      [`${NET}3`, 'added', `apc-ups-${NET}3`, null],
      [`${NET}4`, 'added', `netbotz-${NET}4`, null],
      [`${NET}5`, 'added', `pdu-${NET}5`, null],
      [`${NET}6`, 'refused', null, 'license'],
      [`${NET}7`, 'unmatched', null, null],
      [`${NET}8`, 'refused', null, 'license'],
    ]);
    expect(added.results[5]!.admission!.message).toMatch(/licensed for 5 nodes and 5 in use/);
    // Added as the API adds devices: licensed, with the credential that answered, registered.
    const { body } = await api('GET', '/api/v1/devices');
    const devices = body.devices as Array<{ id: number; name: string; address: string; port: number; profile: string; snmp: { version: string }; monitoring: string }>;
    expect(devices.map((d) => [d.name, d.address, d.port, d.profile, d.snmp.version, d.monitoring])).toEqual(
      [1, 2, 3, 4, 5].map((i) => [added.results[i - 1]!.admission!.device, `${NET}${i}`, PORT, 'auto', '2c', 'monitored']),
    );
    expect(added.results.slice(0, 5).map((r) => r.admission!.deviceId)).toEqual(devices.map((d) => d.id));
    for (const device of devices) {
      await until(`${device.name} registered`, () => t.running.store.devices.get(device.id)?.state.registration === 'registered', 10_000);
    }
    expect((await api('GET', '/api/v1/licenses/usage')).body).toMatchObject({ used: 5 });
    expect(counted(outsideDevice)).toBe(0);
  });

  it('refuses bad targets and unknown credentials with one clear error, sending nothing', async () => {
    const before = counted(strangerDevice);
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ targets: `${NET}0/16` }, 'DISCOVERY_TARGETS_INVALID', /"127.0.200.0\/16": host bits are set; the network is 127.0.0.0\/16/],
      [{ targets: '127.0.0.0/16' }, 'DISCOVERY_TARGETS_INVALID', /holds 65534 addresses; at most 4096 per discovery/],
      [{ targets: `${NET}1, ${NET}x` }, 'DISCOVERY_TARGETS_INVALID', /"127.0.200.x" is not an IPv4 or IPv6 address/],
      [{ targets: `${NET}9`, credentials: ['dc-v3', 'secret-one'] }, 'DISCOVERY_CREDENTIAL_UNKNOWN', /unknown discovery credential "secret-one"; configured: dc-v3, dc-default/],
      [{ targets: `${NET}9`, community: READ }, 'VALIDATION_FAILED', /Unrecognized key/],
    ];
    for (const [payload, code, message] of cases) {
      const res = await api('POST', '/api/v1/discovery', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(res.body).toMatchObject({ error: { code, message: expect.stringMatching(message) } });
    }
    expect(counted(strangerDevice)).toBe(before);
    expect((await api('GET', '/api/v1/discovery/00000000-0000-4000-8000-000000000000')).body).toMatchObject({ error: { code: 'DISCOVERY_NOT_FOUND' } });
  });
});

describe('priscan discover', () => {
  it('prints a table of what answered, with the profile each matches (the command as shipped)', async () => {
    const run = await priscan(['discover', `${NET}1-7`, '--port', String(PORT)]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^ADDRESS\s+PROFILE\s+SYSNAME\s+SYSOBJECTID\s+CREDENTIAL\s+SYSDESCR \/ ERROR$/);
    expect(lines.find((l) => l.startsWith(`${NET}4 `))).toMatch(new RegExp(`^${NET}4\\s+netbotz\\s+netbotz-${NET}4\\s+[\\d.]+\\s+dc-default\\s+\\S`));
    expect(lines.find((l) => l.startsWith(`${NET}7 `))).toMatch(/\snone\s/);
    expect(run.stdout).toContain('7 of 7 addresses probed: 7 answered (6 matched a profile), 0 silent, 0 failed');
    expect(run.stdout + run.stderr).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  /** The command in-process (the test above runs it as shipped): its output and exit code. */
  async function discoverInProcess(args: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    const out = new Writable({ write: (chunk, _encoding, done) => ((stdout += String(chunk)), done()) });
    const code = await discoverCommand([...args, '--url', t.running.httpUrl, '--token', t.adminToken], out);
    return { code, stdout };
  }

  it('with --add and --credential, shows what was added and exits 1 when the license refused some', async () => {
    const run = await discoverInProcess([`${NET}1-8`, '--port', String(PORT), '--add', '--credential', 'dc-default', '--credential', 'dc-v3,dc-default']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${NET}1 .*exists \\(sim-${NET}1\\)`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${NET}6 .*refused: license full`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${NET}7 .*not added: no profile`, 'm'));
    expect(run.stdout).toMatch(/added 0, refused 2, already known 5, unmatched 1\nlicensed for 5 nodes and 5 in use/);
  });

  it('gives JSON with --json, help, and a usage error or a clear refusal for bad input', async () => {
    const json = await discoverInProcess([`${NET}6`, '--port', String(PORT), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'done', results: [{ address: `${NET}6`, profile: 'priscan-sim', credential: 'dc-default' }] });
    const help = await discoverInProcess(['--help']);
    expect(help).toEqual({ code: 0, stdout: expect.stringMatching(/^Usage: priscan discover TARGETS/) });
    await expect(discoverInProcess([])).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringMatching(/name the addresses to probe/) });
    await expect(discoverInProcess(['10.1.2.0/33'])).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringMatching(/"10.1.2.0\/33": the prefix length must be 0 to 32 \[DISCOVERY_TARGETS_INVALID\]/),
    });
    expect(counted(outsideDevice)).toBe(0);
  });
});
