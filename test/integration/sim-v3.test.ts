// SNMPv3 simulated devices driven by npm net-snmp's createV3Session (what priscan's scanner
// uses): walks, GETs and SETs for several authPriv protocol pairs, the control API's view of a
// v3 device, and the priscan-sim command line's v3 options.
// Devices on 127.0.141.0/24, port 17230.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNMP_ENGINE } from '../../simulators/agent/engine.js';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { PRISCAN_SIM, ROW_STATUS, SNMPV2 } from '../../src/profiles/oids.js';
import { desAvailable, type AuthProtocol, type PrivProtocol, type UsmUser } from '../../src/snmp/usm.js';

const PORT = 17230;
const CLI = resolve(import.meta.dirname, '../../dist/simulators/cli.js');
const PASSWORDS = { authPassword: 'auth-passw0rd', privPassword: 'priv-passw0rd' };
/** net-snmp's names: `aes` is AES-128, `aes256b` the Blumenthal AES-256 (net-snmp tools' AES256). */
const NET_SNMP_PRIV: Record<PrivProtocol, number> = { des: snmp.PrivProtocols.des, aes128: snmp.PrivProtocols.aes, aes256: snmp.PrivProtocols.aes256b };

const PAIRS: Array<[AuthProtocol, PrivProtocol]> = [['sha', 'aes128'], ['sha256', 'aes256'], ['sha512', 'aes128'], ...(desAvailable() ? [['md5', 'des'] as [AuthProtocol, PrivProtocol]] : [])];
const userOf = ([authProtocol, privProtocol]: [AuthProtocol, PrivProtocol]): UsmUser => ({ name: `ops-${authProtocol}-${privProtocol}`, level: 'authPriv', authProtocol, privProtocol, ...PASSWORDS });
const address = (i: number) => `127.0.141.${i + 1}`;

interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

function v3Session(at: string, user: UsmUser, port = PORT) {
  const session = snmp.createV3Session(
    at,
    {
      name: user.name,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols[user.authProtocol!],
      authKey: user.authPassword!,
      privProtocol: NET_SNMP_PRIV[user.privProtocol!],
      privKey: user.privPassword!,
    },
    { port, timeout: 2000, retries: 1 },
  );
  session.on('error', () => undefined);
  return {
    get: (oids: string[]) => new Promise<Varbind[]>((ok, fail) => session.get(oids, (error, varbinds) => (error ? fail(error) : ok(varbinds as Varbind[])))),
    set: (varbinds: Varbind[]) => new Promise<Varbind[]>((ok, fail) => session.set(varbinds as snmp.Varbind[], (error, result) => (error ? fail(error) : ok(result as Varbind[])))),
    subtree: (oid: string) =>
      new Promise<Varbind[]>((ok, fail) => {
        const rows: Varbind[] = [];
        session.subtree(oid, 20, (varbinds) => void rows.push(...(varbinds as Varbind[])), (error: Error | null) => (error ? fail(error) : ok(rows)));
      }),
    close: () => session.close(),
  };
}

let fleet: Fleet;

beforeAll(async () => {
  fleet = new Fleet({ devices: PAIRS.map((pair) => ({ kind: 'sim' as const, count: 1, v3User: userOf(pair) })), baseAddress: address(0), port: PORT });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
});

describe('npm net-snmp against simulated v3 devices', () => {
  it.each(PAIRS.map((pair, i) => [`${pair[0]}+${pair[1]}`, pair, address(i)] as const))('%s: walks the alarm table, reads the engine, registers by SET', async (_name, pair, at) => {
    const user = userOf(pair);
    const device = fleet.get(at)!;
    device.raise('onBattery');
    device.raise('doorOpen');
    const session = v3Session(at, user);
    try {
      const [sysName, engineId] = await session.get([SNMPV2.sysName, SNMP_ENGINE.id]);
      expect(String(sysName!.value)).toBe(`sim-${at}`);
      expect((engineId!.value as Buffer).equals(device.engine!.engineId)).toBe(true);

      const codes = await session.subtree(`${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.code}`);
      expect(codes.map((vb) => vb.value)).toEqual([2, 201]);

      const idx = '192.0.2.30.16230';
      await session.set([
        { oid: `${PRISCAN_SIM.regEntry}.${PRISCAN_SIM.regCol.community}.${idx}`, type: snmp.ObjectType.OctetString, value: 'from-v3' },
        { oid: `${PRISCAN_SIM.regEntry}.${PRISCAN_SIM.regCol.rowStatus}.${idx}`, type: snmp.ObjectType.Integer, value: ROW_STATUS.createAndGo },
      ]);
      expect(device.status().managers).toEqual([{ address: '192.0.2.30', port: 16230, community: 'from-v3', version: 'v2c', type: 'trap' }]);
      expect(device.status().counters.requests).toBeGreaterThanOrEqual(3);
    } finally {
      session.close();
    }
  });

  it('fails authentication with the wrong password (net-snmp sees the report), and the device counts it', async () => {
    const user = userOf(PAIRS[0]!);
    const session = v3Session(address(0), { ...user, authPassword: 'wrong-passw0rd' });
    try {
      await expect(session.get([SNMPV2.sysName])).rejects.toThrow();
    } finally {
      session.close();
    }
    expect(fleet.get(address(0))!.status().counters.usm.wrongDigests).toBeGreaterThanOrEqual(1);
  });
});

