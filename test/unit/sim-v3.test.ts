// SNMPv3 in the simulated devices: each device is its own engine (discovery, boots, time),
// answers GET/GETNEXT/GETBULK/SET for its USM user with every auth and privacy protocol,
// refuses with the right report, keeps its communities and fault modes, and survives garbage.
// Sockets on 127.0.140.0/24, ports 17210-17219; the devices' clock is fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFirstBoots, DeviceEngine, deviceEngineId, SNMP_ENGINE } from '../../simulators/agent/engine.js';
import { Fleet, FleetSpecError, type FleetEntry } from '../../simulators/fleet.js';
import { PRISCAN_SIM, ROW_STATUS, SNMPV2, USM_STATS } from '../../src/profiles/oids.js';
import { decodeMessage, encodeMessage, ErrorStatus, PduType, SnmpVersion, VarType, type RequestPdu } from '../../src/snmp/message.js';
import { AUTH_PROTOCOLS, desAvailable, PRIV_PROTOCOLS, type AuthProtocol, type PrivProtocol, type UsmUser } from '../../src/snmp/usm.js';
import { peekV3, type UsmRejectionReason } from '../../src/snmp/v3.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { getPdu, UdpPeer, V3Requester, type RequestOptions } from '../helpers/v3-peer.js';

const BASE = '127.0.140.1';
const PORT = 17210;
const PASSWORDS = { authPassword: 'auth-passw0rd', privPassword: 'priv-passw0rd' };

function userFor(authProtocol?: AuthProtocol, privProtocol?: PrivProtocol): UsmUser {
  if (!authProtocol) return { name: 'viewer', level: 'noAuthNoPriv' };
  const auth = { authProtocol, authPassword: PASSWORDS.authPassword };
  return privProtocol ? { name: 'admin', level: 'authPriv', ...auth, privProtocol, privPassword: PASSWORDS.privPassword } : { name: 'admin', level: 'authNoPriv', ...auth };
}

const privs = PRIV_PROTOCOLS.filter((p) => p !== 'des' || desAvailable());
/** One `sim` device per protocol pair (and one noAuthNoPriv, one without v3), in this order. */
const USERS: UsmUser[] = [userFor(), ...AUTH_PROTOCOLS.flatMap((a) => [userFor(a), ...privs.map((p) => userFor(a, p))])];
const REPORTS_USER = userFor('sha256', 'aes128');
const entries: FleetEntry[] = [...USERS.map((v3User) => ({ kind: 'sim' as const, count: 1, v3User })), { kind: 'sim', count: 1, v3User: null }];
const address = (i: number) => `127.0.140.${i + 1}`;
const V1V2_ONLY = address(USERS.length);
const REPORTS = address(USERS.findIndex((u) => u.authProtocol === 'sha256' && u.privProtocol === 'aes128'));

const clock = new FakeClock(Date.UTC(2024, 0, 1));
let fleet: Fleet;
let peer: UdpPeer;

beforeAll(async () => {
  fleet = new Fleet({ devices: entries, baseAddress: BASE, port: PORT, clock, engineBoots: 7 });
  await fleet.start();
  peer = new UdpPeer();
  await peer.start();
});

afterAll(async () => {
  await peer?.stop();
  await fleet?.stop();
});

const requester = (at: string, user: UsmUser) => new V3Requester(peer, { address: at, port: PORT }, user);
const device = (at: string) => fleet.get(at)!;
const reportReason = (pdu: RequestPdu) => pdu.varbinds[0]?.oid;
const bulk = (oid: string, maxRepetitions: number): RequestPdu => ({ type: PduType.GetBulkRequest, requestId: 3, errorStatus: 0, errorIndex: maxRepetitions, varbinds: [{ oid, type: VarType.Null, value: null }] });

