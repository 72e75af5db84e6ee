// Interop: the priscan daemon with Debian's real snmpd. priscan registers
// itself in snmpd's RFC 3413 tables over SNMP; snmpd's own DISMAN-EVENT
// `monitor` trigger then sends mteTriggerFired to that target when a watched
// process dies or comes back, and the scan it causes raises and clears the
// alarm. Traps from Debian's snmptrap show that only the device's own address
// triggers a scan. Needs `apt-get install snmpd snmp`; skipped with a warning
// without them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RFC3413, SNMPV2 } from '../../src/profiles/oids.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { missingForSnmpd, monitorConfig, MTE_TRIGGER_FIRED, octets, parseWalk, PRISCAN_ROW as ROW, SnmpdFixture, SWRUN_CACHE_TIMEOUT } from '../helpers/snmpd.js';
import { until } from '../helpers/tools.js';

// This file's device lives on 127.0.28.0/24; priscan listens on 127.0.0.1.
const SNMPD_ADDRESS = '127.0.28.1';
const SNMPD_PORT = 16168;
const UNKNOWN_ADDRESS = '127.0.28.9';
const READ_COMMUNITY = 'prisc-ro';
const WRITE_COMMUNITY = 'prisc-rw';

const FILE = 'test/interop/daemon-snmpd.test.ts';
const missing = missingForSnmpd(['snmpget', 'snmpwalk', 'snmpset', 'snmptrap']);
if (missing.length > 0) {
  console.warn(`${FILE}: SKIPPED: the daemon/snmpd interop tests need ${missing.join(', ')}, which are not installed (Debian: apt-get install snmpd snmp).`);
}

const snmpd = new SnmpdFixture(SNMPD_ADDRESS, SNMPD_PORT);
const PROBE = snmpd.probeName;
const TARGET = snmpd.target;
const SNMPD_CONF = `
rocommunity ${READ_COMMUNITY} 127.0.0.0/8
rwcommunity ${WRITE_COMMUNITY} 127.0.0.0/8
exec priscanFail /bin/false
exec priscanPass /bin/true
${monitorConfig(PROBE, SNMPD_ADDRESS)}`;
/** snmpd's exec checks (extTable), as an operator configures the table for net-snmp devices. */
const EXEC_CHECKS = { id: 'extTable', entry: '1.3.6.1.4.1.2021.8.1', statusColumn: 100, normalValues: [0], labelColumn: 2, severity: 'warning', code: 'netsnmp.checkFailed', description: 'Check {label} failed' };

let priscan: TestDaemon | undefined;
let deviceId = 0;

const tool = (name: string, args: string[]) => snmpd.tool(name, args);
const COMMON = ['-v2c', '-m', '', '-On', '-Ox', '-t', '1', '-r', '1'];
const walk = (root: string) => tool('snmpwalk', [...COMMON, '-c', READ_COMMUNITY, TARGET, root]);

const activeAlarms = async () =>
  ((await priscan!.api('GET', '/api/v1/alarms')).body.alarms as Array<{ device: string; code: string; severity: string; description: string }>).filter(
    (a) => a.device === 'snmpd',
  );
const processAlarm = async () => (await activeAlarms()).find((a) => a.code === 'netsnmp.processError');
const trapScans = () => priscan!.metric('priscan_scans_total', { trigger: 'trap' });
const notifications = (result: string) => priscan!.metric('priscan_notifications_received_total', { result });

const describeSnmpd = missing.length === 0 ? describe : describe.skip;

