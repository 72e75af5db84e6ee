// SNMPv3 notifications from the simulated devices: RFC 3413 v3 params rows accepted or refused,
// v3 traps with the device as authoritative engine, v3 notifications for community-only
// registrations on request, and the v3 inform sender (discovery, resync, engine change,
// retries) against a fake receiver built from receiveAuthoritative/encodeResponse.
// Devices on 127.0.140.128-159 port 17220, receivers on 127.0.140.200; the devices' clock is fake.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SetFailure } from '../../simulators/agent/mib.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { Fleet } from '../../simulators/fleet.js';
import { APC, PRISCAN_SIM, RFC3413, ROW_STATUS, SNMPV2, UPS_MIB } from '../../src/profiles/oids.js';
import { ErrorStatus, peekVersion, PduType, SnmpVersion, VarType, type VarBind } from '../../src/snmp/message.js';
import { KeyCache, type SecurityLevel, type UsmUser } from '../../src/snmp/usm.js';
import { EngineTimeWindows, peekV3, receiveNonAuthoritative, type V3Message } from '../../src/snmp/v3.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tAddress } from '../helpers/registration.js';
import { until } from '../helpers/tools.js';
import { FakeV3Manager } from '../helpers/v3-peer.js';

const PORT = 17220;
const RECEIVER = '127.0.140.200';
const USER: UsmUser = { name: 'ups-admin', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd', privProtocol: 'aes256', privPassword: 'priv-passw0rd' };
const ADDR = { ups: '127.0.140.128', informs: '127.0.140.129', sim: '127.0.140.130', apc: '127.0.140.131', plainSim: '127.0.140.132', lowUps: '127.0.140.133' };
const LEVEL = { noAuthNoPriv: 1, authNoPriv: 2, authPriv: 3 } as const;

const int = (oid: string, value: number): VarBind => ({ oid, type: VarType.Integer, value });
const str = (oid: string, value: string | Buffer): VarBind => ({ oid, type: VarType.OctetString, value: Buffer.from(value) });
const rowIndex = (name: string) => [...Buffer.from(name)].join('.');

interface V3Params {
  securityName?: string;
  level?: SecurityLevel;
  securityModel?: number;
  status?: number;
}

/** The SETs of an RFC 3413 v3 registration: params, target address and notify rows. */
function v3Registration(port: number, type: 'trap' | 'inform', params: V3Params = {}, extra: { timeoutCs?: number; retries?: number } = {}): VarBind[][] {
  const p = (col: number) => `${RFC3413.targetParamsEntry}.${col}.${rowIndex('p3')}`;
  const a = (col: number) => `${RFC3413.targetAddrEntry}.${col}.${rowIndex('a3')}`;
  const n = (col: number) => `${RFC3413.notifyEntry}.${col}.${rowIndex('n3')}`;
  const P = RFC3413.targetParamsCol;
  const A = RFC3413.targetAddrCol;
  const N = RFC3413.notifyCol;
  return [
    [
      int(p(P.mpModel), RFC3413.mpModel.v3),
      int(p(P.securityModel), params.securityModel ?? RFC3413.securityModel.usm),
      str(p(P.securityName), params.securityName ?? USER.name),
      int(p(P.securityLevel), LEVEL[params.level ?? USER.level]),
      int(p(P.rowStatus), params.status ?? ROW_STATUS.createAndGo),
    ],
    [
      str(a(A.tAddress), tAddress(RECEIVER, port)),
      str(a(A.tagList), 'priscan'),
      str(a(A.params), 'p3'),
      int(a(A.timeout), extra.timeoutCs ?? 1500),
      int(a(A.retryCount), extra.retries ?? 3),
      int(a(A.rowStatus), ROW_STATUS.createAndGo),
    ],
    [str(n(N.tag), 'priscan'), int(n(N.type), type === 'inform' ? RFC3413.notifyType.inform : RFC3413.notifyType.trap), int(n(N.rowStatus), ROW_STATUS.createAndGo)],
  ];
}

const register = (device: SimDevice, sets: VarBind[][]) => sets.forEach((varbinds) => device.mib.set(varbinds));

function refusal(action: () => void): SetFailure {
  try {
    action();
  } catch (error) {
    if (error instanceof SetFailure) return error;
    throw error;
  }
  throw new Error('the SET was accepted');
}

const clock = new FakeClock(Date.UTC(2024, 5, 1));
let fleet: Fleet;
let v3Fleet: Fleet;
let receiver: FakeV3Manager;

beforeAll(async () => {
  receiver = new FakeV3Manager(Buffer.from('80001f8880aabbccdd', 'hex'), [USER]);
  await receiver.start(RECEIVER);
  fleet = new Fleet({
    devices: [
      { kind: 'ups', count: 2 },
      { kind: 'sim', count: 1 },
      { kind: 'apc-ups', count: 1 },
      { kind: 'sim', count: 1, v3User: null },
      { kind: 'ups', count: 1, v3User: { ...USER, level: 'authNoPriv' } },
    ],
    baseAddress: ADDR.ups,
    port: PORT,
    clock,
    v3User: USER,
    engineBoots: 3,
  });
  await fleet.start();
});

afterEach(() => receiver.clear());

afterAll(async () => {
  await v3Fleet?.stop();
  await fleet?.stop();
  await receiver?.stop();
});

const device = (address: string) => fleet.get(address)!;
const windows = () => new EngineTimeWindows(() => clock.now());
const readTrap = (datagram: Buffer, user = USER): V3Message => receiveNonAuthoritative(datagram, { userFor: (name) => (name === user.name ? user : undefined), keys: new KeyCache(), windows: windows() });

describe('RFC 3413 v3 params rows', () => {
  afterEach(() => fleet.devices.forEach((d) => d.identity.registration.clear()));

  it.each<[SecurityLevel]>([['authPriv'], ['authNoPriv'], ['noAuthNoPriv']])('accept the device user at %s and resolve to a v3 target', (level) => {
    const ups = device(ADDR.ups);
    register(ups, v3Registration(16299, 'trap', { level }));
    expect(ups.identity.registration.targets()).toEqual([
      { address: RECEIVER, port: 16299, version: 'v3', securityName: USER.name, securityLevel: level, type: 'trap', timeoutMs: 15_000, retries: 3 },
    ]);
    // The control API shows the user and level, no community.
    expect(ups.status().managers).toEqual([{ address: RECEIVER, port: 16299, version: 'v3', securityName: USER.name, securityLevel: level, type: 'trap' }]);
  });

  it.each<[string, string, V3Params]>([
    ['another user name', ADDR.ups, { securityName: 'somebody' }],
    ['a security model other than USM', ADDR.ups, { securityModel: RFC3413.securityModel.v2c }],
    ['a level above the user\'s', ADDR.lowUps, { level: 'authPriv' }],
  ])('refuse %s with inconsistentValue', (_name, address, params) => {
    const failure = refusal(() => device(address).mib.set(v3Registration(16299, 'trap', params)[0]!));
    expect(failure.status).toBe(ErrorStatus.inconsistentValue);
    expect(device(address).identity.registration.targets()).toEqual([]);
  });

  it('check a row created with createAndWait when it goes active', () => {
    const ups = device(ADDR.ups);
    ups.mib.set(v3Registration(16299, 'trap', { securityName: 'somebody', status: ROW_STATUS.createAndWait })[0]!);
    const activate = int(`${RFC3413.targetParamsEntry}.${RFC3413.targetParamsCol.rowStatus}.${rowIndex('p3')}`, ROW_STATUS.active);
    expect(refusal(() => ups.mib.set([activate])).status).toBe(ErrorStatus.inconsistentValue);
  });
});

describe('v3 traps', () => {
  afterEach(() => fleet.devices.forEach((d) => d.identity.registration.clear()));

  it('go out with the device as authoritative engine: its engine ID, boots and time, keys localized to it', async () => {
    const ups = device(ADDR.ups);
    register(ups, v3Registration(receiver.port, 'trap'));
    clock.advance(12_000);
    ups.raise('tempBad');
    const [datagram] = await until('a v3 trap', () => receiver.traps.length >= 1 && receiver.traps);
    const trap = readTrap(datagram!);
    expect(trap).toMatchObject({ level: 'authPriv', userName: USER.name, reportable: false, boots: 3, time: ups.engine!.time() });
    expect(trap.engineId.equals(ups.engine!.engineId)).toBe(true);
    expect(trap.contextEngineId.equals(ups.engine!.engineId)).toBe(true);
    expect(trap.pdu.type).toBe(PduType.TrapV2);
    expect(trap.pdu.varbinds.slice(0, 2)).toEqual([
      { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: ups.uptime() },
      { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: UPS_MIB.upsTrapAlarmEntryAdded },
    ]);
    expect(ups.status().counters.notificationsSent).toBe(1);
  });

  it('go at the params row\'s level when it is below the user\'s (authNoPriv: signed, not encrypted)', async () => {
    const ups = device(ADDR.ups);
    register(ups, v3Registration(receiver.port, 'trap', { level: 'authNoPriv' }));
    ups.raise('fanFailure');
    const [datagram] = await until('a v3 trap', () => receiver.traps.length >= 1 && receiver.traps);
    expect(peekV3(datagram!).level).toBe('authNoPriv');
    expect(readTrap(datagram!, { ...USER, level: 'authNoPriv' }).pdu.varbinds[1]!.value).toBe(UPS_MIB.upsTrapAlarmEntryAdded);
  });

  it('after a reboot, coldStart goes to the old managers with the new boot count and time 0', async () => {
    const ups = device(ADDR.ups);
    register(ups, v3Registration(receiver.port, 'trap'));
    ups.reboot();
    const [datagram] = await until('coldStart', () => receiver.traps.length >= 1 && receiver.traps);
    expect(readTrap(datagram!)).toMatchObject({ boots: ups.engine!.boots, time: 0, pdu: { varbinds: [{}, { value: SNMPV2.coldStart }] } });
  });
});

describe("fleet option notifications: 'v3'", () => {
  const hidden = (device: SimDevice, port: number) => {
    const e = PRISCAN_SIM.regEntry;
    const c = PRISCAN_SIM.regCol;
    device.mib.set([str(`${e}.${c.community}.${RECEIVER}.${port}`, 'comm'), int(`${e}.${c.rowStatus}.${RECEIVER}.${port}`, ROW_STATUS.createAndGo)]);
  };
  const apc = (device: SimDevice) => {
    const e = APC.trapReceiverEntry;
    const c = APC.trapReceiverCol;
    device.mib.set([{ oid: `${e}.${c.receiverAddr}.1`, type: VarType.IpAddress, value: RECEIVER }, int(`${e}.${c.acceptThisReceiver}.1`, APC.acceptThisReceiver.yes)]);
  };

  it('is off by default: a hidden-table registration gets v2c with its community', async () => {
    const sim = device(ADDR.sim);
    hidden(sim, receiver.port);
    sim.raise('doorOpen');
    const datagrams = await until('a v2c trap', () => receiver.datagrams.filter((d) => peekVersion(d) === SnmpVersion.v2c).length >= 1 && receiver.datagrams);
    expect(datagrams.some((d) => peekVersion(d) === SnmpVersion.v3)).toBe(false);
    expect(sim.status().managers).toEqual([{ address: RECEIVER, port: receiver.port, community: 'comm', version: 'v2c', type: 'trap' }]);
  });

  it('sends hidden-table and APC registrations\' notifications as v3 with the device user; devices without one keep the community', async () => {
    v3Fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }, { kind: 'apc-ups', count: 1 }, { kind: 'sim', count: 1, v3User: null }], baseAddress: '127.0.140.150', port: PORT, clock, v3User: USER, notifications: 'v3', apcTrapPort: receiver.port });
    await v3Fleet.start();
    const [sim, apcUps, plain] = v3Fleet.devices as [SimDevice, SimDevice, SimDevice];
    hidden(sim, receiver.port);
    hidden(plain, receiver.port);
    expect(sim.status().managers).toEqual([{ address: RECEIVER, port: receiver.port, version: 'v3', securityName: USER.name, securityLevel: 'authPriv', type: 'trap' }]);
    sim.raise('onBattery');
    const [fromSim] = await until('the sim trap', () => receiver.traps.length >= 1 && receiver.traps);
    expect(readTrap(fromSim!).pdu.varbinds[1]!.value).toBe(PRISCAN_SIM.alertPresent);
    // An APC card's v1 enterprise trap goes in its SNMPv2 form (RFC 3584 3.1).
    apc(apcUps);
    expect(apcUps.status().managers).toEqual([{ address: RECEIVER, port: receiver.port, version: 'v3', securityName: USER.name, securityLevel: 'authPriv', type: 'trap' }]);
    receiver.clear();
    apcUps.raise('onBattery');
    const [fromApc] = await until('the APC trap', () => receiver.traps.length >= 1 && receiver.traps);
    expect(readTrap(fromApc!).pdu.varbinds[1]!.value).toBe(`${APC.enterprise}.0.${APC.trap.upsOnBattery}`);
    const before = receiver.datagrams.length;
    plain.raise('onBattery');
    await until('the plain sim trap', () => receiver.datagrams.length > before);
    expect(peekVersion(receiver.datagrams.at(-1)!)).toBe(SnmpVersion.v2c);
  });
});

