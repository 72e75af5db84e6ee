// Interop: the bundled simulators driven by Debian's net-snmp command-line
// tools (issue "priscan-sim"): bulk and GETNEXT walks, SETs for every
// registration method, notifications into a real snmptrapd, a .snmprec replay.
// Needs `apt-get install snmp snmptrapd`; skipped with a warning without them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APC, NETBOTZ, PRISCAN_SIM, RFC3413, SNMPV2, UPS_MIB } from '../../src/profiles/oids.js';
import { Fleet } from '../../simulators/fleet.js';
import { findTool, parseOn } from '../helpers/tools.js';

// This file's devices live on 127.0.23.0/24, port 16163; managers on 127.0.0.1.
const PORT = 16163;
const ADDR = { sim: '127.0.23.1', ups: '127.0.23.2', apc: '127.0.23.3', netbotz: '127.0.23.4', pdu: '127.0.23.5', rec: '127.0.23.6', trapSim: '127.0.23.7', trapApc: '127.0.23.8' };
const MANAGER = '127.0.0.1';

const haveTools = ['snmpbulkwalk', 'snmpwalk', 'snmpget', 'snmpset'].every((t) => findTool(t));
const snmptrapd = findTool('snmptrapd', ['/usr/sbin', '/sbin']);
if (!haveTools) console.warn('test/interop/net-snmp-tools.test.ts: SKIPPED: the net-snmp interop tests need snmpbulkwalk, snmpwalk, snmpget and snmpset, which are not on PATH (Debian package not installed: apt-get install snmp snmptrapd).');
else if (!snmptrapd) console.warn('test/interop/net-snmp-tools.test.ts: notification tests SKIPPED: snmptrapd is not installed (Debian package: apt-get install snmp snmptrapd).');

interface RunResult { code: number; stdout: string; stderr: string }

// A private persistent/config directory (set in beforeAll) keeps the tools away from /var/lib/snmp and local snmp.conf.
let scratch = '';
let env: NodeJS.ProcessEnv = process.env;

function run(tool: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(tool, args, { env, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const COMMON = ['-On', '-m', '', '-t', '1', '-r', '0'];
const target = (address: string) => `${address}:${PORT}`;
const bulkwalk = (address: string, root = '.1') => run('snmpbulkwalk', ['-v2c', ...COMMON, '-c', 'public', target(address), root]);
const get = (address: string, ...oids: string[]) => run('snmpget', ['-v2c', ...COMMON, '-c', 'public', target(address), ...oids]);
const set = (address: string, args: string[], community = 'private') => run('snmpset', ['-v2c', ...COMMON, '-c', community, target(address), ...args]);

const d = (oid: string) => `.${oid}`;
const strIndex = (s: string) => [s.length, ...Buffer.from(s)].join('.');
const hex = (b: Buffer) => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
const NAME = [...Buffer.from('priscan')].join('.');

/** Recording rows: OID, tag, recorded value, then what `snmpwalk -Ox` prints for it. */
const R = '1.3.6.1.4.1.99999.1';
const RECORDING: Array<[oid: string, tag: string, recorded: string, type: string, printed: string]> = [
  ['1.3.6.1.2.1.1.1.0', '4', 'recorded device', 'Hex-STRING', hex(Buffer.from('recorded device'))],
  ['1.3.6.1.2.1.1.2.0', '6', `${R}.1`, 'OID', `.${R}.1`],
  ['1.3.6.1.2.1.1.3.0', '67', '4242', 'Timeticks', '(4242) 0:00:42.42'],
  [`${R}.1.0`, '2', '-42', 'INTEGER', '-42'],
  [`${R}.2.0`, '4x', '00ff0102030405060708090a0b0c0d0e0f1011ff', 'Hex-STRING', '00 FF 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 FF'],
  [`${R}.3.0`, '5', '', 'NULL', ''],
  [`${R}.4.0`, '64', '10.1.2.3', 'IpAddress', '10.1.2.3'],
  [`${R}.5.0`, '64x', '0a0000ff', 'IpAddress', '10.0.0.255'],
  [`${R}.6.0`, '65', '4294967295', 'Counter32', '4294967295'],
  [`${R}.7.0`, '66', '123', 'Gauge32', '123'],
  [`${R}.8.0`, '68', 'abc', 'OPAQUE', '61 62 63'],
  [`${R}.9.0`, '70', '12345678901234', 'Counter64', '12345678901234'],
  [`${R}.10.0`, '70x', 'ffffffffffffffff', 'Counter64', '18446744073709551615'],
];

let fleet: Fleet;
let trapPort = 0;

/** A free UDP port on 127.0.0.1: bind a throwaway socket to port 0 and close it. */
async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, MANAGER, () => resolve()); });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const describeTools = haveTools ? describe : describe.skip;

