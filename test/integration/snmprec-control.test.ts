// The control API changing what replayed vendor recordings answer (issue 13's groundwork): a
// manager registers over SNMP, an alarm row comes and goes, and the configured notification
// reaches the manager; every refused request answers 4xx and changes nothing.
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { PDU2, SENSOR_STATE, SENSOR_TYPE } from '../../simulators/recordings/raritan-pdu2.js';
import { PRISCAN_SIM, SNMPV2 } from '../../src/profiles/oids.js';
import { PduType } from '../../src/snmp/message.js';
import { registerHidden, registerRfc3413 } from '../helpers/registration.js';
import { NotificationSink, openSession, trapOidOf } from '../helpers/snmp-client.js';

// This file's devices live on 127.0.195.1-4 (ephemeral ports); the manager listens on 127.0.195.200.
const EATON = '127.0.195.1';
const EATON_V1 = '127.0.195.2';
const RARITAN = '127.0.195.3';
const UPS = '127.0.195.4';
const MANAGER = '127.0.195.200';

let fleet: Fleet;
let app: FastifyInstance;
let sink: NotificationSink;
const sessions: Array<{ close: () => void }> = [];
const session = (address: string) => {
  const s = openSession(address, fleet.get(address)!.agent.port, 'private');
  sessions.push(s);
  return s;
};
const json = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) => app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const row = (id: number, alarm: string, time: number) => ({
  entry: XUPS.alarmEntry,
  index: String(id),
  columns: {
    [XUPS.alarmCol.id]: { type: 'Integer32', value: id },
    [XUPS.alarmCol.descr]: { type: 'ObjectIdentifier', value: alarm },
    [XUPS.alarmCol.time]: { type: 'TimeTicks', value: time },
  },
});

beforeAll(async () => {
  sink = new NotificationSink();
  await sink.start(MANAGER);
  fleet = new Fleet({
    devices: [
      { kind: 'snmprec', count: 2, recording: { file: 'eaton-xups', registration: 'rfc3413', notification: { trapOid: XUPS.traps.alarmEntryAdded } } },
      { kind: 'snmprec', count: 1, recording: { file: 'raritan-pdu2', registration: 'hidden-table' } },
      { kind: 'ups', count: 1 },
    ],
    baseAddress: EATON,
    port: 0,
  });
  await fleet.start();
  app = buildControlApp(fleet);
  await registerRfc3413(session(EATON), MANAGER, sink.port, 'xups-trap');
  await registerRfc3413(session(EATON_V1), MANAGER, sink.port, 'xups-v1', 'trap', 'v1');
  await registerHidden(session(RARITAN), MANAGER, sink.port, 'pdu-trap');
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
  sink.clear();
});

afterAll(async () => {
  await app?.close();
  await fleet?.stop();
  await sink?.stop();
});

