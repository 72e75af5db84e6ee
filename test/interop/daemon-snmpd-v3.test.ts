// Interop over SNMPv3: priscan and a Debian snmpd that knows only a USM user (authPriv,
// SHA-256 + AES). priscan scans and registers over v3 and creates v3 params rows, so snmpd's
// own monitor notification arrives as a v3 trap from that user; Debian's snmptrap -v3 and
// snmpinform -v3 show what the listener accepts and what it refuses (wrong keys, a stranger,
// a replayed clock). Needs `apt-get install snmpd snmp`; skipped with a warning without them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RFC3413, SNMPV2 } from '../../src/profiles/oids.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { missingForSnmpd, monitorConfig, MTE_TRIGGER_FIRED, octets, parseWalk, PRISCAN_ROW as ROW, SnmpdFixture, SWRUN_CACHE_TIMEOUT } from '../helpers/snmpd.js';
import { until } from '../helpers/tools.js';

// This file's device lives on 127.0.160.0/24; priscan listens on 127.0.0.1.
const SNMPD_ADDRESS = '127.0.160.1';
const SNMPD_PORT = 17301;
const UNKNOWN_ADDRESS = '127.0.160.9';
const USER = 'priscanops';
const AUTH_PASSWORD = 'auth-passw0rd-1';
const PRIV_PASSWORD = 'priv-passw0rd-1';
/** snmptrap's own engine, as a device with a configured engine ID would send. */
const TRAP_ENGINE = '0x80007ed904747261702d6d616368696e65';

const FILE = 'test/interop/daemon-snmpd-v3.test.ts';
const missing = missingForSnmpd(['snmpget', 'snmpwalk', 'snmpset', 'snmptrap', 'snmpinform']);
if (missing.length > 0) {
  console.warn(`${FILE}: SKIPPED: the SNMPv3 daemon/snmpd interop tests need ${missing.join(', ')}, which are not installed (Debian: apt-get install snmpd snmp).`);
}

const snmpd = new SnmpdFixture(SNMPD_ADDRESS, SNMPD_PORT);
const SNMPD_CONF = `
createUser ${USER} SHA-256 ${AUTH_PASSWORD} AES ${PRIV_PASSWORD}
rwuser ${USER} priv
${monitorConfig(snmpd.probeName, SNMPD_ADDRESS)}`;

let priscan: TestDaemon | undefined;
let deviceId = 0;

const V3 = ['-v3', '-m', '', '-On', '-Ox', '-t', '1', '-r', '1', '-l', 'authPriv', '-u', USER, '-a', 'SHA-256', '-A', AUTH_PASSWORD, '-x', 'AES', '-X', PRIV_PASSWORD];
const walk = (root: string) => snmpd.tool('snmpwalk', [...V3, snmpd.target, root]);
const notifications = (labels: Record<string, string>) => priscan!.metric('priscan_notifications_received_total', labels);
const trapScans = () => priscan!.metric('priscan_scans_total', { trigger: 'trap' });
const processAlarm = async () =>
  ((await priscan!.api('GET', '/api/v1/alarms')).body.alarms as Array<{ device: string; code: string; severity: string }>).find((a) => a.device === 'snmpd' && a.code === 'netsnmp.processError');
const intake = () => `127.0.0.1:${priscan!.running.intake.port}`;
const idle = () => until('queue idle', () => priscan!.running.scheduler.queued + priscan!.running.scheduler.running === 0, 10_000);

/** snmptrap/snmpinform -v3 from an address, with the user's keys unless others are given. */
function notify(kind: 'snmptrap' | 'snmpinform', from: string, options: { authPassword?: string; engine?: string[]; extra?: string[] } = {}) {
  const args = ['-v3', '-m', '', '-t', '1', '-r', '2', '-l', 'authPriv', '-u', USER, '-a', 'SHA-256', '-A', options.authPassword ?? AUTH_PASSWORD, '-x', 'AES', '-X', PRIV_PASSWORD];
  return snmpd.tool(kind, [...args, ...(options.engine ?? []), ...(options.extra ?? []), `--clientaddr=${from}`, intake(), '', MTE_TRIGGER_FIRED]);
}

const describeSnmpd = missing.length === 0 ? describe : describe.skip;

