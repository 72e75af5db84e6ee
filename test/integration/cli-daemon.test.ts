// The priscan command line as shipped (dist/, built by npm test), run as child processes
// against a daemon started in the test. Exit codes: 0 ok, 1 refused, 2 usage, 3 unreachable, 4 token refused.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, TEST_MAC, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.37.0/24.
const PORT = 16182;
const CLI = resolve(import.meta.dirname, '../../dist/src/cli/priscan.js');
const ISSUER_SECRET = 'test issuer secret, not for production use';

let t: TestDaemon;
let fleet: Fleet;
let configFile = '';
let env: NodeJS.ProcessEnv = {};

interface Run { code: number | null; stdout: string; stderr: string }

function priscan(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  t = await startTestDaemon({}, { licensedNodes: 10 });
  configFile = join(t.dataDir, 'priscan.yaml');
  writeFileSync(configFile, `dataDir: ${t.dataDir}\n`);
  env = { PATH: process.env.PATH, PRISCAN_URL: t.running.httpUrl, PRISCAN_TOKEN: t.adminToken, PRISCAN_READ_COMMUNITY: 'public', PRISCAN_WRITE_COMMUNITY: 'private' };
  fleet = new Fleet({ devices: [{ kind: 'ups', count: 2 }], baseAddress: '127.0.37.1', port: PORT });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('help and usage', () => {
  it.each([['--help'], ['devices', '--help'], ['license', '--help'], ['token', '--help'], ['help', 'devices'], ['alarms', '--help'], ['demo', '--help']])('priscan %s prints usage and exits 0', async (...args) => {
    const run = await priscan(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage:/);
  });

  it.each([[['frobnicate'], /unknown command "frobnicate"/], [['devices', 'list', '--frob'], /Unknown option '--frob'/], [['devices', 'add', '--address', '127.0.37.1'], /needs --name and --address/]])(
    'priscan %s is a usage error (exit 2)',
    async (args, message) => {
      const run = await priscan(args as string[]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    },
  );
});

describe('tokens', () => {
  it('creates a token once, lists it without the secret, and a revoked token is refused', async () => {
    const created = await priscan(['token', 'create', '--role', 'viewer', '--name', 'ops', '--config', configFile]);
    expect(created.code).toBe(0);
    const token = created.stdout.split('\n')[0]!;
    expect(token).toMatch(/^psk_[A-Za-z0-9_-]{43}$/);
    const list = await priscan(['token', 'list', '--config', configFile]);
    expect(list.stdout).toMatch(/ops\s+viewer/);
    expect(list.stdout).not.toContain(token);
    const json = JSON.parse((await priscan(['token', 'list', '--json', '--config', configFile])).stdout) as Array<{ name: string }>;
    expect(json.map((x) => x.name)).toContain('ops');
    expect((await priscan(['devices', 'list'], { PRISCAN_TOKEN: token })).code).toBe(0);
    const denied = await priscan(['devices', 'add', '--name', 'x', '--address', '127.0.37.9'], { PRISCAN_TOKEN: token });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/viewer role cannot change anything/);
    expect((await priscan(['token', 'revoke', 'ops', '--config', configFile])).code).toBe(0);
    const revoked = await priscan(['devices', 'list'], { PRISCAN_TOKEN: token });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).not.toContain(token);
  });
});