describe('v3 informs (the device is not authoritative: the receiver is)', () => {
  const ups = () => device(ADDR.informs);
  const counters = () => ups().status().counters;
  const informsAt = (n: number) => until(`${n} informs at the receiver`, () => receiver.informs.length >= n, 5000);

  beforeAll(() => register(ups(), v3Registration(receiver.port, 'inform', {}, { timeoutCs: 20, retries: 2 })));
  afterEach(() => {
    receiver.acknowledge = true;
  });

  it('discover the receiver\'s engine with a probe, then go with keys localized to it and are acknowledged', async () => {
    ups().raise('batteryBad');
    await until('acknowledged', () => counters().informsAcknowledged === 1);
    const [probe] = receiver.datagrams;
    expect(peekV3(probe!)).toMatchObject({ level: 'noAuthNoPriv', userName: '', reportable: true });
    expect(peekV3(probe!).engineId.length).toBe(0);
    const [inform] = receiver.informs;
    expect(inform).toMatchObject({ level: 'authPriv', userName: USER.name, reportable: true, boots: receiver.engine.boots });
    expect(inform!.engineId.equals(receiver.engine.engineId)).toBe(true);
    // An inform names its sender's engine as context (RFC 3413 3.3).
    expect(inform!.contextEngineId.equals(ups().engine!.engineId)).toBe(true);
    expect(inform!.pdu.type).toBe(PduType.InformRequest);
    expect(inform!.pdu.varbinds[1]).toEqual({ oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: UPS_MIB.upsTrapAlarmEntryAdded });
    // The probe is no notification.
    expect(counters().notificationsSent).toBe(1);
  });

  it('resync on a notInTimeWindow report after the receiver rebooted, and are acknowledged', async () => {
    receiver.engine.boots += 1;
    receiver.engine.clockTime = 5;
    const reports = receiver.stats.notInTimeWindows;
    const acknowledged = counters().informsAcknowledged;
    ups().raise('tempBad');
    await until('acknowledged', () => counters().informsAcknowledged === acknowledged + 1);
    expect(receiver.stats.notInTimeWindows).toBe(reports + 1);
    expect(receiver.informs.at(-1)).toMatchObject({ boots: receiver.engine.boots, time: 5 });
  });

  it('adopt a new engine ID on an unknownEngineID report, and are acknowledged', async () => {
    receiver.engine.engineId = Buffer.from('80001f8880eeff0011', 'hex');
    const reports = receiver.stats.unknownEngineIDs;
    const acknowledged = counters().informsAcknowledged;
    ups().raise('fanFailure');
    await until('acknowledged', () => counters().informsAcknowledged === acknowledged + 1);
    expect(receiver.stats.unknownEngineIDs).toBe(reports + 1);
    expect(receiver.informs.at(-1)!.engineId.equals(receiver.engine.engineId)).toBe(true);
  });

  it('are sent 1 + retries times without an answer, then counted unacknowledged', async () => {
    receiver.acknowledge = false;
    const unacknowledged = counters().informsUnacknowledged;
    ups().raise('fuseFailure');
    await until('given up', () => counters().informsUnacknowledged === unacknowledged + 1, 5000);
    expect(receiver.informs).toHaveLength(3);
    // Retransmissions keep the request id but each has its own msgID (RFC 3412 7.1.4).
    expect(new Set(receiver.informs.map((m) => m.pdu.requestId)).size).toBe(1);
    expect(new Set(receiver.informs.map((m) => m.msgId)).size).toBe(3);
  });

  it('end unacknowledged at once when the receiver does not know the user', async () => {
    const stranger = new FakeV3Manager(Buffer.from('80001f8880010203', 'hex'), []);
    const port = await stranger.start(RECEIVER);
    try {
      const other = device(ADDR.ups);
      register(other, v3Registration(port, 'inform', {}, { timeoutCs: 500, retries: 3 }));
      other.raise('generalFault');
      await until('given up', () => other.status().counters.informsUnacknowledged === 1);
      expect(stranger.stats.unknownUserNames).toBe(1);
      // Probe, then one inform: no retries against a refusal.
      expect(stranger.datagrams).toHaveLength(2);
    } finally {
      device(ADDR.ups).identity.registration.clear();
      await stranger.stop();
    }
  });
});
