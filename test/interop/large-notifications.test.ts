// Interop: Debian's snmpinform, -v2c and -v3 (authPriv, SHA-256 + AES-128), sends informs with
// large varbinds (1 KB and 8 KB strings, long OIDs) to a priscan daemon from the addresses of two
// simulated devices. Each must be acknowledged (snmpinform exits 0 only when a readable response
// came back) and trigger a scan. The acks echo the varbinds, so their encoding grows the encoder's
// buffers mid-message. Needs `apt-get install snmp`; skipped with a warning without it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import type { UsmUser } from '../../src/snmp/usm.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { findTool, runTool, until, warnSkipped } from '../helpers/tools.js';

// This file's devices live on 127.0.170.0/24.
const FILE = 'test/interop/large-notifications.test.ts';
const PORT = 17370;
const V2C_DEVICE = '127.0.170.1';
const V3_DEVICE = '127.0.170.2';
const COMMUNITY = 'large-notes';
const USER: UsmUser = { name: 'bigvarbinds', level: 'authPriv', authProtocol: 'sha256', authPassword: 'big-auth-passw0rd', privProtocol: 'aes128', privPassword: 'big-priv-passw0rd' };

const snmpinform = findTool('snmpinform');
if (!snmpinform) warnSkipped(FILE, 'snmpinform', 'snmp');

const LONG_OID = `${PRISCAN_SIM.alertPresent}.${Array.from({ length: 100 }, (_, i) => 4_000_000_000 + i).join('.')}`;
/** Varbinds as snmpinform takes them (OID, type letter, value) after the trap OID. */
const CASES: Array<[name: string, varbinds: string[]]> = [
  ['a 1 KB octet string', [`${PRISCAN_SIM.alertPresent}.1`, 's', 'k'.repeat(1024)]],
  ['an 8 KB octet string', [`${PRISCAN_SIM.alertPresent}.2`, 's', 'e'.repeat(8192)]],
  ['a 100-arc OID as name and value, and a 1 KB string', [LONG_OID, 'o', LONG_OID, `${PRISCAN_SIM.alertPresent}.3`, 'x', 'a5'.repeat(1024)]],
  ['a 100-arc OID and a 30 KB string', [LONG_OID, 'x', '5a'.repeat(30_000)]],
];

let t: TestDaemon;
let fleet: Fleet;
let scratch = '';

const trapScans = () => t.metric('priscan_scans_total', { trigger: 'trap' });
const accepted = (version: string) => t.metric('priscan_notifications_received_total', { version, kind: 'inform', result: 'accepted' });
const idle = () => until('queue idle', () => t.running.scheduler.queued + t.running.scheduler.running === 0, 10_000);

function inform(security: string[], from: string, varbinds: string[]) {
  const env = { ...process.env, SNMP_PERSISTENT_DIR: path.join(scratch, 'persist'), SNMPCONFPATH: scratch, MIBS: '' };
  // No retries: a retry would hide a first acknowledgement that was unreadable.
  const args = [...security, '-m', '', '-t', '3', '-r', '0', `--clientaddr=${from}`, `127.0.0.1:${t.running.intake.port}`, '', PRISCAN_SIM.alertPresent, ...varbinds];
  return runTool(snmpinform!, args, { env, timeoutMs: 15_000 });
}

const V2C = ['-v2c', '-c', COMMUNITY];
const V3 = ['-v3', '-l', 'authPriv', '-u', USER.name, '-a', 'SHA-256', '-A', USER.authPassword!, '-x', 'AES', '-X', USER.privPassword!];

const describeTools = snmpinform ? describe : describe.skip;

describeTools('snmpinform with large varbinds against a priscan daemon', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'priscan-large-notes-'));
    mkdirSync(path.join(scratch, 'persist'));
    t = await startTestDaemon();
    fleet = new Fleet({ devices: [{ kind: 'sim', count: 1, v3User: null }, { kind: 'sim', count: 1 }], baseAddress: V2C_DEVICE, port: PORT, v3User: USER, apcTrapPort: t.running.intake.port });
    await fleet.start();
    const bodies = [
      { name: 'big-v2c', address: V2C_DEVICE, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: COMMUNITY } },
      { name: 'big-v3', address: V3_DEVICE, snmp: { version: '3', user: USER.name, level: USER.level, authProtocol: USER.authProtocol, authPassword: USER.authPassword, privProtocol: USER.privProtocol, privPassword: USER.privPassword } },
    ];
    for (const body of bodies) {
      const res = await t.api('POST', '/api/v1/devices', { ...body, port: PORT, timeoutMs: 1000, retries: 1 });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      await untilRegistered(t, res.body.id as number);
    }
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
    await t?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const versions = [
    ['-v2c', V2C, V2C_DEVICE, 'v2c'],
    ['-v3 authPriv', V3, V3_DEVICE, 'v3'],
  ] as const;
  for (const [label, security, from, version] of versions) {
    it.each(CASES)(`snmpinform ${label} with %s is acknowledged and triggers a scan`, async (_name, varbinds) => {
      await idle();
      const scans = await trapScans();
      const before = await accepted(version);
      const result = await inform([...security], from, varbinds);
      expect(result.code, `snmpinform exited ${result.code}: ${result.stderr}`).toBe(0);
      expect(await accepted(version)).toBeGreaterThan(before);
      await until('a scan after the inform', async () => (await trapScans()) > scans, 10_000);
    });
  }
});

if (!snmpinform) it.skip(`${FILE}: snmpinform is not installed (apt-get install snmp)`, () => {});