describe('control API', () => {
  it('shows each device\'s v3 user, level, protocols and engine ID, never a password', async () => {
    const app = buildControlApp(fleet);
    try {
      const res = await app.inject({ method: 'GET', url: '/devices' });
      const { devices } = res.json() as { devices: Array<{ address: string; v3: Record<string, unknown> }> };
      expect(devices[0]!.v3).toMatchObject({ user: 'ops-sha-aes128', level: 'authPriv', authProtocol: 'sha', privProtocol: 'aes128', engineId: '80007ed9017f008d01' });
      expect(res.body).not.toContain('passw0rd');
    } finally {
      await app.close();
    }
  });
});

describe('priscan-sim command line, v3', () => {
  const env = { ...process.env, PRISCAN_SIM_V3_AUTH_PASSWORD: 'auth-passw0rd', PRISCAN_SIM_V3_PRIV_PASSWORD: 'priv-passw0rd' };
  const run = (args: string[], options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}) =>
    spawnSync(process.execPath, [...(options.execArgv ?? []), CLI, ...args], { encoding: 'utf8', timeout: 15_000, env: options.env ?? env });

  it('runs Node with the legacy provider from its #! line, so DES works when started as a command', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --openssl-legacy-provider');
  });

  it.each([
    [['--devices', 'ups:1', '--v3-level', 'authPriv'], /--v3-level needs --v3-user/],
    [['--devices', 'ups:1', '--v3-user', 'ops', '--v3-auth', 'sha1'], /--v3-auth must be one of md5, sha, sha224, sha256, sha384, sha512/],
    [['--devices', 'ups:1', '--v3-user', 'ops', '--v3-kinds', 'toaster'], /--v3-kinds takes kinds from/],
    [['--devices', 'ups:1', '--notifications', 'v3'], /--notifications v3 needs --v3-user/],
    [['--devices', 'ups:1', '--v3-user', 'ops', '--notifications', 'v4'], /--notifications must be one of registered, v3/],
  ])('refuses %j with one clear line and exit code 2', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('takes passwords only from the environment, and says which variable is missing or short', () => {
    const missing = run(['--devices', 'ups:1', '--v3-user', 'ops'], { env: { ...env, PRISCAN_SIM_V3_PRIV_PASSWORD: '' } });
    expect(missing.stderr).toMatch(/needs the password in the environment variable PRISCAN_SIM_V3_PRIV_PASSWORD/);
    const short = run(['--devices', 'ups:1', '--v3-user', 'ops', '--v3-level', 'authNoPriv'], { env: { ...env, PRISCAN_SIM_V3_AUTH_PASSWORD: 'short' } });
    expect(short.stderr).toMatch(/PRISCAN_SIM_V3_AUTH_PASSWORD must be at least 8 characters/);
    expect(short.stderr).not.toContain('short\n');
  });

  it('refuses a DES user when Node runs without the legacy provider, saying how to fix it', () => {
    const result = run(['--devices', 'ups:1', '--base-address', '127.0.141.200', '--port', String(PORT), '--no-control', '--v3-user', 'ops', '--v3-priv', 'des']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/DES privacy needs Node.js started with --openssl-legacy-provider/);
    expect(result.stderr).not.toContain('passw0rd');
  });

  it('starts v3 devices for the kinds asked for, prints their engine IDs, and answers net-snmp over v3 with DES', async () => {
    const child = spawn(
      process.execPath,
      ['--openssl-legacy-provider', CLI, '--devices', 'ups:1,sim:1', '--base-address', '127.0.141.201', '--port', String(PORT), '--no-control', '--v3-user', 'cli-ops', '--v3-auth', 'md5', '--v3-priv', 'des', '--v3-kinds', 'ups'],
      { env },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const lines: Array<Record<string, unknown>> = [];
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`not ready within 10 s: ${JSON.stringify(lines)}`)), 10_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(JSON.parse(line) as Record<string, unknown>);
          if (lines.at(-1)!.event === 'ready') {
            clearTimeout(timer);
            ready();
          }
        });
      });
      expect(lines.filter((l) => l.event === 'device')).toEqual([
        { event: 'device', kind: 'ups', address: '127.0.141.201', port: PORT, engineId: '80007ed9017f008dc9' },
        { event: 'device', kind: 'sim', address: '127.0.141.202', port: PORT },
      ]);
      const session = v3Session('127.0.141.201', { name: 'cli-ops', level: 'authPriv', authProtocol: 'md5', privProtocol: 'des', ...PASSWORDS });
      try {
        const [descr] = await session.get([SNMPV2.sysDescr]);
        expect(String(descr!.value)).toMatch(/RFC 1628/);
      } finally {
        session.close();
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
