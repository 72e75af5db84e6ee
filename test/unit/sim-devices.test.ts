import { describe, expect, it } from 'vitest';
import { notificationMessage, v1TrapFields, type CommunityTarget, type NotificationTarget } from '../../simulators/agent/notification.js';
import type { SimTable } from '../../simulators/agent/table.js';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import { UnknownAlarmError, type DeviceSettings, type SimDevice } from '../../simulators/devices/device.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { PriscanSimDevice, SIM_ALARMS } from '../../simulators/devices/sim.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import { decodeMessage, encodeMessage, PduType, SnmpVersion, VarType, type VarBind } from '../../src/snmp/message.js';
import { APC, NETBOTZ, PRISCAN_SIM, RFC3413, ROW_STATUS as RS, SNMPV2, UPS_MIB } from '../../src/profiles/oids.js';

const MAX_ID = 2147483647;

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now = (): number => this.t;
}

function settings(clock: FakeClock, address = '127.0.20.1'): DeviceSettings {
  return { address, port: 16161, readCommunity: 'public', writeCommunity: 'private', clock, apcTrapPort: 16162, onBatteryRepeatMs: 60_000 };
}

const int = (oid: string, value: number): VarBind => ({ oid, type: VarType.Integer, value });
const str = (oid: string, value: string | Buffer): VarBind => ({ oid, type: VarType.OctetString, value: Buffer.from(value) });
const ip = (oid: string, value: string): VarBind => ({ oid, type: VarType.IpAddress, value });
/** The varbinds under one column, as [index, value] pairs. */
const column = (device: SimDevice, colOid: string) =>
  device.mib.walk().filter((vb) => vb.oid.startsWith(`${colOid}.`)).map((vb) => [vb.oid.slice(colOid.length + 1), vb.value]);
const value = (device: SimDevice, oid: string) => device.mib.get(oid).value;

// --- registration helpers (SETs a manager would send) ------------------------

const name = (text: string) => [...Buffer.from(text)].join('.');
const A = RFC3413.targetAddrCol;
const PC = RFC3413.targetParamsCol;
const N = RFC3413.notifyCol;
function tAddress(addr: string, port: number): Buffer {
  const b = Buffer.alloc(6);
  addr.split('.').forEach((o, i) => b.writeUInt8(Number(o), i));
  b.writeUInt16BE(port, 4);
  return b;
}
function paramsRow(row: string, mpModel: number, community: string, status: number = RS.createAndGo): VarBind[] {
  const p = (col: number) => `${RFC3413.targetParamsEntry}.${col}.${name(row)}`;
  return [int(p(PC.mpModel), mpModel), int(p(PC.securityModel), mpModel + 1), str(p(PC.securityName), community), int(p(PC.securityLevel), 1), int(p(PC.rowStatus), status)];
}
function addrRow(row: string, address: Buffer, tags: string, params: string, extra: VarBind[] = []): VarBind[] {
  const a = (col: number) => `${RFC3413.targetAddrEntry}.${col}.${name(row)}`;
  return [str(a(A.tAddress), address), str(a(A.tagList), tags), str(a(A.params), params), ...extra.map((vb) => ({ ...vb, oid: a(Number(vb.oid)) })), int(a(A.rowStatus), RS.createAndGo)];
}
function notifyRow(row: string, tag: string, type: number): VarBind[] {
  const n = (col: number) => `${RFC3413.notifyEntry}.${col}.${name(row)}`;
  return [str(n(N.tag), tag), int(n(N.type), type), int(n(N.rowStatus), RS.createAndGo)];
}
function hiddenRegistration(address: string, port: number, community: string): VarBind[] {
  const idx = `${address}.${port}`;
  const e = PRISCAN_SIM.regEntry;
  return [str(`${e}.${PRISCAN_SIM.regCol.community}.${idx}`, community), int(`${e}.${PRISCAN_SIM.regCol.rowStatus}.${idx}`, RS.createAndGo)];
}
function apcRegistration(row: number, address: string, community: string): VarBind[] {
  const e = APC.trapReceiverEntry;
  const c = APC.trapReceiverCol;
  return [ip(`${e}.${c.receiverAddr}.${row}`, address), str(`${e}.${c.communityString}.${row}`, community), int(`${e}.${c.acceptThisReceiver}.${row}`, APC.acceptThisReceiver.yes)];
}

