// SNMPv3 end to end: priscan against simulated v3 devices of every kind. It identifies, registers
// and scans them over v3 (authPriv), the UPS's RFC 3413 rows get v3 params and its traps come as
// v3, the others send v3 for their community-only registrations; a raise is stored with no
// periodic scan. A stranger using the device's own keys, a trap replayed with an old clock, and
// wrong keys change nothing.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { PduType, VarType } from '../../src/snmp/message.js';
import { KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { encodeV3 } from '../../src/snmp/v3.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.163.0/24.
const PORT = 17303;
const STRANGER = '127.0.163.200';
const USER: UsmUser = { name: 'priscan-ops', level: 'authPriv', authProtocol: 'sha256', authPassword: 'v3-auth-passw0rd', privProtocol: 'aes256', privPassword: 'v3-priv-passw0rd' };
const KINDS = ['sim', 'ups', 'apc-ups', 'netbotz', 'pdu'] as const;
const RAISE: Record<(typeof KINDS)[number], string> = { sim: 'onBattery', ups: 'onBattery', 'apc-ups': 'onBattery', netbotz: 'doorOpen', pdu: 'overload' };

let t: TestDaemon;
let fleet: Fleet;
const keys = new KeyCache();

const device = (kind: (typeof KINDS)[number]) => fleet.devices[KINDS.indexOf(kind)]!;
const stored = (name: string) => t.running.store.devices.getByName(name)!;
const codes = (name: string) => t.running.store.alarms.active({ deviceId: stored(name).id }).map((a) => a.code);
const idle = () => until('queue idle', () => t.running.scheduler.queued + t.running.scheduler.running === 0, 10_000);
const v3Results = (result: string) => t.metric('priscan_notifications_received_total', { version: 'v3', result });

/** A v3 trap as the UPS would send it, from its engine at a chosen clock. */
function upsTrap(engineId: Buffer, clock: { boots: number; time: number }, user = USER): Buffer {
  return encodeV3({
    msgId: 4242,
    reportable: false,
    level: 'authPriv',
    userName: user.name,
    keys: keys.localize(user, engineId),
    engineId,
    clock,
    contextEngineId: engineId,
    pdu: {
      type: PduType.TrapV2,
      requestId: 77,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 1 },
        { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: '1.3.6.1.2.1.33.2.3' },
      ],
    },
  });
}

async function sendFrom(address: string, datagram: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, address, r));
  await new Promise<void>((r) => socket.send(datagram, t.running.intake.port, '127.0.0.1', () => r()));
  socket.close();
}

beforeAll(async () => {
  t = await startTestDaemon();
  fleet = new Fleet({
    devices: KINDS.map((kind) => ({ kind, count: 1 })),
    baseAddress: '127.0.163.1',
    port: PORT,
    v3User: USER,
    notifications: 'v3',
    apcTrapPort: t.running.intake.port,
  });
  await fleet.start();
  const { version: _v, ...credentials } = { version: '3', user: USER.name, level: USER.level, authProtocol: USER.authProtocol, authPassword: USER.authPassword, privProtocol: USER.privProtocol, privPassword: USER.privPassword };
  for (const [i, kind] of KINDS.entries()) {
    const res = await t.api('POST', '/api/v1/devices', { name: kind, address: fleet.devices[i]!.address, port: PORT, timeoutMs: 1000, retries: 1, snmp: { version: '3', ...credentials } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  await until('every device registered over v3', () => KINDS.every((k) => stored(k).state.registration === 'registered'), 20_000);
  await idle();
}, 40_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('priscan with SNMPv3 devices', () => {
  it('identified every kind over v3 and registered on it; the UPS holds v3 params naming the user', () => {
    expect(KINDS.map((k) => stored(k).resolvedProfile)).toEqual(['priscan-sim', 'rfc1628-ups', 'apc-ups', 'netbotz', 'apc-rpdu']);
    for (const kind of KINDS) expect(device(kind).status().managers, kind).toHaveLength(1);
    expect(device('ups').status().managers[0]).toMatchObject({ version: 'v3', securityName: USER.name, securityLevel: 'authPriv' });
    expect(KINDS.every((k) => stored(k).state.reachable)).toBe(true);
  });

  it.each(KINDS)('%s: a raise arrives as a v3 notification and its scan stores the alarm', async (kind) => {
    const before = codes(kind);
    const accepted = await v3Results('accepted');
    device(kind).raise(RAISE[kind]);
    await until(`${RAISE[kind]} stored`, () => codes(kind).some((c) => !before.includes(c)), 10_000);
    expect(await v3Results('accepted')).toBeGreaterThan(accepted);
    expect(await t.metric('priscan_scans_total', { trigger: 'periodic' })).toBe(0);
    device(kind).clear(RAISE[kind]);
    await until(`${RAISE[kind]} cleared`, () => codes(kind).length === before.length, 10_000);
  });

  it('ignores the device\'s own keys from a stranger, a replayed old clock and wrong keys', async () => {
    await idle();
    const engineId = Buffer.from(device('ups').status().v3!.engineId, 'hex');
    const requests = await t.metric('priscan_scan_requests_total');
    const before = { stranger: await v3Results('unknown_source'), stale: await v3Results('not_in_time_window'), bad: await v3Results('bad_auth') };
    const { v3 } = device('ups').status();
    await sendFrom(STRANGER, upsTrap(engineId, { boots: v3!.engineBoots, time: v3!.engineTime }));
    // The device's own traps taught priscan its clock: one from before its last boot is a replay.
    await sendFrom(device('ups').address, upsTrap(engineId, { boots: v3!.engineBoots - 1, time: 10 }));
    await sendFrom(device('ups').address, upsTrap(engineId, { boots: v3!.engineBoots, time: v3!.engineTime }, { ...USER, authPassword: 'guessed-passw0rd' }));
    await until('all three counted', async () =>
      (await v3Results('unknown_source')) > before.stranger && (await v3Results('not_in_time_window')) > before.stale && (await v3Results('bad_auth')) > before.bad, 10_000);
    expect(await t.metric('priscan_scan_requests_total')).toBe(requests);
  });
});