describe('devices and alarms', () => {
  it('adds (dry run first), lists, scans and removes a device', async () => {
    const dry = await priscan(['devices', 'add', '--name', 'ups-1', '--address', '127.0.37.1', '--port', String(PORT), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/profile auto would choose: rfc1628-ups/);
    expect(t.running.store.devices.count()).toBe(0);
    const added = await priscan(['devices', 'add', '--name', 'ups-1', '--address', '127.0.37.1', '--port', String(PORT), '--timeout', '500']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/added device \d+ ups-1/);
    await until('registered', () => t.running.store.devices.getByName('ups-1')?.state.registration === 'registered');
    expect((await priscan(['devices', 'list'])).stdout).toMatch(/ups-1\s+127\.0\.37\.1:16182\s+rfc1628-ups\s+up\s+registered/);
    const listed = JSON.parse((await priscan(['devices', 'list', '--json'])).stdout) as Array<{ name: string; snmp?: unknown }>;
    expect(listed.map((d) => d.name)).toEqual(['ups-1']);
    expect(JSON.stringify(listed)).not.toMatch(/public|private/);
    expect((await priscan(['devices', 'scan', 'ups-1'])).stdout).toMatch(/scan of device \d+: (queued|coalesced|follow-up)/);
    const again = await priscan(['devices', 'add', '--name', 'ups-1', '--address', '127.0.37.2', '--port', String(PORT)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/DEVICE_EXISTS/);
  });

  it('lists active alarms, and follows raises as they happen', async () => {
    fleet.devices[0]!.raise('onBattery');
    await until('alarm', () => t.running.store.alarms.active().length > 0);
    expect((await priscan(['alarms'])).stdout).toMatch(/ups-1\s+warning\s+ups\.onBattery\s+UPS on battery/);
    const child = spawn(process.execPath, [CLI, 'alarms', '--follow', '--json'], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await until('the active alarm listed', () => out.includes('"kind":"active"'), 10_000);
      fleet.devices[0]!.raise('lowBattery');
      await until('the raise followed', () => out.split('\n').some((l) => l.includes('"kind":"raise"') && l.includes('ups.lowBattery')), 10_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('adds an SNMPv3 device with its passwords from the environment, never echoing them', async () => {
    const secrets = { PRISCAN_V3_AUTH_PASSWORD: 'cli-auth-passw0rd', PRISCAN_V3_PRIV_PASSWORD: 'cli-priv-passw0rd' };
    const missing = await priscan(['devices', 'add', '--name', 'pdu-v3', '--address', '127.0.37.9', '--v3-user', 'ops', '--v3-level', 'authPriv', '--v3-auth', 'sha', '--v3-priv', 'aes128']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/PRISCAN_V3_AUTH_PASSWORD/);
    const added = await priscan(['devices', 'add', '--name', 'pdu-v3', '--address', '127.0.37.9', '--v3-user', 'ops', '--v3-auth', 'sha', '--v3-priv', 'aes128', '--json'], secrets);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'pdu-v3', snmp: { version: '3', user: 'ops', level: 'authPriv', authProtocol: 'sha', privProtocol: 'aes128' } });
    const listed = await priscan(['devices', 'list', '--json']);
    for (const output of [added.stdout, added.stderr, listed.stdout]) for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    expect((await priscan(['devices', 'remove', 'pdu-v3'])).code).toBe(0);
  });

  it('removes the device by name', async () => {
    const removed = await priscan(['devices', 'remove', 'ups-1']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/removed device \d+/);
    expect(t.running.store.devices.count()).toBe(0);
  });

  it('says when the daemon cannot be reached (exit 3)', async () => {
    const run = await priscan(['devices', 'list'], { PRISCAN_URL: 'http://127.0.0.1:9' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot reach priscan at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('licenses', () => {
  it('prints this machine\'s identity', async () => {
    const run = await priscan(['license', 'id']);
    if (run.code !== 0) {
      expect(run.stderr).toMatch(/no network interface can identify this server/);
      return;
    }
    expect(run.stdout).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}\s+\(interface \S+\)\n$/);
  });

  it('issues a key from the ledger once per passcode, then adds, lists and removes it on the daemon', async () => {
    const ledger = join(t.dataDir, 'ledger.db');
    const issue = ['license', 'issue', '--passcode', 'PO-2026-0042', '--mac', TEST_MAC, '--nodes', '3', '--ledger', ledger];
    expect((await priscan(issue)).code).toBe(2); // no issuer secret
    const issued = await priscan(issue, { PRISCAN_ISSUER_SECRET: ISSUER_SECRET });
    expect(issued.code).toBe(0);
    const key = issued.stdout.split('\n')[0]!;
    expect(key).toMatch(/^([0-9A-Z]{8}-){7}[0-9A-Z]{8}$/);
    const twice = await priscan(issue, { PRISCAN_ISSUER_SECRET: ISSUER_SECRET });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already redeemed/);
    for (const run of [issued, twice]) expect(run.stdout + run.stderr).not.toContain(ISSUER_SECRET);

    const added = await priscan(['license', 'add', ...key.toLowerCase().split('-')]);
    expect(added.code).toBe(0);
    const fingerprint = /installed license ([0-9a-f]{8})/.exec(added.stdout)![1]!;
    expect((await priscan(['license', 'list'])).stdout).toMatch(new RegExp(`${fingerprint}\\s+3\\s+standard`));
    expect((await priscan(['license', 'remove', fingerprint])).code).toBe(0);
    const gone = await priscan(['license', 'remove', fingerprint]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/LICENSE_NOT_FOUND/);
  });
});