describe('RFC 1628 UPS alarm table', () => {
  const descr = `${UPS_MIB.upsAlarmEntry}.${UPS_MIB.upsAlarmCol.descr}`;

  it('upsAlarmId increments, never reuses a cleared id, and upsAlarmsPresent follows the rows', () => {
    const clock = new FakeClock();
    const ups = new Rfc1628UpsDevice(settings(clock));
    expect(value(ups, UPS_MIB.upsAlarmsPresent)).toBe(0);
    for (const alarm of ['batteryBad', 'lowBattery', 'tempBad']) {
      clock.t += 1000;
      expect(ups.raise(alarm)).toBe(true);
    }
    expect(column(ups, descr)).toEqual([
      ['1', `${UPS_MIB.wellKnownAlarms}.1`],
      ['2', `${UPS_MIB.wellKnownAlarms}.3`],
      ['3', `${UPS_MIB.wellKnownAlarms}.5`],
    ]);
    expect(column(ups, `${UPS_MIB.upsAlarmEntry}.${UPS_MIB.upsAlarmCol.time}`)).toEqual([['1', 100], ['2', 200], ['3', 300]]);
    expect(ups.mib.get(UPS_MIB.upsAlarmsPresent)).toEqual({ type: VarType.Gauge32, value: 3 });
    expect(ups.clear('lowBattery')).toBe(true);
    expect(value(ups, UPS_MIB.upsAlarmsPresent)).toBe(2);
    expect(value(ups, UPS_MIB.upsBatteryStatus)).toBe(UPS_MIB.batteryStatus.batteryNormal);
    ups.raise('lowBattery');
    expect(column(ups, descr).map(([id]) => id)).toEqual(['1', '3', '4']);
    expect(value(ups, UPS_MIB.upsBatteryStatus)).toBe(UPS_MIB.batteryStatus.batteryLow);
  });

  it('wraps from 2147483647 to 1', () => {
    const ups = new Rfc1628UpsDevice(settings(new FakeClock()), { firstAlarmId: MAX_ID - 1 });
    for (const alarm of ['batteryBad', 'lowBattery', 'tempBad']) ups.raise(alarm);
    expect(column(ups, descr).map(([id]) => Number(id))).toEqual([1, MAX_ID - 1, MAX_ID]);
  });

  it('skips ids still in use after wrapping', () => {
    const ups = new Rfc1628UpsDevice(settings(new FakeClock()), { firstAlarmId: MAX_ID });
    // Only 2^31 raises could bring id 1 round again; plant a long-lived row there instead.
    const table = (ups as unknown as { alarmTable: SimTable }).alarmTable;
    table.setRow([1], { [UPS_MIB.upsAlarmCol.descr]: `${UPS_MIB.wellKnownAlarms}.18`, [UPS_MIB.upsAlarmCol.time]: 0 });
    ups.raise('batteryBad');
    ups.raise('tempBad');
    expect(column(ups, descr)).toEqual([
      ['1', `${UPS_MIB.wellKnownAlarms}.18`],
      ['2', `${UPS_MIB.wellKnownAlarms}.5`],
      [String(MAX_ID), `${UPS_MIB.wellKnownAlarms}.1`],
    ]);
  });

  it('raise/clear report whether anything changed', () => {
    const ups = new Rfc1628UpsDevice(settings(new FakeClock()));
    expect([ups.raise('fanFailure'), ups.raise('fanFailure'), ups.clear('fanFailure'), ups.clear('fanFailure')]).toEqual([true, false, true, false]);
    expect(value(ups, UPS_MIB.upsAlarmsPresent)).toBe(0);
  });
});

