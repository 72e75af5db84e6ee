// priscan itself registering on a replayed vendor recording through a registration method a
// profile names (rfc3413, here via the net-snmp profile), and scanning it when the recording's
// notification arrives: what issue 13's vendor profiles will rely on.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices are 127.0.195.10-11 (ephemeral ports); priscan listens on 127.0.195.201.
const EATON = '127.0.195.10';
const AS_RECORDED = '127.0.195.11';
const MANAGER = '127.0.195.201';

let t: TestDaemon;
let fleet: Fleet;
let control: FastifyInstance;
let id = 0;

beforeAll(async () => {
  t = await startTestDaemon({ manager: { address: MANAGER }, notifications: { listen: { address: MANAGER, port: 0 } } });
  fleet = new Fleet({
    devices: [
      { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups', registration: 'rfc3413', notification: { trapOid: XUPS.traps.onBattery } } },
      { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups' } },
    ],
    baseAddress: EATON,
    port: 0,
  });
  await fleet.start();
  control = buildControlApp(fleet);
  id = await addDevice('eaton-1', EATON);
});

async function addDevice(name: string, address: string): Promise<number> {
  const res = await t.api('POST', '/api/v1/devices', {
    name,
    address,
    port: fleet.get(address)!.agent.port,
    profile: 'net-snmp',
    timeoutMs: 500,
    retries: 0,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

afterAll(async () => {
  await control?.close();
  await fleet?.stop();
  await t?.stop();
});

describe('priscan and a replayed Eaton recording', () => {
  it('registers through the emulated RFC 3413 rows and scans the device when its notification arrives', async () => {
    await until('registration', () => t.running.store.devices.get(id)?.state.registration === 'registered');
    const managers = fleet.get(EATON)!.status().managers;
    expect(managers).toHaveLength(1);
    expect(managers[0]).toMatchObject({ address: MANAGER, port: t.running.intake.port, version: 'v2c', type: 'trap' });

    const accepted = await t.metric('priscan_notifications_received_total', { result: 'accepted' });
    const scans = await t.metric('priscan_scans_total', { trigger: 'trap' });
    const res = await control.inject({
      method: 'POST',
      url: `/devices/${EATON}/changes`,
      payload: {
        setRows: [{ entry: XUPS.alarmEntry, index: '1', columns: { 1: { type: 'Integer32', value: 1 }, 2: { type: 'ObjectIdentifier', value: XUPS.wellKnownAlarms.onBattery } } }],
        set: [{ oid: XUPS.alarms, type: 'Gauge32', value: 1 }],
        notify: true,
      },
    });
    expect(res.json()).toMatchObject({ notified: { trapOid: XUPS.traps.onBattery, managers: 1 } });
    await until('a trap-triggered scan', async () => (await t.metric('priscan_scans_total', { trigger: 'trap' })) > scans);
    expect(await t.metric('priscan_notifications_received_total', { result: 'accepted' })).toBe(accepted + 1);
  });

  it('cannot register on a recording replayed as recorded (no registration table): the registration fails', async () => {
    const plain = await addDevice('eaton-2', AS_RECORDED);
    await until('registration refused', () => t.running.store.devices.get(plain)?.state.registration === 'failed');
    expect(fleet.get(AS_RECORDED)!.status().managers).toEqual([]);
  });
});
