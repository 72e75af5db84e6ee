import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APC, NETBOTZ, PRISCAN_SIM, RFC3413, SNMPV2, UPS_MIB } from '../../src/profiles/oids.js';
import { Fleet } from '../../simulators/fleet.js';
import { PduType, SnmpVersion } from '../../src/snmp/message.js';
import { registerApc, registerHidden, registerRfc3413, tAddress } from '../helpers/registration.js';
import { NotificationSink, openSession, sleep, trapOidOf } from '../helpers/snmp-client.js';

// This file's devices live on 127.0.21.0/24 so other test files can run beside it.
const PORT = 16161;
const ADDR = { ups: '127.0.21.1', apc: '127.0.21.2', netbotz: '127.0.21.3', pdu: '127.0.21.4', sim: '127.0.21.5', rec: '127.0.21.6' };
const MANAGER = '127.0.0.1';

const recording = `1.3.6.1.2.1.1.1.0|4|recorded device
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1
1.3.6.1.2.1.1.3.0|67|4242
1.3.6.1.4.1.99999.1.1.0|4x|00ff7f80
`;

let fleet: Fleet;
let sink: NotificationSink;
const sessions: Array<{ close: () => void }> = [];
const session = (address: string, community = 'private', version: 'v1' | 'v2c' = 'v2c') => {
  const s = openSession(address, PORT, community, version);
  sessions.push(s);
  return s;
};

beforeAll(async () => {
  sink = new NotificationSink();
  const sinkPort = await sink.start(MANAGER);
  const dir = mkdtempSync(join(tmpdir(), 'priscan-rec-'));
  writeFileSync(join(dir, 'device.snmprec'), recording);
  fleet = new Fleet({
    devices: [
      { kind: 'ups', count: 1 },
      { kind: 'apc-ups', count: 1 },
      { kind: 'netbotz', count: 1 },
      { kind: 'pdu', count: 1 },
      { kind: 'sim', count: 1 },
      { kind: 'snmprec', count: 1 },
    ],
    baseAddress: ADDR.ups,
    port: PORT,
    apcTrapPort: sinkPort,
    onBatteryRepeatMs: 150,
    snmprecFile: join(dir, 'device.snmprec'),
  });
  await fleet.start();
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
  for (const d of fleet.devices) for (const name of d.activeAlarms()) d.clear(name);
  sink.clear();
});

afterAll(async () => {
  await fleet?.stop();
  await sink?.stop();
});

const values = (rows: Array<{ oid: string; value: unknown }>) => new Map(rows.map((r) => [r.oid, r.value]));

