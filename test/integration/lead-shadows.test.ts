// Lead and shadow devices end to end: APC rack PDUs daisy-chained behind one card (the simulator's
// pdu-chain kind) are one lead and its shadows. priscan registers on the lead only; a raise on a
// shadow is stored by the scan the lead's notification triggers, as for a device of its own; a
// silent card is one `communication lost`; a lead is not removed under its shadows; shadows count
// against the license; bad relations are refused and change nothing.
import dgram from 'node:dgram';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventContext } from '../../src/alarms/events.js';
import type { AlarmEvent } from '../../src/alarms/model.js';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { encodeMessage, PduType, VarType, type Pdu } from '../../src/snmp/message.js';
import type { RackPduDevice } from '../../simulators/devices/pdu.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { runTool, until } from '../helpers/tools.js';

// This file's devices live on 127.0.250.0/24.
const CLI = resolve(import.meta.dirname, '../../dist/src/cli/priscan.js');
const PORT = 16250;
const CHAIN_A = '127.0.250.1';
const CHAIN_B = '127.0.250.2';
const SOLO = '127.0.250.3';

let t: TestDaemon;
let fleet: Fleet;
const ids = { lead: 0, second: 0, third: 0, solo: 0, leadB: 0 };
const stored: Array<{ event: AlarmEvent; context: EventContext }> = [];

const api = (...args: Parameters<TestDaemon['api']>) => t.api(...args);
const sim = (address: string) => fleet.get(address) as RackPduDevice;
const snmp = { version: '2c', readCommunity: 'public', writeCommunity: 'private' };
// Generous for a loaded machine (a device that answers must never look lost here), short enough for the silent card's timeouts.
const fast = { timeoutMs: 1000, retries: 1 };

async function add(body: Record<string, unknown>): Promise<number> {
  const res = await api('POST', '/api/v1/devices', { profile: 'apc-rpdu', ...fast, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

const device = async (id: number) => (await api('GET', `/api/v1/devices/${id}`)).body as Record<string, unknown> & { state: Record<string, unknown> };
const activeAlarms = async () => (await api('GET', '/api/v1/alarms')).body.alarms as Array<{ device: string; deviceId: number; code: string; description: string }>;
const scans = (trigger: string) => t.metric('priscan_scans_total', { trigger });
const drained = () => until('queue drained', () => t.running.scheduler.queued + t.running.scheduler.running === 0, 15_000);

/** Sends `count` v2c notifications that appear to come from `from` (a loopback address this host owns). */
async function sendTraps(from: string, community: string, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, from, r));
  for (let i = 0; i < count; i++) {
    const pdu: Pdu = { type: PduType.TrapV2, requestId: i + 1, errorStatus: 0, errorIndex: 0, varbinds: [
      { oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 1 },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: VarType.OID, value: PRISCAN_SIM.alertPresent },
    ] };
    await new Promise<void>((r) => socket.send(encodeMessage({ version: 1, community: Buffer.from(community), pdu }), t.running.intake.port, '127.0.0.1', () => r()));
  }
  socket.close();
}