describe('snmprec recordings changed through the control API', () => {
  it('shows what a recording replays, how managers register and what it sends', async () => {
    const res = await json('GET', `/devices/${EATON}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'snmprec',
      registrationMethod: 'rfc3413',
      managers: [{ address: MANAGER, port: sink.port, community: 'xups-trap', version: 'v2c', type: 'trap' }],
      recording: { source: expect.stringMatching(/simulators\/recordings\/eaton-xups\.snmprec$/), notification: { trapOid: XUPS.traps.alarmEntryAdded } },
    });
  });

  it('raises an XUPS alarm a manager then reads, announced with the alarm row as varbinds, and clears it', async () => {
    const raise = await json('POST', `/devices/${EATON}/changes`, {
      setRows: [row(1, XUPS.wellKnownAlarms.onBattery, 8_640_100)],
      set: [{ oid: XUPS.alarms, type: 'Gauge32', value: 1 }],
      notify: { trapOid: XUPS.traps.onBattery, objects: XUPS.trapObjects(1) },
    });
    expect(raise.statusCode).toBe(200);
    expect(raise.json()).toEqual({ changed: true, written: 4, removed: 0, notified: { trapOid: XUPS.traps.onBattery, managers: 1 } });
    const [trap] = await sink.waitFor(1, EATON);
    expect(trapOidOf(trap!.message)).toBe(XUPS.traps.onBattery);
    expect(trap!.message.pdu.varbinds.slice(2).map((vb) => [vb.oid, vb.value])).toEqual([
      [`${XUPS.alarmEntry}.1.1`, 1],
      [`${XUPS.alarmEntry}.2.1`, XUPS.wellKnownAlarms.onBattery],
    ]);
    const s = session(EATON);
    expect((await s.subtree(XUPS.alarmEntry)).map((vb) => [vb.oid, vb.value])).toEqual([
      [`${XUPS.alarmEntry}.1.1`, 1],
      [`${XUPS.alarmEntry}.2.1`, XUPS.wellKnownAlarms.onBattery],
      [`${XUPS.alarmEntry}.3.1`, 8_640_100],
    ]);
    expect((await s.get([XUPS.alarms]))[0]!.value).toBe(1);

    const clear = await json('POST', `/devices/${EATON}/changes`, {
      deleteRows: [{ entry: XUPS.alarmEntry, index: '1' }],
      set: [{ oid: XUPS.alarms, type: 'Gauge32', value: 0 }],
      notify: { trapOid: XUPS.traps.alarmEntryRemoved },
    });
    expect(clear.json()).toEqual({ changed: true, written: 1, removed: 3, notified: { trapOid: XUPS.traps.alarmEntryRemoved, managers: 1 } });
    const [, cleared] = await sink.waitFor(2, EATON);
    expect(trapOidOf(cleared!.message)).toBe(XUPS.traps.alarmEntryRemoved);
    expect(await s.subtree(XUPS.alarmEntry)).toEqual([]);
    expect((await s.get([XUPS.alarms]))[0]!.value).toBe(0);
  });

  it('sends the configured notification after a single change with ?notify=true', async () => {
    const res = await json('PUT', `/devices/${EATON}/values/${XUPS.battery.timeRemaining}?notify=true`, { type: 'Integer32', value: 300 });
    expect(res.json()).toEqual({ changed: true, written: 1, removed: 0, notified: { trapOid: XUPS.traps.alarmEntryAdded, managers: 1 } });
    const [trap] = await sink.waitFor(1, EATON);
    expect(trapOidOf(trap!.message)).toBe(XUPS.traps.alarmEntryAdded);
    expect((await session(EATON).get([XUPS.battery.timeRemaining]))[0]!.value).toBe(300);
    await json('PUT', `/devices/${EATON}/values/${XUPS.battery.timeRemaining}`, { type: 'Integer32', value: 1860 });
  });

  it('sends an XUPS trap to a v1 target as enterprise xupsTrapDefined, specific trap N (RFC 3584)', async () => {
    const res = await json('POST', `/devices/${EATON_V1}/notify`);
    expect(res.json()).toEqual({ trapOid: XUPS.traps.alarmEntryAdded, managers: 1 });
    const [trap] = await sink.waitFor(1, EATON_V1);
    expect(trap!.message.pdu).toMatchObject({ type: PduType.TrapV1, enterprise: '1.3.6.1.4.1.534.1.11.4.1', genericTrap: 6, specificTrap: 21, agentAddr: EATON_V1 });
  });

  it('lets a manager register on a recording through the hidden table and hears a PDU sensor state change', async () => {
    const state = `${PDU2.outletSensorMeasurementsEntry}.${PDU2.measurementCol.state}.1.7.${SENSOR_TYPE.rmsCurrent}`;
    const value = `${PDU2.outletSensorMeasurementsEntry}.${PDU2.measurementCol.value}.1.7.${SENSOR_TYPE.rmsCurrent}`;
    const res = await json('POST', `/devices/${RARITAN}/changes`, {
      set: [{ oid: value, type: 'Unsigned32', value: 9100 }, { oid: state, type: 'Integer32', value: SENSOR_STATE.aboveUpperWarning }],
      notify: { trapOid: PDU2.traps.outletSensorStateChange, objects: [value, state] },
    });
    expect(res.json()).toMatchObject({ notified: { managers: 1 } });
    const [trap] = await sink.waitFor(1, RARITAN);
    expect(trapOidOf(trap!.message)).toBe(PDU2.traps.outletSensorStateChange);
    expect(trap!.message.pdu.varbinds.slice(2).map((vb) => vb.value)).toEqual([9100, SENSOR_STATE.aboveUpperWarning]);
    expect((await session(RARITAN).get([state]))[0]!.value).toBe(SENSOR_STATE.aboveUpperWarning);
    expect(fleet.get(RARITAN)!.status().managers).toEqual([{ address: MANAGER, port: sink.port, community: 'pdu-trap', version: 'v2c', type: 'trap' }]);
  });

  it.each<[string, 'PUT' | 'POST' | 'DELETE', string, number, string, string, unknown]>([
    ['a bad OID', 'PUT', `/devices/${EATON}/values/1.3.6.x`, 400, 'INVALID_CHANGE', '"1.3.6.x" is not a valid OID', { type: 'Integer32', value: 1 }],
    ['an arc above 2^32-1', 'PUT', `/devices/${EATON}/values/1.3.6.1.4.1.4294967296.0`, 400, 'INVALID_CHANGE', 'OID arc above 2^32-1', { type: 'Integer32', value: 1 }],
    ['an unknown type', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}`, 400, 'INVALID_BODY', 'type must be one of Integer32', { type: 'Gauge', value: 1 }],
    ['a value out of range', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}`, 400, 'INVALID_CHANGE', '"-1" is not an integer in 0..4294967295', { type: 'Gauge32', value: -1 }],
    ['a value of the wrong kind', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}`, 400, 'INVALID_BODY', 'value', { type: 'Gauge32', value: [1] }],
    ['an unknown key', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}`, 400, 'INVALID_BODY', 'Unrecognized key', { type: 'Gauge32', value: 1, ttl: 5 }],
    ['no body', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}`, 400, 'INVALID_BODY', 'body must be', undefined],
    ['a bad notify flag', 'PUT', `/devices/${EATON}/values/${XUPS.alarms}?notify=yes`, 400, 'INVALID_BODY', 'query: notify', { type: 'Gauge32', value: 1 }],
    ['a value inside the registration table', 'PUT', `/devices/${EATON}/values/1.3.6.1.6.3.12.1.2.1.9.1`, 400, 'INVALID_CHANGE', 'the table the device\'s registration emulates', { type: 'Integer32', value: 1 }],
    ['a row without columns', 'PUT', `/devices/${EATON}/rows/${XUPS.alarmEntry}/5`, 400, 'INVALID_CHANGE', 'a row needs at least one column', { columns: {} }],
    ['a bad row index', 'DELETE', `/devices/${EATON}/rows/${XUPS.alarmEntry}/5.x`, 400, 'INVALID_CHANGE', 'is not a row index', undefined],
    ['an empty batch', 'POST', `/devices/${EATON}/changes`, 400, 'INVALID_CHANGE', 'no changes given', {}],
    ['a batch with a bad part', 'POST', `/devices/${EATON}/changes`, 400, 'INVALID_CHANGE', 'set[1]', { set: [{ oid: XUPS.alarms, type: 'Gauge32', value: 5 }, { oid: XUPS.output.load, type: 'Integer32', value: 'high' }] }],
    ['a batch whose notification is bad', 'POST', `/devices/${EATON}/changes`, 400, 'INVALID_CHANGE', 'trapOid: "xupstdOnBattery" is not a valid OID', { set: [{ oid: XUPS.alarms, type: 'Gauge32', value: 5 }], notify: { trapOid: 'xupstdOnBattery' } }],
    ['a notification object not served', 'POST', `/devices/${EATON}/notify`, 400, 'INVALID_CHANGE', 'is not served', { objects: [`${XUPS.alarmEntry}.1.99`] }],
    ['a notify without one configured', 'POST', `/devices/${RARITAN}/notify`, 409, 'NO_NOTIFICATION', 'has no notification configured', undefined],
    ['a change asking for a notification none configures', 'PUT', `/devices/${RARITAN}/values/${PDU2.sysObjectId}.5.5.3.1.4.1.1?notify=true`, 409, 'NO_NOTIFICATION', 'has no notification configured', { type: 'Integer32', value: 400 }],
    ['a device that is not a recording', 'PUT', `/devices/${UPS}/values/${SNMPV2.sysName}`, 409, 'NOT_A_RECORDING', 'ups device 127.0.195.4 is not a recording', { type: 'OctetString', value: 'x' }],
    ['an unknown device', 'POST', '/devices/127.0.195.99/notify', 404, 'DEVICE_NOT_FOUND', 'no simulated device at 127.0.195.99', {}],
    ['a body over 16 KiB', 'PUT', `/devices/${EATON}/values/${XUPS.ident.model}`, 413, 'INVALID_BODY', 'too large', { type: 'OctetString', value: 'x'.repeat(20_000) }],
  ])('refuses %s (%s %s) with %i %s and changes nothing', async (_name, method, url, status, code, message, payload) => {
    const recordings = () => fleet.devices.filter((d) => d.kind === 'snmprec').map((d) => d.mib.walk());
    const before = recordings();
    const res = await json(method, url, payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message).toContain(message);
    expect(recordings()).toEqual(before);
    expect(sink.received).toEqual([]);
  });

  it('leaves the simulated kinds\' own tables alone: the hidden registration table is still SET-only', async () => {
    const res = await json('PUT', `/devices/${RARITAN}/values/${PRISCAN_SIM.regEntry}.3.127.0.195.200.162`, { type: 'OctetString', value: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(`is in ${PRISCAN_SIM.regEntry}`);
  });
});