describe('ups (RFC 1628, RFC 3413 registration)', () => {
  it('registers through RFC 3413 rows and reads them back', async () => {
    const s = session(ADDR.ups);
    await registerRfc3413(s, MANAGER, sink.port, 'n0tify');
    const addr = values(await s.subtree(RFC3413.targetAddrEntry));
    const name = [...Buffer.from('priscan')].join('.');
    expect(addr.get(`${RFC3413.targetAddrEntry}.${RFC3413.targetAddrCol.tAddress}.${name}`)).toEqual(tAddress(MANAGER, sink.port));
    expect(addr.get(`${RFC3413.targetAddrEntry}.${RFC3413.targetAddrCol.rowStatus}.${name}`)).toBe(1);
    expect(fleet.get(ADDR.ups)!.status().managers).toEqual([
      { address: MANAGER, port: sink.port, community: 'n0tify', version: 'v2c', type: 'trap' },
    ]);
  });

  it('adds an alarm row, sends upsTrapAlarmEntryAdded and repeats upsTrapOnBattery', async () => {
    const device = fleet.get(ADDR.ups)!;
    device.raise('onBattery');
    const [added] = await sink.waitFor(1, ADDR.ups);
    expect(added!.from).toEqual({ address: ADDR.ups, port: PORT });
    expect(added!.message.community.toString()).toBe('n0tify');
    expect(trapOidOf(added!.message)).toBe(UPS_MIB.upsTrapAlarmEntryAdded);
    const id = (added!.message.pdu.varbinds[2]!.oid.split('.').pop())!;
    expect(added!.message.pdu.varbinds[3]).toMatchObject({ oid: `${UPS_MIB.upsAlarmEntry}.2.${id}`, value: `${UPS_MIB.wellKnownAlarms}.2` });

    const table = values(await session(ADDR.ups, 'public').subtree(UPS_MIB.root));
    expect(table.get(UPS_MIB.upsAlarmsPresent)).toBe(1);
    expect(table.get(`${UPS_MIB.upsAlarmEntry}.2.${id}`)).toBe(`${UPS_MIB.wellKnownAlarms}.2`);
    expect(table.get(UPS_MIB.upsOutputSource)).toBe(UPS_MIB.outputSource.battery);

    await sink.waitFor(4, ADDR.ups, 2000);
    const onBattery = sink.received.filter((n) => n.from.address === ADDR.ups && trapOidOf(n.message) === UPS_MIB.upsTrapOnBattery);
    expect(onBattery.length).toBeGreaterThanOrEqual(2);

    device.clear('onBattery');
    const cleared = await sink.waitFor(sink.received.length + 1, ADDR.ups);
    expect(trapOidOf(cleared.at(-1)!.message)).toBe(UPS_MIB.upsTrapAlarmEntryRemoved);
    const after = values(await session(ADDR.ups, 'public').subtree(UPS_MIB.upsAlarmEntry));
    expect(after.size).toBe(0);
    const repeats = sink.received.length;
    await sleep(400);
    expect(sink.received.length).toBe(repeats);
  });

  it('refuses a TAddress that is not 6 bytes with wrongLength and changes nothing', async () => {
    const s = session(ADDR.ups);
    const oid = `${RFC3413.targetAddrEntry}.${RFC3413.targetAddrCol.tAddress}.120`;
    await expect(
      s.set([
        { oid, type: snmp.ObjectType.OctetString, value: Buffer.from([127, 0, 0, 1]) },
        { oid: `${RFC3413.targetAddrEntry}.9.120`, type: snmp.ObjectType.Integer, value: 4 },
      ]),
    ).rejects.toThrow(/WrongLength/);
    expect((await s.get([oid]))[0]!.type).toBe(snmp.ObjectType.NoSuchInstance);
  });
});

describe('apc-ups (PowerNet, mconfigTrapReceiverTable)', () => {
  it('takes a free receiver row and sends v1 enterprise traps from its own address', async () => {
    const s = session(ADDR.apc);
    await registerApc(s, 1, MANAGER, 'apcs3cret');
    const rows = values(await s.subtree(APC.trapReceiverEntry));
    expect(rows.get(`${APC.trapReceiverEntry}.2.1`)).toBe(MANAGER);
    expect(rows.get(`${APC.trapReceiverEntry}.5.1`)).toBe(APC.acceptThisReceiver.yes);
    expect(rows.get(`${APC.trapReceiverEntry}.2.2`)).toBe('0.0.0.0');

    const device = fleet.get(ADDR.apc)!;
    device.raise('onBattery');
    device.raise('batteryFault');
    const [onBattery, critical] = await sink.waitFor(2, ADDR.apc);
    expect(onBattery!.from.address).toBe(ADDR.apc);
    expect(onBattery!.message.version).toBe(SnmpVersion.v1);
    expect(onBattery!.message.pdu).toMatchObject({
      type: PduType.TrapV1,
      enterprise: APC.enterprise,
      agentAddr: ADDR.apc,
      genericTrap: 6,
      specificTrap: APC.trap.upsOnBattery,
    });
    expect(critical!.message.pdu).toMatchObject({ specificTrap: APC.trap.upsCriticalCondition });

    const state = values(await session(ADDR.apc, 'public').get([APC.upsBasicOutputStatus, APC.upsBasicStateAlarmStatus, APC.upsAdvStateAbnormalConditions, APC.upsBasicBatteryStatus]));
    expect(state.get(APC.upsBasicOutputStatus)).toBe(APC.outputStatus.onBattery);
    expect(state.get(APC.upsBasicStateAlarmStatus)).toBe(APC.alarmStatus.critical);
    expect(String(state.get(APC.upsAdvStateAbnormalConditions))).toBe('0001' + '0'.repeat(28));
    expect(state.get(APC.upsBasicBatteryStatus)).toBe(APC.batteryStatus.inFault);

    device.clear('onBattery');
    const [, , restored] = await sink.waitFor(3, ADDR.apc);
    expect(restored!.message.pdu).toMatchObject({ specificTrap: APC.trap.powerRestored });
  });
});