describe('every device kind', () => {
  const makers: Array<[string, (c: FakeClock) => SimDevice]> = [
    ['ups', (c) => new Rfc1628UpsDevice(settings(c))],
    ['apc-ups', (c) => new ApcUpsDevice(settings(c))],
    ['pdu', (c) => new RackPduDevice(settings(c))],
    ['netbotz', (c) => new NetBotzDevice(settings(c))],
    ['sim', (c) => new PriscanSimDevice(settings(c))],
  ];

  it.each(makers)('%s: an unknown alarm name throws UnknownAlarmError listing the supported names', (kind, make) => {
    const device = make(new FakeClock());
    for (const call of [() => device.raise('noSuchAlarm'), () => device.clear('noSuchAlarm')]) {
      expect(call).toThrow(UnknownAlarmError);
      expect(call).toThrow(`${kind} device 127.0.20.1 has no alarm "noSuchAlarm"; it supports: ${device.supportedAlarms.join(', ')}`);
    }
    expect(device.supportedAlarms.length).toBeGreaterThan(0);
  });

  it.each(makers)('%s: sysUpTime follows the clock in hundredths and reboot restarts it', (_kind, make) => {
    const clock = new FakeClock();
    const device = make(clock);
    expect(device.mib.get(SNMPV2.sysUpTime)).toEqual({ type: VarType.TimeTicks, value: 0 });
    clock.t += 12_345;
    expect(value(device, SNMPV2.sysUpTime)).toBe(1234);
    clock.t += 86_400_000;
    expect(device.uptime()).toBe(8_641_234);
    device.reboot();
    expect(value(device, SNMPV2.sysUpTime)).toBe(0);
    clock.t += 59;
    expect(value(device, SNMPV2.sysUpTime)).toBe(5);
  });

  it('sysUpTime wraps at 2^32 hundredths', () => {
    const clock = new FakeClock();
    const device = new PriscanSimDevice(settings(clock));
    clock.t += (2 ** 32 + 7) * 10;
    expect(device.uptime()).toBe(7);
  });

  // The RFC 3413 rows reference each other, so a manager sends them as separate SETs.
  it.each([
    ['ups', (c: FakeClock) => new Rfc1628UpsDevice(settings(c)), [paramsRow('p', 1, 'pub'), addrRow('a', tAddress('192.0.2.9', 1162), 'priscan', 'p'), notifyRow('n', 'priscan', 1)]],
    ['sim', (c: FakeClock) => new PriscanSimDevice(settings(c)), [hiddenRegistration('192.0.2.9', 1162, 'pub')]],
    ['netbotz', (c: FakeClock) => new NetBotzDevice(settings(c)), [hiddenRegistration('192.0.2.9', 1162, 'pub')]],
    ['apc-ups', (c: FakeClock) => new ApcUpsDevice(settings(c)), [apcRegistration(2, '192.0.2.9', 'pub')]],
    ['pdu', (c: FakeClock) => new RackPduDevice(settings(c)), [apcRegistration(2, '192.0.2.9', 'pub')]],
  ] as Array<[string, (c: FakeClock) => SimDevice, VarBind[][]]>)('%s: reboot forgets registrations', (kind, make, sets) => {
    const device = make(new FakeClock());
    const pristine = device.mib.walk();
    for (const varbinds of sets) device.mib.set(varbinds);
    expect(device.identity.registration.targets().map((t) => [t.address, t.community])).toEqual([['192.0.2.9', 'pub']]);
    expect(device.status().managers).toHaveLength(1);
    expect(device.mib.walk()).not.toEqual(pristine);
    device.reboot();
    expect(device.identity.registration.targets()).toEqual([]);
    expect(device.mib.walk()).toEqual(pristine);
    if (kind === 'apc-ups' || kind === 'pdu') {
      expect(value(device, `${APC.trapReceiverEntry}.${APC.trapReceiverCol.receiverAddr}.2`)).toBe('0.0.0.0');
      expect(value(device, `${APC.trapReceiverEntry}.${APC.trapReceiverCol.acceptThisReceiver}.2`)).toBe(APC.acceptThisReceiver.no);
    }
  });

  it('setDropRate accepts 0..1 and rejects everything else', () => {
    const device = new PriscanSimDevice(settings(new FakeClock()));
    for (const bad of [-0.01, 1.01, NaN, Infinity, -Infinity]) expect(() => device.setDropRate(bad)).toThrow(RangeError);
    for (const good of [0, 0.25, 1]) {
      device.setDropRate(good);
      expect(device.status().dropRate).toBe(good);
    }
  });
});

