import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../../src/app/daemon.js';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { encodeMessage, PduType, VarType } from '../../src/snmp/message.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.26.0/24.
const PORT = 16166;
const BASE = '127.0.26.1';
const KINDS = ['sim', 'ups', 'apc-ups', 'pdu', 'netbotz'] as const;

let t: TestDaemon;
let running: RunningDaemon;
let fleet: Fleet;
const ids = new Map<string, number>();
const api = (...args: Parameters<TestDaemon['api']>) => t.api(...args);
const metric = (name: string, labels: Record<string, string>) => t.metric(name, labels);

async function activeAlarms(): Promise<Array<{ device: string; code: string; severity: string }>> {
  return (await api('GET', '/api/v1/alarms')).body.alarms as Array<{ device: string; code: string; severity: string }>;
}

/** Sends a v2c trap that appears to come from `from` (a loopback address this host owns). */
async function sendTrap(from: string, community: string, count = 1): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, from, r));
  for (let i = 0; i < count; i++) {
    const message = encodeMessage({
      version: 1,
      community: Buffer.from(community),
      pdu: {
        type: PduType.TrapV2,
        requestId: i + 1,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          { oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 1 },
          { oid: '1.3.6.1.6.3.1.1.4.1.0', type: VarType.OID, value: PRISCAN_SIM.alertPresent },
        ],
      },
    });
    await new Promise<void>((r) => socket.send(message, running.intake.port, '127.0.0.1', () => r()));
  }
  socket.close();
}

