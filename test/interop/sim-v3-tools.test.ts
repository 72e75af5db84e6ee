// Interop: simulated SNMPv3 devices with Debian's net-snmp tools. snmpget, snmpbulkwalk and
// snmpset -v3 at noAuthNoPriv, authNoPriv and authPriv with several protocol pairs; a manager
// registering an RFC 3413 v3 target over v3; the device's v3 trap received by snmptrapd
// (createUser -e <device engine ID>) from the device's own address, and its v3 inform
// acknowledged by snmptrapd (the device discovers snmptrapd's engine).
// Devices on 127.0.142.0/24 port 17240, snmptrapd on 127.0.142.250:17250.
// Needs `apt-get install snmp snmptrapd`; skipped with a visible message without them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNMP_ENGINE } from '../../simulators/agent/engine.js';
import { Fleet } from '../../simulators/fleet.js';
import { PRISCAN_SIM, RFC3413, SNMPV2, UPS_MIB } from '../../src/profiles/oids.js';
import { desAvailable, type AuthProtocol, type PrivProtocol, type UsmUser } from '../../src/snmp/usm.js';
import { tAddress } from '../helpers/registration.js';
import { findTool, runTool, until, warnSkipped } from '../helpers/tools.js';

const FILE = 'test/interop/sim-v3-tools.test.ts';
const PORT = 17240;
const TRAPD = { address: '127.0.142.250', port: 17250 };
const PASSWORDS = { authPassword: 'auth-passw0rd', privPassword: 'priv-passw0rd' };
const TOOLS = ['snmpget', 'snmpbulkwalk', 'snmpset'] as const;
const tool = Object.fromEntries(TOOLS.map((t) => [t, findTool(t)])) as Record<(typeof TOOLS)[number], string | undefined>;
const snmptrapd = findTool('snmptrapd');
const missing = TOOLS.find((t) => !tool[t]);
if (missing) warnSkipped(FILE, missing, 'snmp');
else if (!snmptrapd) warnSkipped(`${FILE} (notifications)`, 'snmptrapd', 'snmptrapd');