describe('RFC 3413 target resolution', () => {
  function targetsAfter(...sets: VarBind[][]): NotificationTarget[] {
    const ups = new Rfc1628UpsDevice(settings(new FakeClock()));
    for (const varbinds of sets) ups.mib.set(varbinds);
    return ups.identity.registration.targets();
  }
  const MGR = tAddress('10.1.2.3', 12345);

  it('resolves a v2c inform target with its TAddress, community and Timeout', () => {
    const extra = [int(String(A.timeout), 250), int(String(A.retryCount), 1)];
    expect(targetsAfter(paramsRow('p', RFC3413.mpModel.v2c, 'sec'), addrRow('a', MGR, 'priscan', 'p', extra), notifyRow('n', 'priscan', 2))).toEqual([
      { address: '10.1.2.3', port: 12345, community: 'sec', version: 'v2c', type: 'inform', timeoutMs: 2500, retries: 1 },
    ]);
  });

  it('uses the defVal Timeout (1500 cs = 15 s) and retries', () => {
    expect(targetsAfter(paramsRow('p', 1, 'c'), addrRow('a', MGR, 't', 'p'), notifyRow('n', 't', 1))).toEqual([
      { address: '10.1.2.3', port: 12345, community: 'c', version: 'v2c', type: 'trap', timeoutMs: 15_000, retries: 3 },
    ]);
  });

  it('a v1 params row (mpModel 0) gives a v1 trap target even for an inform notify row', () => {
    expect(targetsAfter(paramsRow('p', RFC3413.mpModel.v1, 'c'), addrRow('a', MGR, 't', 'p'), notifyRow('n', 't', 2))).toMatchObject([{ version: 'v1', type: 'trap' }]);
  });

  it('refuses a v3 params row on a device without a v3 user (test/unit/sim-v3.test.ts has the v3 rows)', () => {
    expect(() => targetsAfter(paramsRow('p', RFC3413.mpModel.v3, 'c'))).toThrow(/no SNMPv3 user/);
  });

  it.each([
    ['a params row that is not active', paramsRow('p', 1, 'c', RS.createAndWait)],
    ['no params row of that name', paramsRow('q', 1, 'c')],
  ])('%s gives no target', (_name, params) => {
    expect(targetsAfter(params, addrRow('a', MGR, 't', 'p'), notifyRow('n', 't', 1))).toEqual([]);
  });

  it.each([
    ['priscan', 'priscan', true],
    ['nms priscan backup', 'priscan', true],
    ['nms\tpriscan', 'priscan', true],
    ['priscan2 xpriscan', 'priscan', false],
    ['pri scan', 'priscan', false],
    ['nms priscan', 'nms', true],
    ['nms priscan', '', false],
    // RFC 3413 snmpNotifyTag: "If this object contains a value of zero length, no entries are selected."
    ['', '', false],
  ])('TagList "%s" and notify tag "%s" match: %s', (tagList, tag, matches) => {
    const targets = targetsAfter(paramsRow('p', 1, 'c'), addrRow('a', MGR, tagList, 'p'), notifyRow('n', tag, 1));
    expect(targets.length).toBe(matches ? 1 : 0);
  });
});

