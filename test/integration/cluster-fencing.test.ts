// Fenced scan results in cluster mode, against a real PostgreSQL: a scan written with the epoch
// this collector holds lands; once a peer has claimed the shard at a newer epoch, the same scan is
// refused by priscan_assert_shard_epoch (SQLSTATE PRF01): nothing is written or published, a
// warning is logged and the device is let go. SNMP is answered in process by a simulated device's
// MIB (the fake client): nothing is sent on the network.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import { ClusterCoordinator } from '../../src/cluster/coordinator.js';
import { clusterSettings } from '../../src/cluster/settings.js';
import { shardOf } from '../../src/cluster/shards.js';
import { systemClock } from '../../src/clock.js';
import { Scanner } from '../../src/scanning/scanner.js';
import { DeviceClients } from '../../src/snmp/device-clients.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { newDevice } from '../helpers/devices.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { builtinProfiles } from '../helpers/profiles.js';
import { startTestDaemon, TEST_MAC } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/cluster-fencing.test.ts';
const skip = skipWithoutPostgres(FILE);
// A device address as data only: the fake client answers.
const ADDRESS = '127.0.151.201';

describe.skipIf(skip)('fenced scan results', () => {
  let postgres: PostgresCluster;
  let store: PostgresStore;
  let coordinator: ClusterCoordinator;
  const warnings: Array<Record<string, unknown>> = [];
  const fenced: number[] = [];
  const published: unknown[] = [];
  let scanner: Scanner;
  let database = '';
  const sim = new PriscanSimDevice({ address: ADDRESS, port: 161, readCommunity: 'public', writeCommunity: 'private', clock: systemClock, apcTrapPort: 162, onBatteryRepeatMs: 60_000 });

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25490 });
    const connection = await postgres.createDatabase();
    database = connection.database!;
    store = PostgresStore.open(systemClock, { connection, location: 'test' });
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
    // Long leases and rounds: only the test runs rounds, and nothing lapses meanwhile.
    const settings = clusterSettings({ collectorId: 'a', notifyAddr: '127.0.151.21:162', apiAddr: '127.0.151.21:8470', leaseMs: 120_000, renewMs: 60_000, joinGraceMs: 0 });
    coordinator = new ClusterCoordinator({ database: connection, settings, clock: systemClock, log });
    await coordinator.start();
    await coordinator.runRound();
    const bus = new AlarmEventBus();
    bus.subscribe((events) => published.push(...events));
    scanner = new Scanner({
      clock: systemClock,
      store,
      clients: new DeviceClients({ open: () => new FakeSnmpClient(sim.mib) }, { clock: systemClock }),
      bus,
      log,
      profiles: builtinProfiles(),
      fenceFor: (id) => coordinator.claimFor(id),
      onFenced: (id) => fenced.push(id),
      beforeFencedWrite: () => coordinator.leasesUnlocked(),
    });
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    store?.close();
    await postgres?.stop();
  });

  it('writes with the epoch held, and drops a result once a peer holds the shard at a newer epoch', async () => {
    const { id } = store.devices.insert(newDevice({ address: ADDRESS, profile: 'priscan-sim', snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null } }));
    const claim = coordinator.claimFor(id);
    expect(claim).toEqual({ shard: shardOf(id), epoch: expect.any(Number) });

    sim.raise('onBattery');
    await scanner.scan(id, { trigger: 'trap', requestedAt: Date.now() });
    expect(store.alarms.activeForDevice(id).map((a) => a.description)).toEqual(['UPS on battery']);
    const scannedAt = store.devices.get(id)!.state.lastScanAt;
    expect(published).toHaveLength(1);
    expect(fenced).toEqual([]);

    // A peer claims the shard (as after this collector paused past its lease); we have not heard yet.
    await postgres.superuser(`UPDATE shard_lease SET owner = 'b', epoch = epoch + 1, lease_until = now() + interval '1 minute' WHERE shard = $1`, [claim!.shard], database);
    sim.clear('onBattery');
    await scanner.scan(id, { trigger: 'trap', requestedAt: Date.now() });
    // Nothing landed: the alarm the device cleared is still the stored state, no event, no new scan time.
    expect(store.alarms.activeForDevice(id).map((a) => a.description)).toEqual(['UPS on battery']);
    expect(store.alarms.events(0, 100).map((e) => e.kind)).toEqual(['raise']);
    expect(store.devices.get(id)!.state.lastScanAt).toBe(scannedAt);
    expect(published).toHaveLength(1);
    expect(fenced).toEqual([id]);
    expect(warnings).toContainEqual(expect.objectContaining({ deviceId: id, shard: claim!.shard, epoch: claim!.epoch, msg: expect.stringMatching(/^scan result fenced out/) }));
  });

  it("a collector starting on a store that holds config devices leaves them, and offers the API its ClusterView", async () => {
    const connection = await postgres.createDatabase();
    const url = `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
    const migrated = PostgresStore.open(systemClock, { connection, location: 'test' });
    const kept = migrated.devices.insert(newDevice({ name: 'from-a-config-file', address: '127.0.151.202', origin: 'config' }));
    migrated.close();
    const t = await startTestDaemon({
      manager: {},
      notifications: { listen: { address: '127.0.151.31', port: 0 } },
      http: { listen: { address: '127.0.151.31', port: 0 } },
      store: { postgres: { url, timeoutMs: 5000 } },
      cluster: { collectorId: 'd1', notifyAddress: '127.0.151.31:16581', apiAddress: '127.0.151.31:16582', licenseMac: TEST_MAC, leaseMs: 2000, renewMs: 500 },
    });
    try {
      expect(t.running.store.devices.get(kept.id)).toMatchObject({ name: 'from-a-config-file', origin: 'config' });
      expect(t.running.cluster?.collectorId).toBe('d1');
      await until('d1 owns the device', () => t.running.cluster!.ownsDevice(kept.id), 10_000);
      expect((await t.running.cluster!.collectors()).map((c) => c.id)).toEqual(['d1']);
      expect(t.running.licenses.serverId).toBe(TEST_MAC);
    } finally {
      await t.stop();
    }
  });
});
