// The control API sets a simulated device's reading by hand and releases it; bad names and values
// are refused with a stable code and change nothing. Checked on the wire with an SNMP GET.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { APC, UPS_MIB } from '../../src/profiles/oids.js';
import { openSession } from '../helpers/snmp-client.js';

// This file's devices are 127.0.226.1-3 (ephemeral ports).
const UPS = '127.0.226.1';
const APC_UPS = '127.0.226.2';
const EATON = '127.0.226.3';

let fleet: Fleet;
let control: FastifyInstance;

beforeAll(async () => {
  fleet = new Fleet({
    devices: [{ kind: 'ups', count: 1 }, { kind: 'apc-ups', count: 1 }, { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups' } }],
    baseAddress: UPS,
    port: 0,
  });
  await fleet.start();
  control = buildControlApp(fleet);
});

afterAll(async () => {
  await control?.close();
  await fleet?.stop();
});

async function snmpGet(address: string, oid: string): Promise<unknown> {
  const session = openSession(address, fleet.get(address)!.agent.port, 'public');
  try {
    return (await session.get([oid]))[0]?.value;
  } finally {
    session.close();
  }
}

const put = (id: string, name: string, payload: unknown) => control.inject({ method: 'PUT', url: `/devices/${id}/readings/${name}`, payload: payload as object });

describe('the control API\'s readings', () => {
  it('sets a reading, serves it over SNMP, shows it held, and releases it back to the simulated value', async () => {
    const res = await put(UPS, 'upsEstimatedMinutesRemaining', { value: 4 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ reading: { name: 'upsEstimatedMinutesRemaining', oid: UPS_MIB.upsEstimatedMinutesRemaining, value: 4, held: true } });
    expect(await snmpGet(UPS, UPS_MIB.upsEstimatedMinutesRemaining)).toBe(4);
    const status = (await control.inject({ method: 'GET', url: `/devices/${UPS}` })).json();
    expect(status.readings).toContainEqual({ name: 'upsEstimatedMinutesRemaining', oid: UPS_MIB.upsEstimatedMinutesRemaining, value: 4, held: true });

    const released = await control.inject({ method: 'DELETE', url: `/devices/${UPS}/readings/upsEstimatedMinutesRemaining` });
    expect(released.json()).toEqual({ changed: true, reading: { name: 'upsEstimatedMinutesRemaining', oid: UPS_MIB.upsEstimatedMinutesRemaining, value: 45, held: false } });
    expect(await snmpGet(UPS, UPS_MIB.upsEstimatedMinutesRemaining)).toBe(45);
  });

  it('serves a TimeTicks reading as TimeTicks', async () => {
    expect((await put(APC_UPS, 'upsAdvBatteryRunTimeRemaining', { value: 18_000 })).statusCode).toBe(200);
    expect(await snmpGet(APC_UPS, APC.upsAdvBatteryRunTimeRemaining)).toBe(18_000);
    await control.inject({ method: 'DELETE', url: `/devices/${APC_UPS}/readings/upsAdvBatteryRunTimeRemaining` });
  });

  it.each<[string, string, string, unknown, number, string, RegExp]>([
    ['an unknown reading', UPS, 'upsFrobnication', { value: 1 }, 400, 'UNKNOWN_READING', /has no reading "upsFrobnication"; it has: upsEstimatedMinutesRemaining/],
    ['a value out of range', UPS, 'upsEstimatedChargeRemaining', { value: 250 }, 400, 'INVALID_READING', /from 0 to 100/],
    ['a fraction', UPS, 'upsEstimatedChargeRemaining', { value: 12.5 }, 400, 'INVALID_READING', /whole number/],
    ['a value as text', UPS, 'upsEstimatedChargeRemaining', { value: '12' }, 400, 'INVALID_BODY', /body must be \{"value"/],
    ['an unknown key', UPS, 'upsEstimatedChargeRemaining', { value: 12, unit: 'percent' }, 400, 'INVALID_BODY', /body must be \{"value"/],
    ['no body', UPS, 'upsEstimatedChargeRemaining', undefined, 400, 'INVALID_BODY', /body must be \{"value"/],
    ['a recording', EATON, 'xupsBatTimeRemaining', { value: 300 }, 400, 'UNKNOWN_READING', /set its values instead/],
    ['an unknown device', '127.0.226.99', 'upsEstimatedChargeRemaining', { value: 12 }, 404, 'DEVICE_NOT_FOUND', /no simulated device/],
  ])('refuses %s with %i and changes nothing', async (_what, id, name, payload, status, code, message) => {
    const before = fleet.devices.map((d) => d.status().readings);
    const res = await put(id, name, payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message).toMatch(message);
    expect(fleet.devices.map((d) => d.status().readings)).toEqual(before);
  });

  it('refuses to release a reading a device does not have', async () => {
    const res = await control.inject({ method: 'DELETE', url: `/devices/${UPS}/readings/nothing` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('UNKNOWN_READING');
  });
});