describe('device alarm effects', () => {
  it.each([
    [[], [], APC.alarmStatus.noAlarms],
    [['onBattery'], [], APC.alarmStatus.warning],
    [['lowBattery'], [], APC.alarmStatus.critical],
    [['batteryFault'], [4], APC.alarmStatus.critical],
    [['loadAlarmViolation'], [5], APC.alarmStatus.warning],
    [['redundancyLost', 'systemFanFailure'], [6, 15], APC.alarmStatus.warning],
    [['systemFanFailure', 'powerModuleFailure', 'onBattery'], [1, 15], APC.alarmStatus.critical],
  ] as Array<[string[], number[], number]>)('apc-ups %j: abnormal flags %j, alarm status %i', (alarms, flags, status) => {
    const apc = new ApcUpsDevice(settings(new FakeClock()));
    for (const alarm of alarms) apc.raise(alarm);
    const expected = Array.from({ length: 32 }, (_, i) => (flags.includes(i + 1) ? '1' : '0')).join('');
    expect((value(apc, APC.upsAdvStateAbnormalConditions) as Buffer).toString()).toBe(expected);
    expect(value(apc, APC.upsBasicStateAlarmStatus)).toBe(status);
    expect(value(apc, APC.upsBasicOutputStatus)).toBe(alarms.includes('onBattery') ? APC.outputStatus.onBattery : APC.outputStatus.onLine);
    for (const alarm of alarms) apc.clear(alarm);
    expect(value(apc, APC.upsAdvStateAbnormalConditions)).toEqual(Buffer.from('0'.repeat(32)));
    expect(value(apc, APC.upsBasicStateAlarmStatus)).toBe(APC.alarmStatus.noAlarms);
  });

  it('pdu load state: the worst active state wins on each phase', () => {
    const pdu = new RackPduDevice(settings(new FakeClock()));
    const C = APC.rPDU2PhaseCol;
    const phases = () => [1, 2, 3].map((p) => value(pdu, `${APC.rPDU2PhaseStatusEntry}.${C.loadState}.${p}`));
    const L = APC.loadState;
    const steps: Array<['raise' | 'clear', string, number[]]> = [
      ['raise', 'lowLoad', [L.lowLoad, L.normal, L.normal]],
      ['raise', 'nearOverload', [L.nearOverload, L.normal, L.normal]],
      ['raise', 'overload', [L.overload, L.normal, L.normal]],
      ['raise', 'phase3Overload', [L.overload, L.normal, L.overload]],
      ['clear', 'overload', [L.nearOverload, L.normal, L.overload]],
      ['raise', 'phase2Overload', [L.nearOverload, L.overload, L.overload]],
      ['clear', 'nearOverload', [L.lowLoad, L.overload, L.overload]],
      ['clear', 'lowLoad', [L.normal, L.overload, L.overload]],
      ['clear', 'phase2Overload', [L.normal, L.normal, L.overload]],
    ];
    expect(phases()).toEqual([L.normal, L.normal, L.normal]);
    for (const [action, alarm, expected] of steps) {
      pdu[action](alarm);
      expect([action, alarm, phases()]).toEqual([action, alarm, expected]);
    }
    expect(value(pdu, `${APC.rPDU2PhaseStatusEntry}.${C.current}.3`)).toBe(330);
  });

  it('netbotz keeps at most 20 resolved error conditions, oldest dropped first', () => {
    const clock = new FakeClock();
    const nb = new NetBotzDevice(settings(clock));
    const E = NETBOTZ.errorCondCol;
    const col = (c: number) => `${NETBOTZ.errorCondEntry}.${c}`;
    for (let i = 0; i < 25; i++) {
      clock.t += 1000;
      nb.raise('tempHigh');
      nb.clear('tempHigh');
    }
    nb.raise('doorOpen');
    const ids = column(nb, col(E.id)).map(([, v]) => (v as Buffer).toString());
    expect(ids).toHaveLength(21);
    expect(new Set(ids)).toEqual(new Set([...Array.from({ length: 20 }, (_, i) => `nbErrorCond_${i + 6}`), 'nbErrorCond_26']));
    const resolved = column(nb, col(E.resolved)).map(([, v]) => v);
    expect(resolved.filter((v) => v === 1)).toHaveLength(20);
    expect(resolved.filter((v) => v === 0)).toHaveLength(1);
  });

  it('netbotz sensor values follow the remaining alarm on that sensor', () => {
    const nb = new NetBotzDevice(settings(new FakeClock()));
    const temp = `${NETBOTZ.tempSensorEntry}.${NETBOTZ.sensorCol.value}.17.${name('nbHawkEnc_0_TEMP1')}`; // length-prefixed string index
    expect(value(nb, temp)).toBe(215);
    nb.raise('tempHigh');
    nb.raise('tempLow');
    nb.clear('tempHigh');
    expect(value(nb, temp)).toBe(80);
    nb.clear('tempLow');
    expect(value(nb, temp)).toBe(215);
  });

  it('sim alarm rows carry the catalogue severity, code and description', () => {
    const clock = new FakeClock();
    const sim = new PriscanSimDevice(settings(clock));
    const C = PRISCAN_SIM.alarmCol;
    const names = Object.keys(SIM_ALARMS);
    names.forEach((alarm) => {
      clock.t += 10;
      sim.raise(alarm);
    });
    expect(value(sim, PRISCAN_SIM.alarmsPresent)).toBe(names.length);
    const rows = names.map((_, i) => [C.severity, C.code, C.descr, C.raisedAt].map((c) => value(sim, `${PRISCAN_SIM.alarmEntry}.${c}.${i + 1}`)));
    expect(rows).toEqual(names.map((alarm, i) => {
      const a = SIM_ALARMS[alarm]!;
      return [PRISCAN_SIM.severity[a.severity], a.code, Buffer.from(a.descr), i + 1];
    }));
    expect(sim.mib.get(`${PRISCAN_SIM.alarmEntry}.${C.index}.1`).value).toBeNull(); // index column is not-accessible
    sim.clear('fanFailure');
    expect(value(sim, PRISCAN_SIM.alarmsPresent)).toBe(names.length - 1);
  });
});