beforeAll(async () => {
  t = await startTestDaemon();
  t.running.bus.subscribe((events, context) => {
    for (const event of events) stored.push({ event, context });
  });
  fleet = new Fleet({
    devices: [{ kind: 'pdu-chain', count: 2, units: 3 }, { kind: 'pdu', count: 1 }],
    baseAddress: CHAIN_A,
    port: PORT,
    apcTrapPort: t.running.intake.port,
  });
  await fleet.start();
  ids.lead = await add({ name: 'pdu-a1', address: CHAIN_A, port: PORT, snmp, chainPosition: 1 });
  ids.second = await add({ name: 'pdu-a2', lead: 'pdu-a1', chainPosition: 2 });
  ids.third = await add({ name: 'pdu-a3', lead: ids.lead, chainPosition: 3 });
  ids.solo = await add({ name: 'solo', address: SOLO, port: PORT, snmp });
  await untilRegistered(t, ids.lead);
  await untilRegistered(t, ids.solo);
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('lead and shadow devices', () => {
  it('registers on the lead only, and shows each shadow its lead, position, address and registration', async () => {
    expect(sim(CHAIN_A).status().managers).toHaveLength(1);
    const lead = await device(ids.lead);
    expect(lead).toMatchObject({ lead: null, shadows: [ids.second, ids.third], chainPosition: 1, priorityScanning: true });
    const second = await device(ids.second);
    expect(second).toMatchObject({ lead: ids.lead, shadows: [], chainPosition: 2, address: CHAIN_A, port: PORT, priorityScanning: false, snmp: { version: '2c' } });
    // Its registration is the lead's: priscan registers there for the whole chain.
    expect(second.state).toMatchObject({ registration: 'registered', unreachableThroughLead: false });
    expect(t.running.store.devices.get(ids.second)!.state.registration).toBe('pending');
    expect(await t.metric('priscan_device_registered', { device: 'pdu-a2' })).toBe(1);
    // The address is the lead's: its notifications are.
    expect(t.running.store.devices.getByAddress(CHAIN_A)?.id).toBe(ids.lead);
  });

  it('stores a raise on a shadow by the scan the lead\'s notification triggers, as a device of its own is, with no periodic scan', async () => {
    stored.length = 0;
    sim(CHAIN_A).raise('unit2.overload');
    sim(SOLO).raise('overload');
    const raisedOn = (id: number) => stored.find(({ event }) => event.kind === 'raise' && event.deviceId === id);
    const shadow = await until('the shadow\'s raise stored', () => raisedOn(ids.second));
    const solo = await until('the stand-alone raise stored', () => raisedOn(ids.solo));
    for (const { event, context } of [shadow, solo]) {
      expect(event).toMatchObject({ code: 'pdu.phaseOverload', description: 'Phase 1 overloaded' });
      // Both answer the device's notification, from its arrival: the same path and the same latency.
      expect(context.trigger).toBe('trap');
      expect(context.storedAt).toBeGreaterThanOrEqual(context.requestedAt);
    }
    await drained();
    // Only the unit that changed has the alarm; the lead and the third unit read their own rows.
    expect((await activeAlarms()).map((a) => a.deviceId).sort()).toEqual([ids.second, ids.solo].sort());
    expect(await scans('periodic')).toBe(0);
    sim(CHAIN_A).clear('unit2.overload');
    sim(SOLO).clear('overload');
    await until('both cleared', async () => (await activeAlarms()).length === 0);
  });

  it('costs each device of the chain at most two scans for a burst of notifications at the lead', async () => {
    await drained();
    const counted = new Map<number, number>();
    const scheduler = t.running.scheduler as unknown as { deps: { scan: (id: number, request: unknown) => Promise<unknown> } };
    const scan = scheduler.deps.scan;
    scheduler.deps.scan = (id, request) => {
      counted.set(id, (counted.get(id) ?? 0) + 1);
      return scan(id, request);
    };
    try {
      const community = sim(CHAIN_A).status().managers[0]!.community!;
      await sendTraps(CHAIN_A, community, 20);
      await until('every unit scanned', () => [ids.lead, ids.second, ids.third].every((id) => counted.has(id)));
      await drained();
    } finally {
      scheduler.deps.scan = scan;
    }
    for (const id of [ids.lead, ids.second, ids.third]) expect(counted.get(id), `scans of device ${id}`).toBeLessThanOrEqual(2);
    expect(counted.has(ids.solo)).toBe(false);
  });

  it('gives a silent card one communication lost (the lead\'s), its shadows unreachable through it, and recovers all of them', async () => {
    sim(CHAIN_A).setOnline(false);
    t.running.scheduler.requestScan(ids.lead, 'trap');
    await until('communication lost', async () => (await activeAlarms()).some((a) => a.code === 'priscan.communicationLost'), 15_000);
    await drained();
    expect((await activeAlarms()).map((a) => [a.deviceId, a.code])).toEqual([[ids.lead, 'priscan.communicationLost']]);
    for (const id of [ids.second, ids.third]) {
      expect((await device(id)).state).toMatchObject({ reachable: false, unreachableThroughLead: true, lastError: expect.stringMatching(/^unreachable through its lead pdu-a1: /) });
    }
    expect((await device(ids.lead)).state).toMatchObject({ reachable: false, unreachableThroughLead: false });
    // Down is down, for the list too; but one alarm pages, not three.
    const down = (await api('GET', '/api/v1/devices?status=down')).body.devices as Array<{ id: number }>;
    expect(down.map((d) => d.id).sort()).toEqual([ids.lead, ids.second, ids.third].sort());
    expect(await t.metric('priscan_alarm_active', { code: 'priscan.communicationLost' })).toBe(1);

    sim(CHAIN_A).setOnline(true);
    t.running.scheduler.requestScan(ids.lead, 'manual');
    await until('the chain back', async () => (await Promise.all([ids.lead, ids.second, ids.third].map(device))).every((d) => d.state.reachable === true), 15_000);
    expect(await activeAlarms()).toEqual([]);
    expect((await device(ids.second)).state).toMatchObject({ unreachableThroughLead: false, lastError: null });
  });

  it('refuses to remove a lead under its shadows, saying what to do, and removes it once they are gone or moved', async () => {
    const refused = await api('DELETE', `/api/v1/devices/${ids.lead}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'DEVICE_HAS_SHADOWS',
      message: `device pdu-a1 is the lead of pdu-a2 (id ${ids.second}), pdu-a3 (id ${ids.third}): remove them first, or give each another lead (PATCH /api/v1/devices/ID with {"lead": …}, or {"lead": null} and an address of its own)`,
    });
    expect(t.running.store.devices.get(ids.lead)).toBeDefined();
    expect(sim(CHAIN_A).status().managers).toHaveLength(1);

    // A second card: pdu-a3 moves behind it (a PDU recabled into another chain), with its address.
    ids.leadB = await add({ name: 'pdu-b1', address: CHAIN_B, port: PORT, snmp, chainPosition: 1 });
    await untilRegistered(t, ids.leadB);
    const moved = await api('PATCH', `/api/v1/devices/${ids.third}`, { lead: 'pdu-b1' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ lead: ids.leadB, address: CHAIN_B, chainPosition: 3 });
    expect((await device(ids.leadB)).shadows).toEqual([ids.third]);
    sim(CHAIN_B).raise('unit3.phase2Overload');
    await until('the moved shadow\'s raise', async () => (await activeAlarms()).some((a) => a.deviceId === ids.third && a.description === 'Phase 2 overloaded'));
    sim(CHAIN_B).clear('unit3.phase2Overload');

    // Removing a shadow leaves the card's registration alone: it is the lead's.
    expect((await api('DELETE', `/api/v1/devices/${ids.second}`)).status).toBe(200);
    expect(sim(CHAIN_A).status().managers).toHaveLength(1);
    const removed = await api('DELETE', `/api/v1/devices/${ids.lead}`);
    expect(removed.body).toEqual({ deleted: ids.lead, deregistrationError: null });
    expect(sim(CHAIN_A).status().managers).toEqual([]);
  });

  it('refuses bad relations clearly and changes nothing', async () => {
    const before = JSON.stringify(t.running.store.devices.list().map(({ state: _state, ...rest }) => rest));
    const cases: Array<[string, 'POST' | 'PATCH', string, Record<string, unknown>, number, string, RegExp]> = [
      ['a shadow of a shadow', 'POST', '/api/v1/devices', { name: 'x1', lead: ids.third, chainPosition: 2 }, 400, 'DEVICE_LEAD_INVALID', /pdu-a3 is itself a shadow .*leads are one level deep/],
      ['a lead at another address', 'POST', '/api/v1/devices', { name: 'x2', lead: 'pdu-b1', chainPosition: 2, address: SOLO }, 400, 'DEVICE_LEAD_INVALID', /pdu-b1 is at 127\.0\.250\.2 port 16250, not 127\.0\.250\.3 port 16250/],
      ['a shadow that registers itself', 'POST', '/api/v1/devices', { name: 'x3', lead: 'pdu-b1', chainPosition: 2, priorityScanning: true }, 400, 'VALIDATION_FAILED', /body\.priorityScanning: a shadow does not register itself/],
      ['a shadow with credentials of its own', 'POST', '/api/v1/devices', { name: 'x4', lead: 'pdu-b1', chainPosition: 2, snmp }, 400, 'VALIDATION_FAILED', /body\.snmp: a shadow is reached with its lead's credentials/],
      ['a shadow without a place', 'POST', '/api/v1/devices', { name: 'x5', lead: 'pdu-b1' }, 400, 'VALIDATION_FAILED', /body\.chainPosition: a shadow needs its chainPosition/],
      ['a lead that does not exist', 'POST', '/api/v1/devices', { name: 'x6', lead: 'nowhere', chainPosition: 2 }, 400, 'DEVICE_LEAD_INVALID', /^lead: no device named nowhere$/],
      ['a place taken', 'POST', '/api/v1/devices', { name: 'x7', lead: 'pdu-b1', chainPosition: 3 }, 409, 'DEVICE_EXISTS', /chainPosition 3 at 127\.0\.250\.2 already exists/],
      ['a cycle of leads', 'PATCH', `/api/v1/devices/${ids.leadB}`, { lead: ids.third }, 400, 'DEVICE_LEAD_INVALID', /pdu-a3 is itself a shadow/],
      ['a lead made a shadow', 'PATCH', `/api/v1/devices/${ids.leadB}`, { lead: 'solo' }, 400, 'DEVICE_LEAD_INVALID', /pdu-b1 is the lead of a shadow: a lead cannot become a shadow/],
      ['its own lead', 'PATCH', `/api/v1/devices/${ids.solo}`, { lead: ids.solo, chainPosition: 1 }, 400, 'DEVICE_LEAD_INVALID', /solo cannot be its own lead/],
      ['a shadow made its own at its lead\'s address', 'PATCH', `/api/v1/devices/${ids.third}`, { lead: null }, 409, 'DEVICE_EXISTS', /address "127\.0\.250\.2" already exists/],
      ['a shadow moved off its lead\'s address', 'PATCH', `/api/v1/devices/${ids.third}`, { address: SOLO }, 400, 'DEVICE_LEAD_INVALID', /a shadow is reached at its lead's address/],
      ['a shadow\'s credentials', 'PATCH', `/api/v1/devices/${ids.third}`, { snmp: { readCommunity: 'other' } }, 400, 'VALIDATION_FAILED', /change them on the lead/],
    ];
    for (const [what, method, url, body, status, code, message] of cases) {
      const res = await api(method, url, body);
      expect(res.status, what).toBe(status);
      expect((res.body.error as { code: string }).code, what).toBe(code);
      expect((res.body.error as { message: string }).message, what).toMatch(message);
    }
    expect(JSON.stringify(t.running.store.devices.list().map(({ state: _state, ...rest }) => rest))).toBe(before);
  });

  it('adds, lists and keeps a shadow from the command line', async () => {
    const cli = (args: string[]) => runTool(process.execPath, [CLI, 'devices', ...args], { env: { PATH: process.env.PATH, PRISCAN_URL: t.running.httpUrl, PRISCAN_TOKEN: t.adminToken } });
    const added = await cli(['add', '--name', 'pdu-b2', '--lead', 'pdu-b1', '--chain-position', '2', '--profile', 'apc-rpdu']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^added device \\d+ pdu-b2 \\(127\\.0\\.250\\.2, a shadow of device ${ids.leadB} at position 2\\); registration registered`));
    expect((await cli(['list'])).stdout).toMatch(/pdu-b2\s+127\.0\.250\.2:16250\s+apc-rpdu\s+\S+\s+registered\s.*pdu-b1 #2\n/);
    const refused = await cli(['remove', 'pdu-b1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^priscan: device pdu-b1 is the lead of pdu-a3 \(id \d+\), pdu-b2 \(id \d+\): remove them first/);
    expect(t.running.store.devices.getByName('pdu-b1')).toBeDefined();
  });

  it('counts shadows against the license like any device', async () => {
    const usage = async () => (await api('GET', '/api/v1/licenses/usage')).body as { licensed: number; used: number };
    // pdu-b1, its shadows pdu-a3 and pdu-b2, and solo; the daemon includes 5 nodes.
    expect(await usage()).toMatchObject({ licensed: 5, used: 4 });
    await add({ name: 'solo-2', lead: 'solo', chainPosition: 2 });
    expect(await usage()).toMatchObject({ used: 5 });
    const refused = await api('POST', '/api/v1/devices', { name: 'pdu-b4', lead: 'pdu-b1', chainPosition: 4, profile: 'apc-rpdu' });
    expect(refused.status).toBe(402);
    expect((refused.body.error as { code: string }).code).toBe('LICENSE_NODE_LIMIT');
    expect(t.running.store.devices.getByName('pdu-b4')).toBeUndefined();
  });
});