describeTools('simulators with the net-snmp command-line tools', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'priscan-netsnmp-'));
    env = { ...process.env, SNMP_PERSISTENT_DIR: path.join(scratch, 'persist'), SNMPCONFPATH: scratch };
    trapPort = await freePort();
    const file = path.join(scratch, 'device.snmprec');
    writeFileSync(file, RECORDING.map(([oid, tag, value]) => `${oid}|${tag}|${value}`).join('\n') + '\n');
    fleet = new Fleet({
      devices: (['sim', 'ups', 'apc-ups', 'netbotz', 'pdu', 'snmprec', 'sim', 'apc-ups'] as const).map((kind) => ({ kind, count: 1 })),
      baseAddress: ADDR.sim,
      port: PORT,
      apcTrapPort: trapPort,
      snmprecFile: file,
    });
    await fleet.start();
    await get(ADDR.sim, d(SNMPV2.sysDescr)); // warm-up: net-snmp reports creating its persistent dir once
  });

  afterAll(async () => {
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const nb = (entry: string, col: number, id: string) => d(`${entry}.${col}.${strIndex(id)}`);
  const KINDS: Array<{ kind: string; address: string; sysObjectId: string; expect: Array<[oid: string, type: string, value: string]> }> = [
    { kind: 'sim', address: ADDR.sim, sysObjectId: PRISCAN_SIM.productSim, expect: [[d(PRISCAN_SIM.alarmsPresent), 'Gauge32', '0']] },
    { kind: 'ups', address: ADDR.ups, sysObjectId: PRISCAN_SIM.productUps, expect: [
      [d(UPS_MIB.upsAlarmsPresent), 'Gauge32', '0'],
      [d(UPS_MIB.upsOutputSource), 'INTEGER', String(UPS_MIB.outputSource.normal)],
    ] },
    { kind: 'apc-ups', address: ADDR.apc, sysObjectId: `${APC.productUps}.1`, expect: [
      [d(APC.upsBasicOutputStatus), 'INTEGER', String(APC.outputStatus.onLine)],
      [d(APC.upsAdvStateAbnormalConditions), 'STRING', `"${'0'.repeat(32)}"`],
      ...[1, 2, 3, 4].map((row): [string, string, string] => [d(`${APC.trapReceiverEntry}.${APC.trapReceiverCol.index}.${row}`), 'INTEGER', String(row)]),
    ] },
    { kind: 'netbotz', address: ADDR.netbotz, sysObjectId: `${NETBOTZ.product}.1`, expect: [
      [nb(NETBOTZ.tempSensorEntry, NETBOTZ.sensorCol.value, 'nbHawkEnc_0_TEMP1'), 'INTEGER', '215'],
      [nb(NETBOTZ.humiSensorEntry, NETBOTZ.sensorCol.value, 'nbHawkEnc_0_HUMI1'), 'INTEGER', '450'],
      [nb(NETBOTZ.doorSwitchSensorEntry, NETBOTZ.sensorCol.value, 'nbHawkEnc_0_DOOR1'), 'INTEGER', String(NETBOTZ.doorValue.closed)],
    ] },
    { kind: 'pdu', address: ADDR.pdu, sysObjectId: `${APC.productMasterSwitch}.6`, expect: [1, 2, 3].flatMap((p): Array<[string, string, string]> => [
      [d(`${APC.rPDU2PhaseStatusEntry}.${APC.rPDU2PhaseCol.index}.${p}`), 'INTEGER', String(p)],
      [d(`${APC.rPDU2PhaseStatusEntry}.${APC.rPDU2PhaseCol.loadState}.${p}`), 'INTEGER', String(APC.loadState.normal)],
    ]) },
  ];

  describe('snmpbulkwalk -v2c over .1', () => {
    it.each(KINDS)('$kind returns the system group and its key objects', async ({ kind, address, sysObjectId, expect: objects }) => {
      const r = await bulkwalk(address);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const walk = parseOn(r.stdout);
      expect(walk.get(d(SNMPV2.sysObjectID))).toEqual({ type: 'OID', value: d(sysObjectId) });
      expect(walk.get(d(SNMPV2.sysName))).toEqual({ type: 'STRING', value: `"${kind}-${address}"` });
      expect(walk.get(d(SNMPV2.sysUpTime))?.type).toBe('Timeticks');
      expect(walk.get(d(SNMPV2.sysDescr))?.value).toMatch(/^".+"$/);
      for (const [oid, type, value] of objects) expect(walk.get(oid), oid).toEqual({ type, value });
      if (kind === 'apc-ups') {
        for (const row of [1, 2, 3, 4]) expect(walk.get(d(`${APC.trapReceiverEntry}.${APC.trapReceiverCol.receiverAddr}.${row}`))?.type).toBe('IpAddress');
      }
    });

    const ALARMS: Array<{ kind: string; address: string; alarms: string[]; expect: Array<[oid: string, type: string, value: string]> }> = [
      { kind: 'sim', address: ADDR.sim, alarms: ['onBattery'], expect: [
        [d(PRISCAN_SIM.alarmsPresent), 'Gauge32', '1'],
        [d(`${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.severity}.1`), 'INTEGER', String(PRISCAN_SIM.severity.critical)],
        [d(`${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.code}.1`), 'Gauge32', '2'],
        [d(`${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.descr}.1`), 'STRING', '"UPS on battery"'],
      ] },
      { kind: 'ups', address: ADDR.ups, alarms: ['onBattery'], expect: [
        [d(UPS_MIB.upsAlarmsPresent), 'Gauge32', '1'],
        [d(UPS_MIB.upsOutputSource), 'INTEGER', String(UPS_MIB.outputSource.battery)],
        [d(`${UPS_MIB.upsAlarmEntry}.${UPS_MIB.upsAlarmCol.descr}.1`), 'OID', d(`${UPS_MIB.wellKnownAlarms}.2`)],
      ] },
      { kind: 'apc-ups', address: ADDR.apc, alarms: ['onBattery', 'batteryFault'], expect: [
        [d(APC.upsBasicOutputStatus), 'INTEGER', String(APC.outputStatus.onBattery)],
        [d(APC.upsAdvStateAbnormalConditions), 'STRING', `"0001${'0'.repeat(28)}"`],
      ] },
      { kind: 'netbotz', address: ADDR.netbotz, alarms: ['tempHigh', 'doorOpen'], expect: [
        [nb(NETBOTZ.tempSensorEntry, NETBOTZ.sensorCol.value, 'nbHawkEnc_0_TEMP1'), 'INTEGER', '385'],
        [nb(NETBOTZ.doorSwitchSensorEntry, NETBOTZ.sensorCol.value, 'nbHawkEnc_0_DOOR1'), 'INTEGER', String(NETBOTZ.doorValue.open)],
      ] },
      { kind: 'pdu', address: ADDR.pdu, alarms: ['overload'], expect: [
        [d(`${APC.rPDU2PhaseStatusEntry}.${APC.rPDU2PhaseCol.loadState}.1`), 'INTEGER', String(APC.loadState.overload)],
        [d(`${APC.rPDU2PhaseStatusEntry}.${APC.rPDU2PhaseCol.loadState}.2`), 'INTEGER', String(APC.loadState.normal)],
      ] },
    ];

    it.each(ALARMS)('$kind shows alarms raised through the device object', async ({ address, alarms, expect: objects }) => {
      const device = fleet.get(address)!;
      alarms.forEach((a) => device.raise(a));
      try {
        const walk = parseOn((await bulkwalk(address)).stdout);
        for (const [oid, type, value] of objects) expect(walk.get(oid), oid).toEqual({ type, value });
      } finally {
        alarms.forEach((a) => device.clear(a));
      }
    });
  });

  it('snmpwalk -v1 (GETNEXT) returns the same OIDs and values as the v2c bulk walk', async () => {
    const v1 = await run('snmpwalk', ['-v1', ...COMMON, '-c', 'public', target(ADDR.apc), '.1']);
    expect(v1.code).toBe(0);
    expect(v1.stdout).toMatch(/End of MIB\n$/);
    const v2 = parseOn((await bulkwalk(ADDR.apc)).stdout);
    const v1Walk = parseOn(v1.stdout);
    expect([...v1Walk.keys()]).toEqual([...v2.keys()]);
    for (const map of [v1Walk, v2]) map.delete(d(SNMPV2.sysUpTime));
    expect(v1Walk).toEqual(v2);
    expect(v2.size).toBeGreaterThan(20);
  });

  describe('snmpset registrations read back with snmpget', () => {
    const H = PRISCAN_SIM.regEntry, HC = PRISCAN_SIM.regCol;
    const hidden = (address: string, port: number) => ({
      sets: [[`${H}.${HC.community}.${MANAGER}.${port}`, 's', 'n0tify', `${H}.${HC.rowStatus}.${MANAGER}.${port}`, 'i', '4']],
      readBack: [
        [d(`${H}.${HC.community}.${MANAGER}.${port}`), 'STRING', '"n0tify"'],
        [d(`${H}.${HC.version}.${MANAGER}.${port}`), 'INTEGER', String(PRISCAN_SIM.regVersion.v2c)],
        [d(`${H}.${HC.rowStatus}.${MANAGER}.${port}`), 'INTEGER', '1'],
      ],
      address,
    });
    const [P, PC, A, AC, N, NC] = [RFC3413.targetParamsEntry, RFC3413.targetParamsCol, RFC3413.targetAddrEntry, RFC3413.targetAddrCol, RFC3413.notifyEntry, RFC3413.notifyCol];
    const apc = (address: string, row: number) => {
      const E = APC.trapReceiverEntry, C = APC.trapReceiverCol;
      return {
        sets: [[`${E}.${C.receiverAddr}.${row}`, 'a', MANAGER, `${E}.${C.communityString}.${row}`, 's', 'apcs3cret', `${E}.${C.acceptThisReceiver}.${row}`, 'i', '1']],
        readBack: [
          [d(`${E}.${C.receiverAddr}.${row}`), 'IpAddress', MANAGER],
          [d(`${E}.${C.communityString}.${row}`), 'STRING', '"apcs3cret"'],
          [d(`${E}.${C.acceptThisReceiver}.${row}`), 'INTEGER', '1'],
        ],
        address,
      };
    };
    const METHODS: Array<[string, { address: string; sets: string[][]; readBack: string[][] }]> = [
      ['hidden table on sim', hidden(ADDR.sim, 16999)],
      ['hidden table on netbotz', hidden(ADDR.netbotz, 17000)],
      ['RFC 3413 rows on ups', {
        address: ADDR.ups,
        sets: [
          [`${P}.${PC.mpModel}.${NAME}`, 'i', '1', `${P}.${PC.securityModel}.${NAME}`, 'i', '2', `${P}.${PC.securityName}.${NAME}`, 's', 'upss3cret', `${P}.${PC.securityLevel}.${NAME}`, 'i', '1', `${P}.${PC.rowStatus}.${NAME}`, 'i', '4'],
          [`${A}.${AC.tAddress}.${NAME}`, 'x', '7F00000130D4', `${A}.${AC.tagList}.${NAME}`, 's', 'priscan', `${A}.${AC.params}.${NAME}`, 's', 'priscan', `${A}.${AC.rowStatus}.${NAME}`, 'i', '4'],
          [`${N}.${NC.tag}.${NAME}`, 's', 'priscan', `${N}.${NC.type}.${NAME}`, 'i', '1', `${N}.${NC.rowStatus}.${NAME}`, 'i', '4'],
        ],
        readBack: [
          [d(`${P}.${PC.securityName}.${NAME}`), 'STRING', '"upss3cret"'],
          [d(`${P}.${PC.rowStatus}.${NAME}`), 'INTEGER', '1'],
          [d(`${A}.${AC.tDomain}.${NAME}`), 'OID', d(RFC3413.snmpUDPDomain)],
          [d(`${A}.${AC.tAddress}.${NAME}`), 'Hex-STRING', '7F 00 00 01 30 D4'],
          [d(`${A}.${AC.rowStatus}.${NAME}`), 'INTEGER', '1'],
          [d(`${N}.${NC.rowStatus}.${NAME}`), 'INTEGER', '1'],
        ],
      }],
      ['APC receiver row on apc-ups', apc(ADDR.apc, 2)],
      ['APC receiver row on pdu', apc(ADDR.pdu, 3)],
    ];

    it.each(METHODS)('%s', async (_name, { address, sets, readBack }) => {
      for (const args of sets) {
        const r = await set(address, args);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      const r = await get(address, ...readBack.map(([oid]) => oid as string));
      expect(r.code).toBe(0);
      const got = parseOn(r.stdout);
      for (const [oid, type, value] of readBack) expect(got.get(oid as string), oid).toEqual({ type, value });
      expect(fleet.get(address)!.status().managers.some((m) => m.address === MANAGER)).toBe(true);
    });

    const tAddr4 = `${A}.${AC.tAddress}.120`;
    const FAILURES: Array<[what: string, error: string, address: string, args: string[], community: string]> = [
      ['a 4-byte TAddress', 'wrongLength', ADDR.ups, [tAddr4, 'x', '7F000001', `${A}.${AC.rowStatus}.120`, 'i', '4'], 'private'],
      ['an INTEGER for priscanRegCommunity', 'wrongType', ADDR.sim, [`${H}.${HC.community}.${MANAGER}.17001`, 'i', '5'], 'private'],
      ['a STRING for receiverAddr', 'wrongType', ADDR.apc, [`${APC.trapReceiverEntry}.${APC.trapReceiverCol.receiverAddr}.4`, 's', MANAGER], 'private'],
      ['a SET with the read community', 'noAccess', ADDR.sim, [`${H}.${HC.community}.${MANAGER}.17002`, 's', 'x', `${H}.${HC.rowStatus}.${MANAGER}.17002`, 'i', '4'], 'public'],
    ];

    it.each(FAILURES)('refuses %s with %s', async (_what, error, address, args, community) => {
      const r = await set(address, args, community);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`Reason: ${error}`);
      expect(r.stderr).toContain(`Failed object: .${args[0]}`);
      const after = parseOn((await get(address, `.${args[0]}`)).stdout).get(`.${args[0]}`);
      if (error === 'wrongType' && address === ADDR.apc) expect(after).toEqual({ type: 'IpAddress', value: '0.0.0.0' });
      else expect(after).toEqual({ type: 'No Such Instance currently exists at this OID', value: '' });
    });
  });

  it('replays a .snmprec recording with every supported tag (snmpwalk -v2c -Ox)', async () => {
    const r = await run('snmpwalk', ['-v2c', ...COMMON, '-Ox', '-c', 'public', target(ADDR.rec), '.1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect([...parseOn(r.stdout)]).toEqual(RECORDING.map(([oid, , , type, value]) => [`.${oid}`, { type, value }]));
  });

  it('does not answer a wrong community (snmpget times out)', async () => {
    const before = fleet.get(ADDR.pdu)!.status().counters.badCommunity;
    const r = await run('snmpget', ['-v2c', '-On', '-m', '', '-t', '0.3', '-r', '0', '-c', 'wrong', target(ADDR.pdu), d(SNMPV2.sysDescr)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Timeout: No Response from ${target(ADDR.pdu)}`);
    expect(r.stdout).toBe('');
    expect(fleet.get(ADDR.pdu)!.status().counters.badCommunity).toBe(before + 1);
  });

  (snmptrapd ? describe : describe.skip)('notifications into a real snmptrapd', () => {
    let trapd: ChildProcess | undefined;
    let output = '';
    const killTrapd = () => { if (trapd && trapd.exitCode === null) trapd.kill('SIGKILL'); };

    beforeAll(async () => {
      const dir = mkdtempSync(path.join(scratch, 'trapd-')); // removed with scratch
      writeFileSync(path.join(dir, 'snmptrapd.conf'), 'disableAuthorization yes\n');
      // -n: no reverse DNS of sources; -X: no AgentX master connection attempts.
      const args = ['-f', '-Lo', '-C', '-c', path.join(dir, 'snmptrapd.conf'), '-On', '-m', '', '-n', '-X', `--persistentDir=${dir}`, `${MANAGER}:${trapPort}`];
      const child = spawn(snmptrapd as string, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      trapd = child;
      process.once('exit', killTrapd);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      await until('snmptrapd to start', () => {
        if (child.exitCode !== null) throw new Error(`snmptrapd exited with ${child.exitCode}: ${output}`);
        return /NET-SNMP version/.test(output) ? true : undefined;
      });
    });

    afterAll(async () => {
      const child = trapd;
      killTrapd();
      process.off('exit', killTrapd);
      if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    });

    const waitForOutput = (re: RegExp) =>
      until(`${re}`, () => (re.test(output) ? true : undefined)).catch((e: Error) => { throw new Error(`${e.message}; snmptrapd printed:\n${output}`); });
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('receives the v2c alert-present trap from a sim device, sent from the device address', async () => {
      const E = PRISCAN_SIM.regEntry, C = PRISCAN_SIM.regCol, idx = `${MANAGER}.${trapPort}`;
      const r = await set(ADDR.trapSim, [`${E}.${C.community}.${idx}`, 's', 'trapcomm', `${E}.${C.rowStatus}.${idx}`, 'i', '4']);
      expect(r.code).toBe(0);
      fleet.get(ADDR.trapSim)!.raise('doorOpen');
      // v2c: "[UDP: [device]:port->[trapd]:port]:" then the varbinds on the next line.
      await waitForOutput(new RegExp(
        `\\[UDP: \\[${esc(ADDR.trapSim)}\\]:${PORT}->\\[${esc(MANAGER)}\\]:${trapPort}\\]:\\n` +
          `${esc(d(SNMPV2.sysUpTime))} = Timeticks: \\(\\d+\\)[^\\n]*\\t${esc(d(SNMPV2.snmpTrapOID))} = OID: ${esc(d(PRISCAN_SIM.alertPresent))}\\n`,
      ));
    });

    it('receives the APC v1 enterprise trap from an apc-ups device (apcTrapPort)', async () => {
      const E = APC.trapReceiverEntry, C = APC.trapReceiverCol;
      const r = await set(ADDR.trapApc, [`${E}.${C.receiverAddr}.1`, 'a', MANAGER, `${E}.${C.communityString}.1`, 's', 'apctrap', `${E}.${C.acceptThisReceiver}.1`, 'i', '1']);
      expect(r.code).toBe(0);
      const device = fleet.get(ADDR.trapApc)!;
      device.raise('onBattery');
      device.raise('batteryFault');
      // v1: "<agent-addr> [<agent-addr>] (via UDP: [src]:port->[dst]:port) TRAP, SNMP v1, community C"
      // then "\t<enterprise> Enterprise Specific Trap (<specific>) Uptime: ...".
      const header = `${esc(ADDR.trapApc)} \\[${esc(ADDR.trapApc)}\\] \\(via UDP: \\[${esc(ADDR.trapApc)}\\]:${PORT}->\\[${esc(MANAGER)}\\]:${trapPort}\\) TRAP, SNMP v1, community apctrap\\n`;
      for (const specific of [APC.trap.upsOnBattery, APC.trap.upsCriticalCondition]) {
        await waitForOutput(new RegExp(`${header}\\t${esc(d(APC.enterprise))} Enterprise Specific Trap \\(${specific}\\) Uptime: `));
      }
      device.clear('onBattery');
      await waitForOutput(new RegExp(`${header}\\t${esc(d(APC.enterprise))} Enterprise Specific Trap \\(${APC.trap.powerRestored}\\) Uptime: `));
    });
  });
});

if (!haveTools) {
  it.skip('net-snmp tools interop (not installed: apt-get install snmp snmptrapd)', () => {});
}