describe('pdu (rPDU2 phase table)', () => {
  it('shows overload on the phase and sends rpdu critical traps', async () => {
    await registerApc(session(ADDR.pdu), 2, MANAGER, 'pdus3cret');
    const device = fleet.get(ADDR.pdu)!;
    device.raise('overload');
    const [raised] = await sink.waitFor(1, ADDR.pdu);
    expect(raised!.from.address).toBe(ADDR.pdu);
    expect(raised!.message.pdu).toMatchObject({ enterprise: APC.enterprise, specificTrap: APC.trap.rpduCriticalCondition });
    const phases = values(await session(ADDR.pdu, 'public').subtree(APC.rPDU2PhaseStatusEntry));
    expect(phases.get(`${APC.rPDU2PhaseStatusEntry}.4.1`)).toBe(APC.loadState.overload);
    expect(phases.get(`${APC.rPDU2PhaseStatusEntry}.4.2`)).toBe(APC.loadState.normal);
    expect(phases.get(`${APC.rPDU2PhaseStatusEntry}.5.1`)).toBeGreaterThan(300);
    device.clear('overload');
    const [, cleared] = await sink.waitFor(2, ADDR.pdu);
    expect(cleared!.message.pdu).toMatchObject({ specificTrap: APC.trap.rpduCriticalConditionCleared });
  });
});

describe('netbotz (sensors, error conditions, hidden registration)', () => {
  it('raises temperature too high and keeps the resolved condition after return to normal', async () => {
    await registerHidden(session(ADDR.netbotz), MANAGER, sink.port, 'nbs3cret');
    const device = fleet.get(ADDR.netbotz)!;
    device.raise('tempHigh');
    const [high] = await sink.waitFor(1, ADDR.netbotz);
    expect(high!.from.address).toBe(ADDR.netbotz);
    expect(trapOidOf(high!.message)).toBe(`${NETBOTZ.tempTrapPrefix}.2`);
    const s = session(ADDR.netbotz, 'public');
    const temp = await s.subtree(NETBOTZ.tempSensorEntry);
    expect(temp.find((r) => r.oid.startsWith(`${NETBOTZ.tempSensorEntry}.2.`))!.value).toBe(385);
    expect(temp.find((r) => r.oid.startsWith(`${NETBOTZ.tempSensorEntry}.3.`))!.value).toBe(NETBOTZ.errorStatus.error);
    device.clear('tempHigh');
    const [, normal] = await sink.waitFor(2, ADDR.netbotz);
    expect(trapOidOf(normal!.message)).toBe(`${NETBOTZ.tempTrapPrefix}.102`);
    const conditions = await s.subtree(NETBOTZ.errorCondEntry);
    const resolved = conditions.filter((r) => r.oid.startsWith(`${NETBOTZ.errorCondEntry}.6.`));
    expect(resolved.map((r) => r.value)).toEqual([1]);
  });
});