describe('the engine of a device', () => {
  it('has an RFC 3411 engine ID under enterprise 32473, format 1, with the IPv4 address', () => {
    expect(deviceEngineId('127.0.10.1').toString('hex')).toBe('80007ed9017f000a01');
    expect(deviceEngineId('127.255.0.254').toString('hex')).toBe('80007ed9017fff00fe');
    expect(() => deviceEngineId('::1')).toThrow(RangeError);
  });

  it('counts time since boot from the clock; a reboot adds a boot and restarts the time', () => {
    const fake = new FakeClock(1_000_000);
    const engine = new DeviceEngine(deviceEngineId('127.0.10.1'), fake, 3);
    fake.advance(42_999);
    expect([engine.boots, engine.time()]).toEqual([3, 42]);
    engine.reboot();
    fake.advance(1_000);
    expect([engine.boots, engine.time()]).toEqual([4, 1]);
    expect(() => new DeviceEngine(engine.engineId, fake, 0)).toThrow(RangeError);
  });

  it('starts a run above every earlier run by default (seconds since 2020), never below 1', () => {
    expect(defaultFirstBoots({ now: () => Date.UTC(2020, 0, 1, 0, 1) })).toBe(60);
    expect(defaultFirstBoots({ now: () => 0 })).toBe(1);
  });

  it('answers discovery with its engine ID, boots and time, and counts it', async () => {
    clock.advance(5_000);
    const at = address(0);
    const report = await requester(at, USERS[0]!).discover();
    expect(report.engineId.equals(deviceEngineId(at))).toBe(true);
    expect(report.boots).toBe(7);
    expect(report.time).toBe(device(at).engine!.time());
    expect(reportReason(report.pdu)).toBe(USM_STATS.unknownEngineIDs);
    expect(device(at).status().counters.usm.unknownEngineIDs).toBeGreaterThanOrEqual(1);
  });

  it('shows user, level, protocols and engine in its status, never a password', () => {
    const status = device(REPORTS).status();
    expect(status.v3).toEqual({ user: 'admin', level: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes128', engineId: deviceEngineId(REPORTS).toString('hex'), engineBoots: 7, engineTime: device(REPORTS).engine!.time() });
    expect(JSON.stringify(status)).not.toContain('passw0rd');
    expect(device(V1V2_ONLY).status().v3).toBeNull();
  });
});

describe('requests over v3, every protocol', () => {
  it.each(USERS.map((user, i) => [`${user.authProtocol ?? 'none'}/${user.privProtocol ?? 'none'}`, user, address(i)] as const))(
    '%s: GET, GETNEXT, GETBULK and SET (the v3 user may write)',
    async (_name, user, at) => {
      const v3 = requester(at, user);
      await v3.discover();
      const got = await v3.request(getPdu([SNMPV2.sysName, SNMP_ENGINE.id], 11));
      expect(got).toMatchObject({ level: user.level, userName: user.name, pdu: { type: PduType.Response, requestId: 11, errorStatus: 0 } });
      expect(got!.pdu.varbinds[0]!.value).toEqual(Buffer.from(`sim-${at}`));
      expect(got!.pdu.varbinds[1]!.value).toEqual(deviceEngineId(at));
      expect(got!.contextEngineId.equals(deviceEngineId(at))).toBe(true);

      const next = await v3.request({ ...getPdu([SNMPV2.sysDescr], 13), type: PduType.GetNextRequest });
      expect(next!.pdu.varbinds[0]).toEqual({ oid: SNMPV2.sysObjectID, type: VarType.OID, value: PRISCAN_SIM.productSim });

      const walked = await v3.request(bulk('1.3.6.1.2.1.1', 6));
      expect(walked!.pdu.varbinds.map((vb) => vb.oid)).toEqual([SNMPV2.sysDescr, SNMPV2.sysObjectID, SNMPV2.sysUpTime, SNMPV2.sysContact, SNMPV2.sysName, SNMPV2.sysLocation]);

      const idx = `192.0.2.7.16200`;
      const set: RequestPdu = {
        type: PduType.SetRequest,
        requestId: 12,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          { oid: `${PRISCAN_SIM.regEntry}.${PRISCAN_SIM.regCol.community}.${idx}`, type: VarType.OctetString, value: Buffer.from('v3set') },
          { oid: `${PRISCAN_SIM.regEntry}.${PRISCAN_SIM.regCol.rowStatus}.${idx}`, type: VarType.Integer, value: ROW_STATUS.createAndGo },
        ],
      };
      expect((await v3.request(set))!.pdu).toMatchObject({ type: PduType.Response, errorStatus: ErrorStatus.noError });
      expect(device(at).status().managers).toContainEqual({ address: '192.0.2.7', port: 16200, community: 'v3set', version: 'v2c', type: 'trap' });
    },
  );

  it('keeps answering v1/v2c communities on a v3 device', async () => {
    const request = encodeMessage({ version: SnmpVersion.v2c, community: Buffer.from('public'), pdu: getPdu([SNMP_ENGINE.boots], 5) });
    const reply = await peer.exchange(request, { address: REPORTS, port: PORT });
    expect(decodeMessage(reply!).pdu.varbinds[0]).toMatchObject({ type: VarType.Integer, value: 7 });
  });

  it('a device without a v3 user does not speak v3: no answer, counted as malformed', async () => {
    const before = device(V1V2_ONLY).status().counters.malformed;
    await expect(requester(V1V2_ONLY, USERS[0]!).discover()).rejects.toThrow(/no discovery report/);
    expect(device(V1V2_ONLY).status().counters.malformed).toBe(before + 1);
  });
});

describe('refusals, each with its report and counter', () => {
  const cases: Array<[string, (engineTime: number) => RequestOptions, UsmRejectionReason, 'noAuthNoPriv' | 'authNoPriv']> = [
    ['an unknown user', () => ({ userName: 'intruder', signAs: { ...REPORTS_USER, name: 'intruder' } }), 'unknownUserNames', 'noAuthNoPriv'],
    ['a lower level than the user has', () => ({ level: 'authNoPriv' }), 'unsupportedSecLevels', 'noAuthNoPriv'],
    ['no authentication', () => ({ level: 'noAuthNoPriv' }), 'unsupportedSecLevels', 'noAuthNoPriv'],
    ['the wrong auth password', () => ({ signAs: { ...REPORTS_USER, authPassword: 'wrong-passw0rd' } }), 'wrongDigests', 'noAuthNoPriv'],
    ['the wrong privacy password', () => ({ signAs: { ...REPORTS_USER, privPassword: 'wrong-passw0rd' } }), 'decryptionErrors', 'noAuthNoPriv'],
    // Reported authenticated: it carries the clock the sender must adopt.
    ['a time 151 s ahead of the engine', (engineTime) => ({ time: engineTime + 151 }), 'notInTimeWindows', 'authNoPriv'],
  ];

  it.each(cases)('%s', async (_name, options, reason, reportLevel) => {
    const v3 = requester(REPORTS, REPORTS_USER);
    await v3.discover();
    const before = device(REPORTS).status().counters.usm[reason];
    const report = await v3.request(getPdu([SNMPV2.sysName]), options(v3.engine!.time));
    expect(report).toMatchObject({ level: reportLevel, pdu: { type: PduType.Report } });
    expect(reportReason(report!.pdu)).toBe(USM_STATS[reason]);
    expect(device(REPORTS).status().counters.usm[reason]).toBe(before + 1);
    // The counter is in the MIB as well, as usmStats.
    const read = await v3.request(getPdu([USM_STATS[reason]]));
    expect(read!.pdu.varbinds[0]).toMatchObject({ type: VarType.Counter32, value: before + 1 });
  });

  it('sends no report when the request did not ask for one', async () => {
    const v3 = requester(REPORTS, REPORTS_USER);
    await v3.discover();
    expect(await v3.request(getPdu([SNMPV2.sysName]), { userName: 'intruder', signAs: { ...REPORTS_USER, name: 'intruder' }, reportable: false }, 300)).toBeUndefined();
  });

  it('refuses an old time after the clock moves on, and reports the time to adopt', async () => {
    const v3 = requester(REPORTS, REPORTS_USER);
    await v3.discover();
    clock.advance(151_000);
    const report = await v3.request(getPdu([SNMPV2.sysName]));
    expect(reportReason(report!.pdu)).toBe(USM_STATS.notInTimeWindows);
    expect(report!.time).toBe(v3.engine!.time + 151);
    v3.engine = { ...v3.engine!, time: report!.time };
    expect((await v3.request(getPdu([SNMPV2.sysName])))!.pdu.type).toBe(PduType.Response);
  });

  it('counts boots up on each reboot: the old boot count is out of the window, the new one is in', async () => {
    const v3 = requester(REPORTS, REPORTS_USER);
    await v3.discover();
    const bootsBefore = v3.engine!.boots;
    device(REPORTS).reboot();
    expect(device(REPORTS).status().v3).toMatchObject({ engineBoots: bootsBefore + 1, engineTime: 0 });
    const report = await v3.request(getPdu([SNMPV2.sysName]));
    expect(report).toMatchObject({ boots: bootsBefore + 1, time: 0, pdu: { type: PduType.Report } });
    v3.engine = { ...v3.engine!, boots: report!.boots, time: report!.time };
    const got = await v3.request(getPdu([SNMP_ENGINE.boots]));
    expect(got!.pdu.varbinds[0]!.value).toBe(bootsBefore + 1);
  });

  it('refuses an authenticated request to a noAuthNoPriv user', async () => {
    const v3 = requester(address(0), userFor('sha'));
    await v3.discover();
    const report = await v3.request(getPdu([SNMPV2.sysName]), { userName: 'viewer' });
    expect(reportReason(report!.pdu)).toBe(USM_STATS.unsupportedSecLevels);
  });
});

describe('fault modes over v3', () => {
  const FAULTY = address(USERS.findIndex((u) => u.authProtocol === 'sha' && u.privProtocol === 'aes128'));
  const user = userFor('sha', 'aes128');
  afterAll(() => device(FAULTY).setFault('none'));

  it('wrong-request-id and wrong-types answer authentic, decryptable responses that are wrong', async () => {
    const v3 = requester(FAULTY, user);
    await v3.discover();
    device(FAULTY).setFault('wrong-request-id');
    expect((await v3.request(getPdu([SNMPV2.sysUpTime], 50)))!.pdu.requestId).toBe(51);
    device(FAULTY).setFault('wrong-types');
    expect((await v3.request(getPdu([SNMPV2.sysUpTime], 52)))!.pdu.varbinds[0]!.type).toBe(VarType.OctetString);
  });

  it('silent answers nothing, not even discovery; garbage answers bytes that are no message', async () => {
    device(FAULTY).setFault('silent');
    await expect(requester(FAULTY, user).discover()).rejects.toThrow(/no discovery report/);
    device(FAULTY).setFault('garbage');
    const v3 = requester(FAULTY, user);
    const reply = await v3.raw(v3.probe());
    expect(reply).toBeInstanceOf(Buffer);
    expect(() => peekV3(reply!)).toThrow();
  });
});

describe('garbage', () => {
  it('never crashes a device: random bytes, truncations and bit flips of v3 messages are dropped or refused', async () => {
    const v3 = requester(REPORTS, REPORTS_USER);
    await v3.discover();
    const valid = v3.message(getPdu([SNMPV2.sysName])).datagram;
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const mutants: Buffer[] = [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from('3003020103', 'hex')];
    for (let i = 0; i < 150; i++) {
      const mutant = Buffer.from(valid);
      const at = Math.floor(random() * mutant.length);
      mutant[at] = mutant[at]! ^ (1 << Math.floor(random() * 8));
      mutants.push(i % 3 === 0 ? mutant.subarray(0, Math.floor(random() * mutant.length)) : mutant);
    }
    for (const mutant of mutants) await v3.raw(mutant, 20);
    const status = device(REPORTS).status();
    expect(status.counters.malformed + status.counters.usm.wrongDigests).toBeGreaterThan(0);
    // Still answering.
    expect((await v3.request(getPdu([SNMPV2.sysName])))!.pdu.type).toBe(PduType.Response);
  });
});

describe('fleet options', () => {
  it.each<[string, UsmUser, RegExp]>([
    ['a short password', { name: 'u', level: 'authNoPriv', authProtocol: 'sha', authPassword: 'short' }, /SNMPv3 user "u": authPassword must be at least 8 characters/],
    ['no privacy protocol', { name: 'u', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd' }, /needs privProtocol and privPassword/],
    ['an unknown auth protocol', { name: 'u', level: 'authNoPriv', authProtocol: 'sha1' as AuthProtocol, authPassword: 'auth-passw0rd' }, /auth protocol must be one of md5, sha/],
    ['an unknown level', { name: 'u', level: 'paranoid' as UsmUser['level'] }, /level must be one of noAuthNoPriv/],
  ])('refuses %s with a clear error that holds no password', async (_name, v3User, message) => {
    const bad = new Fleet({ devices: [{ kind: 'sim', count: 1 }], baseAddress: '127.0.140.250', port: PORT, v3User });
    const failure = bad.start();
    await expect(failure).rejects.toThrow(FleetSpecError);
    await expect(failure).rejects.toThrow(message);
    await failure.catch((error: Error) => expect(error.message).not.toContain('passw0rd'));
  });

});