beforeAll(async () => {
  t = await startTestDaemon();
  running = t.running;
  fleet = new Fleet({ devices: KINDS.map((kind) => ({ kind, count: 1 })), baseAddress: BASE, port: PORT, apcTrapPort: running.intake.port });
  await fleet.start();
  for (const device of fleet.devices) {
    const res = await api('POST', '/api/v1/devices', {
      name: `${device.kind}-1`,
      address: device.address,
      port: PORT,
      profile: 'auto',
      timeoutMs: 300,
      retries: 0,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
    ids.set(device.kind, res.body.id as number);
  }
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

const device = (kind: (typeof KINDS)[number]) => fleet.devices.find((d) => d.kind === kind)!;

describe('priscan daemon with a simulated fleet', () => {
  it('registers itself on every kind, with its own address, port and community', async () => {
    await until('every registration', () => running.store.devices.list().every((d) => d.state.registration === 'registered'));
    for (const kind of KINDS) {
      const managers = device(kind).status().managers;
      expect(managers, kind).toHaveLength(1);
      expect(managers[0]!.address).toBe('127.0.0.1');
      if (kind !== 'apc-ups' && kind !== 'pdu') expect(managers[0]!.port).toBe(running.intake.port);
    }
    const communities = new Set(KINDS.map((k) => device(k).status().managers[0]!.community));
    expect(communities.size).toBe(1);
    expect([...communities][0]).not.toMatch(/^(public|private)$/);
  });

  it.each([
    ['sim', 'onBattery', 'sim.2', 'critical'],
    ['ups', 'onBattery', 'ups.onBattery', 'warning'],
    ['apc-ups', 'onBattery', 'apc.onBattery', 'warning'],
    ['pdu', 'overload', 'pdu.phaseOverload', 'critical'],
    ['netbotz', 'tempHigh', 'netbotz.valueTooHigh', 'critical'],
  ] as const)('%s: %s shows in /api/v1/alarms with no periodic scan, and clears', async (kind, alarm, code, severity) => {
    await until('registration', () => running.store.devices.get(ids.get(kind)!)?.state.registration === 'registered');
    device(kind).raise(alarm);
    const raised = await until(`${code} active`, async () => (await activeAlarms()).find((a) => a.device === `${kind}-1` && a.code === code));
    expect(raised.severity).toBe(severity);
    device(kind).clear(alarm);
    await until(`${code} cleared`, async () => !(await activeAlarms()).some((a) => a.device === `${kind}-1` && a.code === code));
    expect(await metric('priscan_scans_total', { trigger: 'periodic' })).toBe(0);
  });

  it('records raise and clear in the event log with increasing ids', async () => {
    const { body } = await api('GET', '/api/v1/events?after=0&limit=1000');
    const events = body.events as Array<{ id: number; kind: string; code: string }>;
    expect(events.length).toBeGreaterThanOrEqual(10);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    const tail = await api('GET', `/api/v1/events?after=${events.at(-1)!.id}`);
    expect(tail.body.events).toEqual([]);
  });

  it('costs at most two scans for a burst of ten notifications, and misses nothing', async () => {
    const sim = device('sim');
    const before = await metric('priscan_scans_total', { trigger: 'trap' });
    const community = sim.status().managers[0]!.community!;
    sim.raise('fanFailure'); // one genuine alert-present from the device...
    await sendTrap(sim.address, community, 10); // ...and a burst of ten more from its address
    await until('fan failure stored', async () => (await activeAlarms()).some((a) => a.code === 'sim.16'));
    await until('queue drained', () => running.scheduler.queued + running.scheduler.running === 0);
    const scans = (await metric('priscan_scans_total', { trigger: 'trap' })) - before;
    expect(scans).toBeGreaterThanOrEqual(1);
    expect(scans).toBeLessThanOrEqual(2);
    sim.clear('fanFailure');
    await until('fan failure cleared', async () => !(await activeAlarms()).some((a) => a.code === 'sim.16'));
  });

  it('triggers nothing for an unknown source or a wrong community, and counts both', async () => {
    const before = await metric('priscan_scan_requests_total', {});
    const unknown = await metric('priscan_notifications_received_total', { result: 'unknown_source' });
    const bad = await metric('priscan_notifications_received_total', { result: 'bad_community' });
    await sendTrap('127.0.26.200', 'whatever', 3);
    await sendTrap(device('ups').address, 'not-the-community', 2);
    await until('both counted', async () => (await metric('priscan_notifications_received_total', { result: 'bad_community' })) === bad + 2);
    expect(await metric('priscan_notifications_received_total', { result: 'unknown_source' })).toBe(unknown + 3);
    expect(await metric('priscan_scan_requests_total', {})).toBe(before);
  });

  it('re-registers a rebooted device after its coldStart', async () => {
    const ups = device('ups');
    ups.reboot();
    expect(ups.status().managers).toEqual([]);
    // The rows land on the device before priscan counts the registration: wait for both.
    await until('registration restored', async () => ups.status().managers.length === 1 && (await metric('priscan_registration_attempts_total', { method: 'rfc3413', result: 'created' })) >= 2);
  });

  it('raises communication lost for a device that stops answering, and clears it when it answers', async () => {
    const pdu = device('pdu');
    const id = ids.get('pdu')!;
    pdu.setOnline(false);
    running.scheduler.requestScan(id, 'manual');
    const lost = await until('communication lost', async () => (await activeAlarms()).find((a) => a.device === 'pdu-1' && a.code === 'priscan.communicationLost'));
    expect(lost.severity).toBe('critical');
    expect(running.store.devices.get(id)!.state.reachable).toBe(false);
    pdu.setOnline(true);
    running.scheduler.requestScan(id, 'manual');
    await until('communication restored', async () => !(await activeAlarms()).some((a) => a.device === 'pdu-1'));
    expect(running.store.devices.get(id)!.state.reachable).toBe(true);
  });

  it('removes its registration when a device is deleted', async () => {
    const netbotz = device('netbotz');
    const res = await api('DELETE', `/api/v1/devices/${ids.get('netbotz')}`);
    expect(res.body).toMatchObject({ deleted: ids.get('netbotz'), deregistrationError: null });
    expect(netbotz.status().managers).toEqual([]);
    expect((await api('GET', '/api/v1/devices')).body.devices).toHaveLength(KINDS.length - 1);
  });

  it('never returns SNMP communities', async () => {
    const body = JSON.stringify((await api('GET', '/api/v1/devices')).body);
    expect(body).not.toMatch(/public|private/);
    expect(body).not.toContain(device('sim').status().managers[0]!.community);
  });
});
