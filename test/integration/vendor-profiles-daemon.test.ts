// The vendor profiles shipped as files, end to end: priscan monitors the bundled Eaton and Raritan
// recordings replayed by priscan-sim, through the daemon. Neither card has a registration table,
// so the profiles say `registration: none` and the device is added with priorityScanning off; the
// test points each card's trap receiver at priscan "by hand", as an operator does in the card's web
// page (here: RFC 3413 rows the simulator emulates beside the recording, written with snmpset-like
// SETs that priscan never makes). Then a change on the card and its notification make priscan scan:
// an alarm raised and cleared, readings read, a threshold violation raised and cleared.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import type { SnmprecDevice } from '../../simulators/devices/snmprec-device.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { PDU2, SENSOR_STATE, SENSOR_TYPE } from '../../simulators/recordings/raritan-pdu2.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { scanDevice, specOf } from '../../src/scanning/evaluate.js';
import type { SnmpRequestObserver } from '../../src/snmp/client.js';
import { NetSnmpClient } from '../../src/snmp/net-snmp-client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { builtinProfile } from '../helpers/profiles.js';
import { registerRfc3413 } from '../helpers/registration.js';
import { openSession } from '../helpers/snmp-client.js';
import { until } from '../helpers/tools.js';

// This file's devices are 127.0.225.10-11 (ephemeral ports); priscan listens on 127.0.225.201.
const EATON = '127.0.225.10';
const RARITAN = '127.0.225.11';
const MANAGER = '127.0.225.201';
/** The community priscan expects on notifications, typed into each card's receiver by hand. */
const COMMUNITY = 'by-hand-225';

let t: TestDaemon;
let fleet: Fleet;
let control: FastifyInstance;
const ids: Record<string, number> = {};

const eaton = () => fleet.get(EATON) as SnmprecDevice;
const raritan = () => fleet.get(RARITAN) as SnmprecDevice;
const active = (address: string) => t.running.store.alarms.activeForDevice(ids[address]!);
const activeCodes = (address: string) => active(address).map((a) => a.code).sort();