describeSnmpd('priscan daemon with a v3-only Debian snmpd', () => {
  beforeAll(async () => {
    snmpd.startProbe();
    await snmpd.start(SNMPD_CONF, async () => (await snmpd.tool('snmpget', [...V3, '-t', '0.3', '-r', '0', snmpd.target, SNMPV2.sysObjectID])).code === 0);
    const cache = await snmpd.tool('snmpset', [...V3, snmpd.target, SWRUN_CACHE_TIMEOUT, 'i', '1']);
    expect(cache.code, cache.stderr).toBe(0);

    priscan = await startTestDaemon();
    const res = await priscan.api('POST', '/api/v1/devices', {
      name: 'snmpd',
      address: SNMPD_ADDRESS,
      port: SNMPD_PORT,
      timeoutMs: 1000,
      retries: 1,
      snmp: { version: '3', user: USER, level: 'authPriv', authProtocol: 'sha256', authPassword: AUTH_PASSWORD, privProtocol: 'aes128', privPassword: PRIV_PASSWORD },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    deviceId = res.body.id as number;
  }, 30_000);

  afterAll(async () => {
    await priscan?.stop();
    await snmpd.stop();
  });

  it('identifies and registers the device over v3, with v3 params rows naming its user', async () => {
    const device = await untilRegistered(priscan!, deviceId);
    expect(device.resolvedProfile).toBe('net-snmp');

    const params = parseWalk((await walk(RFC3413.targetParamsEntry)).stdout);
    const P = RFC3413.targetParamsCol;
    const p = (col: number) => `${RFC3413.targetParamsEntry}.${col}.${ROW}`;
    expect(params.get(p(P.mpModel))?.value).toBe(String(RFC3413.mpModel.v3));
    expect(params.get(p(P.securityModel))?.value).toBe(String(RFC3413.securityModel.usm));
    expect(octets(params, p(P.securityName)).toString()).toBe(USER);
    expect(params.get(p(P.securityLevel))?.value).toBe(String(RFC3413.securityLevel.authPriv));
    expect(params.get(p(P.rowStatus))?.value).toBe('1');

    const view = (await priscan!.api('GET', `/api/v1/devices/${deviceId}`)).body;
    expect(view.snmp).toEqual({ version: '3', user: USER, level: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes128' });
    expect(JSON.stringify(view)).not.toContain(AUTH_PASSWORD);
    expect(JSON.stringify(view)).not.toContain(PRIV_PASSWORD);
  });

  it("snmpd's own monitor notification arrives as a v3 trap and its scan raises and clears the alarm", async () => {
    const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) =>
      until(what, check, 15_000).catch((e: Error) => {
        throw new Error(`${e.message}; snmpd printed:\n${snmpd.output}`);
      });
    const acceptedV3 = await notifications({ version: 'v3', result: 'accepted' });
    await snmpd.stopProbe();
    expect(await waitFor('netsnmp.processError active', processAlarm)).toMatchObject({ severity: 'critical' });
    expect(await notifications({ version: 'v3', result: 'accepted' })).toBeGreaterThan(acceptedV3);
    expect(await priscan!.metric('priscan_scans_total', { trigger: 'periodic' })).toBe(0);
    snmpd.startProbe();
    await waitFor('netsnmp.processError cleared', async () => (await processAlarm()) === undefined);
  });

  it('a v3 trap and a v3 inform with the user keys trigger scans; wrong keys and strangers trigger nothing', async () => {
    await idle();
    const scans = await trapScans();
    const trap = await notify('snmptrap', SNMPD_ADDRESS, { engine: ['-e', TRAP_ENGINE] });
    expect(trap.code, trap.stderr).toBe(0);
    await until('a scan after the v3 trap', async () => (await trapScans()) > scans, 10_000);

    await idle();
    const afterTrap = await trapScans();
    // snmpinform discovers priscan's engine, syncs its clock and waits for the acknowledgement.
    const inform = await notify('snmpinform', SNMPD_ADDRESS);
    expect(inform.code, inform.stderr).toBe(0);
    await until('a scan after the v3 inform', async () => (await trapScans()) > afterTrap, 10_000);

    await idle();
    const requests = await priscan!.metric('priscan_scan_requests_total');
    const badAuth = await notifications({ version: 'v3', result: 'bad_auth' });
    const unknown = await notifications({ version: 'v3', result: 'unknown_source' });
    expect((await notify('snmptrap', SNMPD_ADDRESS, { authPassword: 'guessed-passw0rd', engine: ['-e', TRAP_ENGINE] })).code).toBe(0);
    expect((await notify('snmptrap', UNKNOWN_ADDRESS, { engine: ['-e', TRAP_ENGINE] })).code).toBe(0);
    // A stranger's inform gets no answer at all (not even discovery): the tool times out.
    expect((await notify('snmpinform', UNKNOWN_ADDRESS)).code).not.toBe(0);
    await until('wrong keys counted', async () => (await notifications({ version: 'v3', result: 'bad_auth' })) === badAuth + 1, 10_000);
    await until('strangers counted', async () => (await notifications({ version: 'v3', result: 'unknown_source' })) >= unknown + 2, 10_000);
    expect(await priscan!.metric('priscan_scan_requests_total')).toBe(requests);
  });

  it('refuses a v3 trap whose engine clock went back more than 150 s (a replay)', async () => {
    await idle();
    const engine = ['-e', '0x80007ed904636c6f636b2d74657374'];
    const scans = await trapScans();
    expect((await notify('snmptrap', SNMPD_ADDRESS, { engine, extra: ['-Z', '7,10000'] })).code).toBe(0);
    await until('the first trap scanned', async () => (await trapScans()) > scans, 10_000);
    await idle();
    const requests = await priscan!.metric('priscan_scan_requests_total');
    const stale = await notifications({ version: 'v3', result: 'not_in_time_window' });
    expect((await notify('snmptrap', SNMPD_ADDRESS, { engine, extra: ['-Z', '7,9000'] })).code).toBe(0);
    expect((await notify('snmptrap', SNMPD_ADDRESS, { engine, extra: ['-Z', '6,20000'] })).code).toBe(0);
    await until('the replays counted', async () => (await notifications({ version: 'v3', result: 'not_in_time_window' })) === stale + 2, 10_000);
    expect(await priscan!.metric('priscan_scan_requests_total')).toBe(requests);
  });

  it('takes an inform sent straight to its engine ID (as a device configured with it does), after a clock sync', async () => {
    const about = (await priscan!.api('GET', '/api/v1/about')).body as { snmpEngineId: string };
    expect(about.snmpEngineId).toMatch(/^80007ed905[0-9a-f]{24}$/);
    await idle();
    const scans = await trapScans();
    const inform = await notify('snmpinform', SNMPD_ADDRESS, { engine: ['-e', `0x${about.snmpEngineId}`] });
    expect(inform.code, inform.stderr).toBe(0);
    await until('a scan after the inform', async () => (await trapScans()) > scans, 10_000);
  });
});

if (missing.length > 0) {
  it.skip(`daemon with a v3 Debian snmpd (not installed: ${missing.join(', ')}; apt-get install snmpd snmp)`, () => {});
}
