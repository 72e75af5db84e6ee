// The probe of a lost device: one GET of sysUpTime.0, no retries, on a session of its own.
import { builtinProfiles } from '../helpers/profiles.js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { Scanner } from '../../src/scanning/scanner.js';
import type { SnmpTarget } from '../../src/snmp/client.js';
import { DeviceClients } from '../../src/snmp/device-clients.js';
import { SqliteStore } from '../../src/store/store.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';

let store: SqliteStore;
let sim: PriscanSimDevice;
let opened: Array<{ target: SnmpTarget; client: FakeSnmpClient }>;
let unreachable: boolean;
let scanner: Scanner;

beforeEach(() => {
  const clock = new FakeClock();
  store = SqliteStore.open(':memory:', clock);
  sim = new PriscanSimDevice({ address: '127.0.185.40', port: 161, readCommunity: 'rd', writeCommunity: 'wr', clock, apcTrapPort: 162, onBatteryRepeatMs: 60_000 });
  opened = [];
  unreachable = false;
  const factory = {
    open: (target: SnmpTarget) => {
      const client = new FakeSnmpClient(sim.mib);
      client.unreachable = unreachable;
      opened.push({ target, client });
      return client;
    },
  };
  scanner = new Scanner({ clock, store, clients: new DeviceClients(factory, { clock }), bus: new AlarmEventBus(), log: pino({ level: 'silent' }), profiles: builtinProfiles() });
});

afterEach(() => {
  store.close();
});

describe('Scanner.probe', () => {
  it('asks one GET of sysUpTime.0 with no retries, with the read credentials, and closes its session', async () => {
    const { id } = store.devices.insert(newDevice({ address: '127.0.185.40', timeoutMs: 2500, retries: 3, profile: 'priscan-sim', snmp: { version: '2c', readCommunity: 'rd', writeCommunity: 'wr', notifyCommunity: null } }));
    expect(await scanner.probe(id)).toBe(true);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.target).toMatchObject({ address: '127.0.185.40', community: 'rd', timeoutMs: 2500, retries: 0 });
    expect(opened[0]!.client.requests).toEqual([{ op: 'get', oids: [SNMPV2.sysUpTime] }]);
    expect(opened[0]!.client.closed).toBe(true);
  });

  it('says no when the request times out, and nothing is stored', async () => {
    const { id } = store.devices.insert(newDevice({ address: '127.0.185.40' }));
    unreachable = true;
    expect(await scanner.probe(id)).toBe(false);
    expect(opened[0]!.client.closed).toBe(true);
    expect(store.devices.get(id)!.state.lastScanAt).toBeNull();
    expect(store.alarms.active()).toEqual([]);
  });

  it('says no for a device it does not know', async () => {
    expect(await scanner.probe(4242)).toBe(false);
    expect(opened).toEqual([]);
  });
});