beforeAll(async () => {
  t = await startTestDaemon({ manager: { address: MANAGER }, notifications: { listen: { address: MANAGER, port: 0 }, community: COMMUNITY } });
  fleet = new Fleet({
    devices: [
      // The emulated RFC 3413 rows stand in for the card's web page: somewhere a receiver can be set.
      { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups', registration: 'rfc3413', notification: { trapOid: XUPS.traps.onBattery, objects: XUPS.trapObjects(1) } } },
      { kind: 'snmprec', count: 1, recording: { file: 'raritan-pdu2', registration: 'rfc3413', notification: { trapOid: PDU2.traps.externalSensorStateChange } } },
    ],
    baseAddress: EATON,
    port: 0,
  });
  await fleet.start();
  control = buildControlApp(fleet);
  // Eaton cards send SNMPv1 traps (xupsSendTrapType: "types (1) through (4) are all SNMP version 1 trap PDUs").
  await setReceiverByHand(EATON, 'v1');
  await setReceiverByHand(RARITAN, 'v2c');
  ids[EATON] = await addDevice('ups-eaton', EATON, 'eaton-xups');
  ids[RARITAN] = await addDevice('pdu-raritan', RARITAN, 'auto');
});

afterAll(async () => {
  await control?.close();
  await fleet?.stop();
  await t?.stop();
});

async function setReceiverByHand(address: string, mp: 'v1' | 'v2c'): Promise<void> {
  const session = openSession(address, fleet.get(address)!.agent.port, 'private');
  try {
    await registerRfc3413(session, MANAGER, t.running.intake.port, COMMUNITY, 'trap', mp);
  } finally {
    session.close();
  }
}

async function addDevice(name: string, address: string, profile: string): Promise<number> {
  const res = await t.api('POST', '/api/v1/devices', {
    name,
    address,
    port: fleet.get(address)!.agent.port,
    profile,
    priorityScanning: false,
    timeoutMs: 1000,
    retries: 0,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

const trapScans = () => t.metric('priscan_scans_total', { trigger: 'trap' });

/** A client as priscan's scanner has, counting the requests a scan sends. */
function wireClient(address: string) {
  const counts = { get: 0, getnext: 0, getbulk: 0, set: 0 };
  const observer: SnmpRequestObserver = { request: (kind) => counts[kind]++, timeout: () => undefined, retry: () => undefined };
  const client = new NetSnmpClient({ address, port: fleet.get(address)!.agent.port, version: '2c', community: 'public', timeoutMs: 1000, retries: 0 }, observer);
  return { client, counts };
}

describe('priscan and a replayed Eaton UPS (eaton-xups, registration none)', () => {
  it('does not register, and the card notifies the receiver set by hand', async () => {
    await until('the device tracked', () => t.running.store.devices.get(ids[EATON]!));
    expect(t.running.store.devices.get(ids[EATON]!)?.state.registration).not.toBe('registered');
    expect(eaton().status().managers).toEqual([{ address: MANAGER, port: t.running.intake.port, community: COMMUNITY, version: 'v1', type: 'trap' }]);
  });

  it('marks the registration manual when priority scanning is asked of a card priscan cannot register on', async () => {
    const patched = await t.api('PATCH', `/api/v1/devices/${ids[EATON]!}`, { priorityScanning: true });
    expect(patched.status).toBe(200);
    await until('the registration marked manual', () => t.running.store.devices.get(ids[EATON]!)?.state.registration === 'manual');
    expect(t.running.store.devices.get(ids[EATON]!)?.state.registrationError).toBeNull();
    await t.api('PATCH', `/api/v1/devices/${ids[EATON]!}`, { priorityScanning: false });
  });

  it('raises the alarm an xupsAlarmTable row holds when the card\'s v1 trap arrives, and clears it when the row goes', async () => {
    const scans = await trapScans();
    eaton().setRow(XUPS.alarmEntry, '1', {
      [XUPS.alarmCol.id]: { type: 'Integer32', value: 1 },
      [XUPS.alarmCol.descr]: { type: 'ObjectIdentifier', value: XUPS.wellKnownAlarms.onBattery },
      [XUPS.alarmCol.time]: { type: 'TimeTicks', value: 8_640_100 },
    });
    eaton().setValue(XUPS.alarms, { type: 'Gauge32', value: 1 });
    // On battery the runtime estimate drops, still above the default thresholds.
    eaton().setValue(XUPS.battery.timeRemaining, { type: 'Integer32', value: 1500 });
    expect(eaton().sendAlertPresent()).toEqual({ trapOid: XUPS.traps.onBattery, managers: 1 });
    const [alarm] = await until('eaton.onBattery stored', () => (active(EATON).some((a) => a.code === 'eaton.onBattery') ? active(EATON) : undefined));
    expect(alarm).toMatchObject({ key: 'xupsAlarmTable:1:eaton.onBattery', severity: 'warning', description: 'UPS on battery' });
    expect(activeCodes(EATON)).toEqual(['eaton.onBattery']);
    expect(await trapScans()).toBeGreaterThan(scans);

    eaton().deleteRow(XUPS.alarmEntry, '1');
    eaton().setValue(XUPS.alarms, { type: 'Gauge32', value: 0 });
    eaton().setValue(XUPS.battery.timeRemaining, { type: 'Integer32', value: 1860 });
    eaton().sendAlertPresent({ trapOid: XUPS.traps.utilityPowerRestored, objects: [] });
    await until('eaton.onBattery cleared', () => active(EATON).length === 0);
  });

  it('ignores a notification outside scanOn (authenticationFailure): counted, no scan', async () => {
    const ignored = await t.metric('priscan_notifications_received_total', { result: 'ignored' });
    const scans = await trapScans();
    eaton().sendAlertPresent({ trapOid: `${SNMPV2.snmpTraps}.5`, objects: [] });
    await until('the notification counted as ignored', async () => (await t.metric('priscan_notifications_received_total', { result: 'ignored' })) > ignored);
    expect(await trapScans()).toBe(scans);
  });

  it('raises a threshold violation from the profile\'s defaults when the runtime drops, found by the scan the heartbeat trap triggers', async () => {
    eaton().setValue(XUPS.battery.timeRemaining, { type: 'Integer32', value: 240 });
    eaton().sendAlertPresent({ trapOid: XUPS.traps.heartbeat, objects: [] });
    const [violation] = await until('the violation stored', () => (active(EATON).length > 0 ? active(EATON) : undefined));
    expect(violation).toMatchObject({
      code: 'threshold.batteryRuntime.below',
      severity: 'critical',
      description: 'Battery runtime remaining is 240 s, below the critical threshold of 300 s',
    });
    expect(activeCodes(EATON)).toEqual(['threshold.batteryRuntime.below']);

    eaton().setValue(XUPS.battery.timeRemaining, { type: 'Integer32', value: 1860 });
    eaton().sendAlertPresent({ trapOid: XUPS.traps.heartbeat, objects: [] });
    await until('the violation cleared', () => active(EATON).length === 0);
  });

  it('reads every reading of the profile over the wire in one GET and the GETBULKs of one walk', async () => {
    const { client, counts } = wireClient(EATON);
    try {
      const { alarms, readings } = await scanDevice(specOf(builtinProfile('eaton-xups')), client);
      expect(alarms).toEqual([]);
      expect(readings.filter((r) => r.reading === 'outputPower').map((r) => [r.label, r.value])).toEqual([['L1', 6000], ['L2', 6200], ['L3', 5900]]);
      expect(readings.find((r) => r.reading === 'batteryRuntime')?.value).toBe(1860);
      expect(new Set(readings.map((r) => r.reading)).size).toBe(builtinProfile('eaton-xups').readings.length);
      expect(counts).toMatchObject({ get: 1, getnext: 0, set: 0 });
      expect(counts.getbulk).toBeGreaterThan(0);
      expect(counts.getbulk).toBeLessThanOrEqual(2);
    } finally {
      client.close();
    }
  });
});

const outletState = (outlet: number) => `${PDU2.outletSensorMeasurementsEntry}.${PDU2.measurementCol.state}.1.${outlet}.${SENSOR_TYPE.rmsCurrent}`;
const outletValue = (outlet: number) => `${PDU2.outletSensorMeasurementsEntry}.${PDU2.measurementCol.value}.1.${outlet}.${SENSOR_TYPE.rmsCurrent}`;
const externalState = (id: number) => `${PDU2.externalSensorMeasurementsEntry}.${PDU2.measurementCol.state}.1.${id}`;
const externalValue = (id: number) => `${PDU2.externalSensorMeasurementsEntry}.${PDU2.measurementCol.value}.1.${id}`;

async function changeRaritan(set: Array<{ oid: string; type: string; value: number }>, trapOid: string): Promise<void> {
  const res = await control.inject({ method: 'POST', url: `/devices/${RARITAN}/changes`, payload: { set, notify: { trapOid, objects: set.map((s) => s.oid) } } });
  expect(res.json()).toMatchObject({ notified: { trapOid, managers: 1 } });
}

describe('priscan and a replayed Raritan PDU (raritan-pdu2, auto, registration none)', () => {
  it('raises an outlet\'s threshold state when its notification arrives, naming the outlet from the configuration table, and clears it', async () => {
    await changeRaritan([{ oid: outletValue(7), type: 'Unsigned32', value: 9100 }, { oid: outletState(7), type: 'Integer32', value: SENSOR_STATE.aboveUpperWarning }], PDU2.traps.outletSensorStateChange);
    const [alarm] = await until('the outlet alarm stored', () => (active(RARITAN).length > 0 ? active(RARITAN) : undefined));
    expect(alarm).toMatchObject({
      key: 'outletCurrentState:1.7.1:raritan.outletCurrent.aboveUpperWarning',
      code: 'raritan.outletCurrent.aboveUpperWarning',
      severity: 'warning',
      description: 'Outlet storage-01 current above its upper warning threshold',
    });
    // auto: the recording's sysObjectID chose the profile at first contact.
    expect(t.running.store.devices.get(ids[RARITAN]!)?.resolvedProfile).toBe('raritan-pdu2');

    await changeRaritan([{ oid: outletValue(7), type: 'Unsigned32', value: 4260 }, { oid: outletState(7), type: 'Integer32', value: SENSOR_STATE.normal }], PDU2.traps.outletSensorStateChange);
    await until('the outlet alarm cleared', () => active(RARITAN).length === 0);
  });

  it('raises the default temperature threshold beside the PDU\'s own state, with the value scaled by the sensor\'s decimal digits', async () => {
    await changeRaritan([{ oid: externalValue(1), type: 'Integer32', value: 285 }, { oid: externalState(1), type: 'Integer32', value: SENSOR_STATE.aboveUpperWarning }], PDU2.traps.externalSensorStateChange);
    await until('both alarms stored', () => active(RARITAN).length === 2);
    expect(active(RARITAN).map((a) => [a.code, a.severity, a.description]).sort()).toEqual([
      ['raritan.externalSensor.aboveUpperWarning', 'warning', 'Sensor Rack B7 inlet temperature above its upper warning threshold'],
      ['threshold.temperature.above', 'warning', 'Temperature sensor Rack B7 inlet temperature is 28.5 °C, above the warning threshold of 27 °C'],
    ]);

    // 26.5 °C is under the limit, but not by the 1 °C hysteresis: the PDU's state clears, priscan's violation holds.
    await changeRaritan([{ oid: externalValue(1), type: 'Integer32', value: 265 }, { oid: externalState(1), type: 'Integer32', value: SENSOR_STATE.normal }], PDU2.traps.externalSensorStateChange);
    await until('the PDU state cleared', () => active(RARITAN).length === 1);
    expect(activeCodes(RARITAN)).toEqual(['threshold.temperature.above']);
    // Back to 23.5 °C: past the limit by more than the hysteresis, so the violation clears too.
    await changeRaritan([{ oid: externalValue(1), type: 'Integer32', value: 235 }], PDU2.traps.externalSensorStateChange);
    await until('the violation cleared', () => active(RARITAN).length === 0);
  });

  it('reads its readings over the wire in the GETBULKs of one walk', async () => {
    const { client, counts } = wireClient(RARITAN);
    try {
      const { readings } = await scanDevice(specOf(builtinProfile('raritan-pdu2')), client);
      expect(readings.filter((r) => r.reading === 'inletCurrent').map((r) => [r.label, r.value])).toEqual([['I1', 12.84]]);
      expect(readings.find((r) => r.reading === 'outletCurrent' && r.label === 'storage-01')?.value).toBe(4.26);
      expect(readings.find((r) => r.reading === 'temperature')).toMatchObject({ label: 'Rack B7 inlet temperature', value: 23.5 });
      expect(counts).toMatchObject({ get: 0, getnext: 0, set: 0 });
      expect(counts.getbulk).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