describe('notifications (RFC 3584 3.2)', () => {
  const SYS = '1.3.6.1.4.1.32473.1.3.2';
  it.each([
    [SNMPV2.coldStart, SYS, 0, 0],
    [SNMPV2.warmStart, SYS, 1, 0],
    ['1.3.6.1.6.3.1.1.5.3', SYS, 2, 0],
    ['1.3.6.1.6.3.1.1.5.6', SYS, 5, 0],
    ['1.3.6.1.4.1.318.0.5', '1.3.6.1.4.1.318', 6, 5],
    ['1.3.6.1.2.1.33.2.3', '1.3.6.1.2.1.33.2', 6, 3],
    [PRISCAN_SIM.alertPresent, PRISCAN_SIM.module, 6, 1],
    [`${NETBOTZ.tempTrapPrefix}.102`, '1.3.6.1.4.1.5528.100.10.2.1', 6, 102],
  ])('%s -> enterprise %s generic %i specific %i', (trapOid, enterprise, genericTrap, specificTrap) => {
    expect(v1TrapFields(trapOid, SYS)).toEqual({ enterprise, genericTrap, specificTrap });
  });

  const ctx = { uptime: 4321, sysObjectId: SYS, agentAddress: '127.0.20.1', requestId: 77 };
  const extra: VarBind = { oid: `${UPS_MIB.upsAlarmEntry}.1.1`, type: VarType.Integer, value: 1 };
  const target = (version: 'v1' | 'v2c', type: 'trap' | 'inform'): CommunityTarget => ({ address: '192.0.2.1', port: 162, community: 'c', version, type });

  it.each([
    ['trap', PduType.TrapV2],
    ['inform', PduType.InformRequest],
  ] as const)('v2c %s: sysUpTime.0 and snmpTrapOID.0 come first', (type, pduType) => {
    const message = notificationMessage(target('v2c', type), { trapOid: UPS_MIB.upsTrapAlarmEntryAdded, varbinds: [extra] }, ctx);
    expect(decodeMessage(encodeMessage(message))).toEqual({
      version: SnmpVersion.v2c,
      community: Buffer.from('c'),
      pdu: {
        type: pduType,
        requestId: 77,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 4321 },
          { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: UPS_MIB.upsTrapAlarmEntryAdded },
          extra,
        ],
      },
    });
  });

  it('v1 target gets a Trap-PDU with translated fields', () => {
    const message = notificationMessage(target('v1', 'trap'), { trapOid: `${APC.enterprise}.0.${APC.trap.upsOnBattery}`, varbinds: [extra] }, ctx);
    expect(decodeMessage(encodeMessage(message))).toEqual({
      version: SnmpVersion.v1,
      community: Buffer.from('c'),
      pdu: { type: PduType.TrapV1, enterprise: APC.enterprise, agentAddr: '127.0.20.1', genericTrap: 6, specificTrap: 5, timestamp: 4321, varbinds: [extra] },
    });
  });
});