describe('sim (PRISCAN-SIM-MIB)', () => {
  it('raises a row in the priority-scanning table and sends a detail-free alert-present inform', async () => {
    await registerHidden(session(ADDR.sim), MANAGER, sink.port, 'sims3cret', true);
    const device = fleet.get(ADDR.sim)!;
    device.raise('onBattery');
    const [alert] = await sink.waitFor(1, ADDR.sim);
    expect(alert!.from).toEqual({ address: ADDR.sim, port: PORT });
    expect(alert!.message.pdu.type).toBe(PduType.InformRequest);
    expect(alert!.message.pdu.varbinds.map((v) => v.oid)).toEqual([SNMPV2.sysUpTime, SNMPV2.snmpTrapOID]);
    expect(trapOidOf(alert!.message)).toBe(PRISCAN_SIM.alertPresent);
    const table = await session(ADDR.sim, 'public').subtree(PRISCAN_SIM.alarmEntry);
    const cell = (col: number) => table.find((r) => r.oid.startsWith(`${PRISCAN_SIM.alarmEntry}.${col}.`))?.value;
    expect(cell(PRISCAN_SIM.alarmCol.severity)).toBe(PRISCAN_SIM.severity.critical);
    expect(cell(PRISCAN_SIM.alarmCol.code)).toBe(2);
    expect(String(cell(PRISCAN_SIM.alarmCol.descr))).toBe('UPS on battery');
    await sleep(50);
    expect(device.status().counters.informsAcknowledged).toBe(1);
    device.clear('onBattery');
    await sink.waitFor(2, ADDR.sim);
    expect(await session(ADDR.sim, 'public').subtree(PRISCAN_SIM.alarmEntry)).toEqual([]);
  });

  it('never lets one manager overwrite another and refuses a ninth registration', async () => {
    const s = session(ADDR.sim);
    for (let port = 30001; port <= 30007; port++) await registerHidden(s, '127.0.0.2', port, `c${port}`);
    await expect(registerHidden(s, '127.0.0.2', 30008, 'one-too-many')).rejects.toThrow(/ResourceUnavailable/);
    await expect(registerHidden(s, '127.0.0.2', 30001, 'takeover')).rejects.toThrow(/InconsistentValue/);
    expect(fleet.get(ADDR.sim)!.status().managers.find((m) => m.port === 30001)?.community).toBe('c30001');
  });
});

describe('every kind', () => {
  it('ignores requests with a wrong community and counts them', async () => {
    const before = fleet.get(ADDR.pdu)!.status().counters.badCommunity;
    await expect(session(ADDR.pdu, 'wrong').get([SNMPV2.sysDescr])).rejects.toThrow(/timed out/i);
    expect(fleet.get(ADDR.pdu)!.status().counters.badCommunity).toBe(before + 1);
  });

  it('answers v1 GETNEXT walks and maps v2 errors to v1', async () => {
    const s = session(ADDR.apc, 'private', 'v1');
    const walked = await s.subtree(APC.trapReceiverEntry);
    expect(walked).toHaveLength(16);
    await expect(s.set([{ oid: `${APC.trapReceiverEntry}.5.1`, type: snmp.ObjectType.Integer, value: 7 }])).rejects.toThrow(/BadValue/);
    await expect(s.set([{ oid: `${APC.trapReceiverEntry}.1.1`, type: snmp.ObjectType.Integer, value: 2 }])).rejects.toThrow(/NoSuchName/);
  });

  it('replays a .snmprec recording byte for byte', async () => {
    const rows = await session(ADDR.rec, 'public').subtree('1.3.6.1');
    expect(rows.map((r) => [r.oid, r.type])).toEqual([
      ['1.3.6.1.2.1.1.1.0', snmp.ObjectType.OctetString],
      ['1.3.6.1.2.1.1.2.0', snmp.ObjectType.OID],
      ['1.3.6.1.2.1.1.3.0', snmp.ObjectType.TimeTicks],
      ['1.3.6.1.4.1.99999.1.1.0', snmp.ObjectType.OctetString],
    ]);
    expect(rows[2]!.value).toBe(4242);
    expect(rows[3]!.value).toEqual(Buffer.from('00ff7f80', 'hex'));
  });
});