describeSnmpd('priscan daemon with Debian snmpd', () => {
  beforeAll(async () => {
    snmpd.startProbe();
    await snmpd.start(SNMPD_CONF, async () => (await tool('snmpget', [...COMMON, '-t', '0.3', '-r', '0', '-c', READ_COMMUNITY, TARGET, SNMPV2.sysObjectID])).code === 0);
    const cache = await tool('snmpset', [...COMMON, '-c', WRITE_COMMUNITY, TARGET, SWRUN_CACHE_TIMEOUT, 'i', '1']);
    expect(cache.code, cache.stderr).toBe(0);

    priscan = await startTestDaemon({ profiles: { netSnmp: { tables: [EXEC_CHECKS] } } });
    const res = await priscan.api('POST', '/api/v1/devices', {
      name: 'snmpd',
      address: SNMPD_ADDRESS,
      port: SNMPD_PORT,
      profile: 'auto',
      timeoutMs: 1000,
      retries: 1,
      snmp: { version: '2c', readCommunity: READ_COMMUNITY, writeCommunity: WRITE_COMMUNITY },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    deviceId = res.body.id as number;
  }, 30_000);

  afterAll(async () => {
    await priscan?.stop();
    await snmpd.stop();
  });

  it('registers itself in snmpd\'s RFC 3413 tables, read back with snmpwalk', async () => {
    const device = await untilRegistered(priscan!, deviceId);
    expect(device.resolvedProfile).toBe('net-snmp');

    const addr = await walk(RFC3413.targetAddrEntry);
    expect(addr.code, addr.stderr).toBe(0);
    const rows = parseWalk(addr.stdout);
    const A = RFC3413.targetAddrCol;
    const a = (col: number) => `${RFC3413.targetAddrEntry}.${col}.${ROW}`;
    const tAddress = Buffer.alloc(6);
    Buffer.from([127, 0, 0, 1]).copy(tAddress);
    tAddress.writeUInt16BE(priscan!.running.intake.port, 4);
    expect(octets(rows, a(A.tAddress)).toString('hex')).toBe(tAddress.toString('hex'));
    expect(rows.get(a(A.tDomain))).toEqual({ type: 'OID', value: `.${RFC3413.snmpUDPDomain}` });
    expect(octets(rows, a(A.tagList)).toString()).toBe('priscan');
    expect(octets(rows, a(A.params)).toString()).toBe('priscan');
    expect(rows.get(a(A.rowStatus))).toEqual({ type: 'INTEGER', value: '1' });

    const params = parseWalk((await walk(RFC3413.targetParamsEntry)).stdout);
    const P = RFC3413.targetParamsCol;
    const p = (col: number) => `${RFC3413.targetParamsEntry}.${col}.${ROW}`;
    expect(params.get(p(P.mpModel))?.value).toBe(String(RFC3413.mpModel.v2c));
    // The community snmpd sends: generated once per installation, never public/private.
    const community = octets(params, p(P.securityName)).toString();
    expect(community).toBe(priscan!.running.store.settings.get('notification-community'));
    expect(community).not.toMatch(new RegExp(`^(public|private|${READ_COMMUNITY}|${WRITE_COMMUNITY})$`));
    expect(params.get(p(P.rowStatus))?.value).toBe('1');

    const notify = parseWalk((await walk(RFC3413.notifyEntry)).stdout);
    const n = (col: number) => `${RFC3413.notifyEntry}.${col}.${ROW}`;
    expect(octets(notify, n(RFC3413.notifyCol.tag)).toString()).toBe('priscan');
    expect(notify.get(n(RFC3413.notifyCol.type))?.value).toBe(String(RFC3413.notifyType.trap));
    expect(notify.get(n(RFC3413.notifyCol.rowStatus))?.value).toBe('1');
  });

  it('scans the table configured for net-snmp devices: the failing exec check is an alarm, the passing one is not', async () => {
    const checks = await until('the exec check alarm', async () => {
      const found = (await activeAlarms()).filter((a) => a.code === 'netsnmp.checkFailed');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    expect(checks).toEqual([expect.objectContaining({ severity: 'warning', description: 'Check priscanFail failed' })]);
  });

  it('snmpd\'s own monitor notification makes priscan scan, raise the process alarm, and clear it', async () => {
    const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) =>
      until(what, check, 15_000).catch((e: Error) => { throw new Error(`${e.message}; snmpd printed:\n${snmpd.output}`); });
    expect(await processAlarm()).toBeUndefined();
    const scansBefore = await trapScans();
    const acceptedBefore = await notifications('accepted');

    await snmpd.stopProbe();
    const raised = await waitFor('netsnmp.processError active', processAlarm);
    expect(raised).toMatchObject({ severity: 'critical', description: `Process check failed: No ${PROBE} process running` });
    expect(await notifications('accepted')).toBeGreaterThan(acceptedBefore);
    expect(await trapScans()).toBeGreaterThan(scansBefore);
    expect(await priscan!.metric('priscan_scans_total', { trigger: 'periodic' })).toBe(0);

    const scansRaised = await trapScans();
    snmpd.startProbe();
    await waitFor('netsnmp.processError cleared', async () => (await processAlarm()) === undefined);
    expect(await trapScans()).toBeGreaterThan(scansRaised);
    const { body } = await priscan!.api('GET', `/api/v1/events?after=0&limit=100`);
    const kinds = (body.events as Array<{ kind: string; code: string }>).filter((e) => e.code === 'netsnmp.processError').map((e) => e.kind);
    expect(kinds).toEqual(['raise', 'clear']);
  });

  it('a trap from snmptrap at the device address triggers a scan; from an unknown address or with a wrong community, nothing', async () => {
    const community = priscan!.running.store.settings.get('notification-community') as string;
    const intake = `127.0.0.1:${priscan!.running.intake.port}`;
    const trap = (from: string, c: string) => tool('snmptrap', ['-v2c', '-m', '', '-c', c, `--clientaddr=${from}`, intake, '', MTE_TRIGGER_FIRED]);
    await until('queue idle', () => priscan!.running.scheduler.queued + priscan!.running.scheduler.running === 0, 10_000);

    const scans = await trapScans();
    const sent = await trap(SNMPD_ADDRESS, community);
    expect(sent.code, sent.stderr).toBe(0);
    await until('a trap-triggered scan', async () => (await trapScans()) > scans, 10_000);

    const requests = await priscan!.metric('priscan_scan_requests_total');
    const unknown = await notifications('unknown_source');
    const bad = await notifications('bad_community');
    expect((await trap(UNKNOWN_ADDRESS, community)).code).toBe(0);
    expect((await trap(SNMPD_ADDRESS, 'not-the-community')).code).toBe(0);
    await until('unknown source counted', async () => (await notifications('unknown_source')) === unknown + 1, 10_000);
    await until('bad community counted', async () => (await notifications('bad_community')) === bad + 1, 10_000);
    expect(await priscan!.metric('priscan_scan_requests_total')).toBe(requests);
  });

  it('after a coldStart from the device, repairs a TAddress someone changed (snmpd refuses changes to an active row)', async () => {
    const community = priscan!.running.store.settings.get('notification-community') as string;
    const A = RFC3413.targetAddrCol;
    const a = (col: number) => `${RFC3413.targetAddrEntry}.${col}.${ROW}`;
    const ours = octets(parseWalk((await walk(a(A.tAddress))).stdout), a(A.tAddress)).toString('hex');
    // What an operator has to do by hand: out of service, change, back in service, one SET each.
    for (const args of [[a(A.rowStatus), 'i', '2'], [a(A.tAddress), 'x', '7F0000010001'], [a(A.rowStatus), 'i', '1']]) {
      const r = await tool('snmpset', [...COMMON, '-c', WRITE_COMMUNITY, TARGET, ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    const repaired = await priscan!.metric('priscan_registration_attempts_total', { method: 'rfc3413', result: 'repaired' });
    const sent = await tool('snmptrap', ['-v2c', '-m', '', '-c', community, `--clientaddr=${SNMPD_ADDRESS}`, `127.0.0.1:${priscan!.running.intake.port}`, '', SNMPV2.coldStart]);
    expect(sent.code, sent.stderr).toBe(0);
    await until('registration repaired', async () => (await priscan!.metric('priscan_registration_attempts_total', { method: 'rfc3413', result: 'repaired' })) > repaired, 10_000);
    const after = parseWalk((await walk(RFC3413.targetAddrEntry)).stdout);
    expect(octets(after, a(A.tAddress)).toString('hex')).toBe(ours);
    expect(after.get(a(A.rowStatus))?.value).toBe('1');
  });

  it('removes its rows from snmpd when the device is deleted', async () => {
    const res = await priscan!.api('DELETE', `/api/v1/devices/${deviceId}`);
    expect(res.body).toMatchObject({ deleted: deviceId, deregistrationError: null });
    for (const table of [RFC3413.targetAddrEntry, RFC3413.targetParamsEntry, RFC3413.notifyEntry]) {
      const r = await walk(table);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, table).not.toContain(`.${ROW} =`);
    }
  });
});

if (missing.length > 0) {
  it.skip(`daemon with Debian snmpd (not installed: ${missing.join(', ')}; apt-get install snmpd snmp)`, () => {});
}