/** net-snmp's names for the protocols. */
const AUTH_FLAG: Record<AuthProtocol, string> = { md5: 'MD5', sha: 'SHA', sha224: 'SHA-224', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const PRIV_FLAG: Record<PrivProtocol, string> = { des: 'DES', aes128: 'AES', aes256: 'AES-256' };

function user(authProtocol?: AuthProtocol, privProtocol?: PrivProtocol): UsmUser {
  if (!authProtocol) return { name: 'viewer', level: 'noAuthNoPriv' };
  const name = `ops-${authProtocol}-${privProtocol ?? 'none'}`;
  return privProtocol
    ? { name, level: 'authPriv', authProtocol, privProtocol, ...PASSWORDS }
    : { name, level: 'authNoPriv', authProtocol, authPassword: PASSWORDS.authPassword };
}

/** One device per user, then a ups (sha256+aes256) that sends notifications to snmptrapd. */
const USERS: UsmUser[] = [
  user(),
  user('md5'),
  user('sha512'),
  user('sha', 'aes128'),
  user('sha256', 'aes256'),
  user('sha384', 'aes128'),
  user('sha224', 'aes256'),
  ...(desAvailable() ? [user('md5', 'des')] : []),
];
const NOTIFIER = user('sha256', 'aes256');
const address = (i: number) => `127.0.142.${i + 1}`;
const NOTIFIER_AT = address(USERS.length);

/** The tools' -v3 flags for a user; `password` overrides both passwords. */
function usmFlags(u: UsmUser, password?: string): string[] {
  const flags = ['-v3', '-l', u.level, '-u', u.name];
  if (u.level !== 'noAuthNoPriv') flags.push('-a', AUTH_FLAG[u.authProtocol!], '-A', password ?? u.authPassword!);
  if (u.level === 'authPriv') flags.push('-x', PRIV_FLAG[u.privProtocol!], '-X', password ?? u.privPassword!);
  return flags;
}

let scratch = '';
let env: NodeJS.ProcessEnv = process.env;
let fleet: Fleet;
const COMMON = ['-On', '-m', '', '-t', '1', '-r', '1'];
const run = (name: (typeof TOOLS)[number], u: UsmUser, at: string, args: string[], password?: string) =>
  runTool(tool[name]!, [...usmFlags(u, password), ...COMMON, `${at}:${PORT}`, ...args], { env });
const dotted = (oid: string) => `.${oid}`;
const rowIndex = (name: string) => [...Buffer.from(name)].join('.');

(missing ? describe.skip : describe)('simulated v3 devices with the net-snmp tools', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'priscan-sim-v3-'));
    // A private persistent and config directory: the tools cache engine boots there.
    env = { ...process.env, SNMP_PERSISTENT_DIR: path.join(scratch, 'persist'), SNMPCONFPATH: scratch };
    // Made here, or the first tool says on stderr that it made them.
    mkdirSync(path.join(scratch, 'persist', 'cert_indexes'), { recursive: true });
    fleet = new Fleet({
      devices: [...USERS.map((v3User) => ({ kind: 'sim' as const, count: 1, v3User })), { kind: 'ups', count: 1, v3User: NOTIFIER }],
      baseAddress: address(0),
      port: PORT,
    });
    await fleet.start();
  });

  afterAll(async () => {
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it.each(USERS.map((u, i) => [`${u.level} ${u.authProtocol ?? ''} ${u.privProtocol ?? ''}`.trim(), u, address(i)] as const))(
    '%s: snmpget, snmpbulkwalk and snmpset -v3',
    async (_name, u, at) => {
      const device = fleet.get(at)!;
      const got = await run('snmpget', u, at, [dotted(SNMPV2.sysName), dotted(SNMP_ENGINE.id), dotted(SNMP_ENGINE.boots)]);
      expect(got.stderr).toBe('');
      expect(got.code).toBe(0);
      expect(got.stdout).toContain(`${dotted(SNMPV2.sysName)} = STRING: "sim-${at}"`);
      const engineHex = device.engine!.engineId.toString('hex').toUpperCase().match(/../g)!.join(' ');
      expect(got.stdout).toContain(`${dotted(SNMP_ENGINE.id)} = Hex-STRING: ${engineHex}`);
      expect(got.stdout).toContain(`${dotted(SNMP_ENGINE.boots)} = INTEGER: ${device.engine!.boots}`);

      const walked = await run('snmpbulkwalk', u, at, [dotted('1.3.6.1.2.1.1')]);
      expect(walked.code).toBe(0);
      expect(walked.stdout.trim().split('\n').map((line) => line.split(' = ')[0])).toEqual(
        [SNMPV2.sysDescr, SNMPV2.sysObjectID, SNMPV2.sysUpTime, SNMPV2.sysContact, SNMPV2.sysName, SNMPV2.sysLocation].map(dotted),
      );

      const idx = '192.0.2.40.16240';
      const e = PRISCAN_SIM.regEntry;
      const c = PRISCAN_SIM.regCol;
      const set = await run('snmpset', u, at, [`${dotted(e)}.${c.community}.${idx}`, 's', 'via-v3', `${dotted(e)}.${c.rowStatus}.${idx}`, 'i', '4']);
      expect(set.code).toBe(0);
      expect(device.status().managers).toEqual([{ address: '192.0.2.40', port: 16240, community: 'via-v3', version: 'v2c', type: 'trap' }]);
    },
  );

  it('reports a wrong password as an authentication failure, and the device counts it', async () => {
    const u = user('sha', 'aes128');
    const at = address(USERS.indexOf(USERS.find((x) => x.name === u.name)!));
    const result = await run('snmpget', u, at, [dotted(SNMPV2.sysName)], 'wrong-passw0rd');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Authentication failure/);
    expect(fleet.get(at)!.status().counters.usm.wrongDigests).toBeGreaterThanOrEqual(1);
  });

  (snmptrapd ? describe : describe.skip)('notifications into snmptrapd', () => {
    let trapd: ChildProcess | undefined;
    let log = '';
    let logFile = '';
    const killTrapd = () => {
      if (trapd && trapd.exitCode === null) trapd.kill('SIGKILL');
    };

    beforeAll(async () => {
      const dir = mkdtempSync(path.join(scratch, 'trapd-'));
      logFile = path.join(dir, 'traps.log');
      const engineId = fleet.get(NOTIFIER_AT)!.engine!.engineId.toString('hex');
      const keys = `${NOTIFIER.name} ${AUTH_FLAG[NOTIFIER.authProtocol!]} ${NOTIFIER.authPassword} ${PRIV_FLAG[NOTIFIER.privProtocol!]} ${NOTIFIER.privPassword}`;
      writeFileSync(
        path.join(dir, 'snmptrapd.conf'),
        [
          // Traps: the device is authoritative, so the user's keys are localized to its engine ID.
          `createUser -e 0x${engineId} ${keys}`,
          // Informs: snmptrapd is authoritative, its own engine.
          `createUser ${keys}`,
          `authUser log ${NOTIFIER.name} priv`,
          '',
        ].join('\n'),
      );
      // -f foreground, -n no reverse DNS, -X no AgentX, -Lf log to a file.
      const args = ['-f', '-n', '-X', '-Lf', logFile, '-C', '-c', path.join(dir, 'snmptrapd.conf'), '-On', '-m', '', `--persistentDir=${dir}`, `${TRAPD.address}:${TRAPD.port}`];
      const child = spawn(snmptrapd!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      trapd = child;
      process.once('exit', killTrapd);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      await until('snmptrapd to start', () => {
        if (child.exitCode !== null) throw new Error(`snmptrapd exited with ${child.exitCode}: ${stderr}`);
        return /NET-SNMP version/.test(readLog());
      }, 10_000);
    });

    afterAll(async () => {
      const child = trapd;
      killTrapd();
      process.off('exit', killTrapd);
      if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    });

    function readLog(): string {
      try {
        log = readFileSync(logFile, 'utf8');
      } catch {
        log = '';
      }
      return log;
    }
    const logged = (what: string, re: RegExp) =>
      until(what, () => re.test(readLog()), 10_000).catch((error: Error) => {
        throw new Error(`${error.message}; snmptrapd logged:\n${log}`);
      });
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    async function setOverV3(args: string[]): Promise<void> {
      const result = await run('snmpset', NOTIFIER, NOTIFIER_AT, args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }

    /** A manager registering itself over v3 in the ups device's RFC 3413 tables, with snmpset: params row `v3p`. */
    async function registerOverV3(type: 'trap' | 'inform'): Promise<void> {
      const A = RFC3413.targetAddrCol;
      const N = RFC3413.notifyCol;
      const a = (col: number) => `${dotted(RFC3413.targetAddrEntry)}.${col}.${rowIndex(type)}`;
      const n = (col: number) => `${dotted(RFC3413.notifyEntry)}.${col}.${rowIndex(type)}`;
      await setOverV3([a(A.tAddress), 'x', tAddress(TRAPD.address, TRAPD.port).toString('hex'), a(A.tagList), 's', type, a(A.params), 's', 'v3p', a(A.timeout), 'i', '100', a(A.retryCount), 'i', '2', a(A.rowStatus), 'i', '4']);
      await setOverV3([n(N.tag), 's', type, n(N.type), 'i', type === 'inform' ? '2' : '1', n(N.rowStatus), 'i', '4']);
    }

    beforeAll(async () => {
      const P = RFC3413.targetParamsCol;
      const p = (col: number) => `${dotted(RFC3413.targetParamsEntry)}.${col}.${rowIndex('v3p')}`;
      await setOverV3([p(P.mpModel), 'i', '3', p(P.securityModel), 'i', '3', p(P.securityName), 's', NOTIFIER.name, p(P.securityLevel), 'i', '3', p(P.rowStatus), 'i', '4']);
    });

    it('receives the v3 trap from the device\'s own address, authenticated and decrypted with keys for its engine ID', async () => {
      await registerOverV3('trap');
      const ups = fleet.get(NOTIFIER_AT)!;
      expect(ups.status().managers).toEqual([{ address: TRAPD.address, port: TRAPD.port, version: 'v3', securityName: NOTIFIER.name, securityLevel: 'authPriv', type: 'trap' }]);
      ups.raise('batteryBad');
      await logged('the v3 trap', new RegExp(`UDP: \\[${esc(NOTIFIER_AT)}\\]:${PORT}->\\[${esc(TRAPD.address)}\\]:${TRAPD.port}[\\s\\S]*${esc(dotted(SNMPV2.snmpTrapOID))} = OID: ${esc(dotted(UPS_MIB.upsTrapAlarmEntryAdded))}`));
    });

    it('acknowledges the v3 inform after the device discovered snmptrapd\'s engine', async () => {
      await registerOverV3('inform');
      const ups = fleet.get(NOTIFIER_AT)!;
      const before = ups.status().counters.informsAcknowledged;
      ups.raise('tempBad');
      await until('the inform acknowledged', () => ups.status().counters.informsAcknowledged === before + 1, 10_000);
      expect(ups.status().counters.informsUnacknowledged).toBe(0);
      // The trap target hears it too: the trap OID is now logged twice more.
      const trapOid = new RegExp(`${esc(dotted(SNMPV2.snmpTrapOID))} = OID: ${esc(dotted(UPS_MIB.upsTrapAlarmEntryAdded))}`, 'g');
      await until('the inform and the trap logged', () => (readLog().match(trapOid)?.length ?? 0) >= 3, 10_000);
    });
  });
});

if (missing) it.skip(`${FILE}: the net-snmp tools are not installed (apt-get install snmp snmptrapd)`, () => {});
