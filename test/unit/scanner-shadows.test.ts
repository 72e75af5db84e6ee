// Scanning a shadow: it reads its own unit's rows, and it is lost with its lead: unreachable
// through it, with no `communication lost` of its own, so a silent card is one alarm (the lead's).
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import { COMMUNICATION_LOST } from '../../src/alarms/model.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { Scanner } from '../../src/scanning/scanner.js';
import type { SnmpTarget } from '../../src/snmp/client.js';
import { DeviceClients } from '../../src/snmp/device-clients.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { newDevice, simSettings } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { builtinProfiles } from '../helpers/profiles.js';

const ADDRESS = '127.0.250.200';
let store: Store;
let chain: RackPduDevice;
let opened: Array<{ target: SnmpTarget; client: FakeSnmpClient }>;
/** Whether the card leaves a request unanswered; `probe`: the one-GET probe of a lead's address (no retries). */
let silent: (session: { probe: boolean }) => boolean;
let scanner: Scanner;
let lead: number;
let second: number;

const scan = (id: number) => scanner.scan(id, { trigger: 'trap', requestedAt: 0 });
const lostAlarms = () => store.alarms.active().filter((a) => a.code === COMMUNICATION_LOST.code).map((a) => a.deviceId);

beforeEach(() => {
  const clock = new FakeClock();
  store = SqliteStore.open(':memory:', clock);
  chain = new RackPduDevice(simSettings({ address: ADDRESS, clock }), 3);
  opened = [];
  silent = () => false;
  const factory = {
    open: (target: SnmpTarget) => {
      const client = new FakeSnmpClient(chain.mib);
      // Asked at each request: sessions are kept across scans.
      Object.defineProperty(client, 'unreachable', { get: () => silent({ probe: target.retries === 0 }) });
      opened.push({ target, client });
      return client;
    },
  };
  scanner = new Scanner({ clock, store, clients: new DeviceClients(factory, { clock }), bus: new AlarmEventBus(), log: pino({ level: 'silent' }), profiles: builtinProfiles() });
  lead = store.devices.insert(newDevice({ name: 'pdu-1', address: ADDRESS, profile: 'apc-rpdu', chainPosition: 1 })).id;
  second = store.devices.insert(newDevice({ name: 'pdu-2', address: ADDRESS, profile: 'apc-rpdu', priorityScanning: false, leadId: lead, chainPosition: 2 })).id;
});

afterEach(() => {
  store.close();
});

describe('Scanner on a shadow', () => {
  it('stores the alarms of its own unit, and the lead those of its own', async () => {
    chain.raise('unit2.overload');
    chain.raise('unit1.phase3Overload');
    expect(await scan(second)).toEqual({ reachable: true });
    expect(await scan(lead)).toEqual({ reachable: true });
    expect(store.alarms.active().map((a) => [a.deviceId, a.description])).toEqual([
      [lead, 'Phase 3 overloaded'],
      [second, 'Phase 1 overloaded'],
    ]);
  });

  it('is unreachable through its lead, without an alarm, when the lead\'s address is silent too', async () => {
    silent = () => true;
    // The shadow notices first: its scan times out, and one GET at the lead's address gets no answer either.
    expect(await scan(second)).toEqual({ reachable: false, leadUnreachable: true });
    expect(opened.at(-1)!.client.requests).toEqual([{ op: 'get', oids: [SNMPV2.sysUpTime] }]);
    expect(store.devices.get(second)!.state).toMatchObject({ reachable: false, lastError: expect.stringMatching(/^unreachable through its lead pdu-1: /) });
    expect(lostAlarms()).toEqual([]);
    // The lead's scan raises the one alarm.
    expect(await scan(lead)).toEqual({ reachable: false });
    expect(lostAlarms()).toEqual([lead]);
    // Known lost now: the shadow's next scan sends nothing at all.
    const sessions = opened.length;
    const requests = opened.reduce((n, o) => n + o.client.requests.length, 0);
    expect(await scan(second)).toEqual({ reachable: false, leadUnreachable: true });
    expect(opened.length).toBe(sessions);
    expect(opened.reduce((n, o) => n + o.client.requests.length, 0)).toBe(requests);
    expect(lostAlarms()).toEqual([lead]);
  });

  it('has its own communication lost when its lead\'s address answers and it does not', async () => {
    // The shadow's scan times out; the probe of its lead's address gets an answer.
    silent = ({ probe }) => !probe;
    expect(await scan(second)).toEqual({ reachable: false });
    expect(lostAlarms()).toEqual([second]);
  });

  it('is scanned again once its lead answers again', async () => {
    silent = () => true;
    await scan(lead);
    await scan(second);
    silent = () => false;
    chain.raise('unit2.nearOverload');
    expect(await scan(lead)).toEqual({ reachable: true });
    expect(await scan(second)).toEqual({ reachable: true });
    expect(store.devices.get(second)!.state).toMatchObject({ reachable: true, lastError: null });
    expect(store.alarms.active().map((a) => [a.deviceId, a.code])).toEqual([[second, 'pdu.phaseNearOverload']]);
  });
});
