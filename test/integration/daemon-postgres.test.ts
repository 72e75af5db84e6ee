// The whole daemon on a PostgreSQL store (store.postgres in its config): a device added through
// the API is registered and scanned, its alarm raised and cleared and its readings stored, and a
// second daemon on the same database carries on where the first stopped. SNMP is answered in
// process by a simulated NetBotz's MIB (the fake client): nothing is sent on the network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/daemon-postgres.test.ts';
const skip = skipWithoutPostgres(FILE);
// A device address as data only: the fake client answers, nothing is sent to it.
const ADDRESS = '192.0.2.44';

describe.skipIf(skip)('the daemon on a PostgreSQL store', () => {
  let postgres: PostgresCluster;
  let netbotz: NetBotzDevice;
  let url = '';
  const started: TestDaemon[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25455 });
    const connection = await postgres.createDatabase();
    url = `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
    netbotz = new NetBotzDevice({ address: ADDRESS, port: 161, readCommunity: 'public', writeCommunity: 'private', clock: { now: () => Date.now() }, apcTrapPort: 162, onBatteryRepeatMs: 60_000 });
  });

  afterAll(async () => {
    for (const t of started) await t.stop().catch(() => undefined);
    await postgres?.stop();
  });

  async function start(): Promise<TestDaemon> {
    const t = await startTestDaemon({ store: { postgres: { url, timeoutMs: 5000 } } }, { snmp: () => ({ open: () => new FakeSnmpClient(netbotz.mib) }) });
    started.push(t);
    return t;
  }

  it('keeps devices, alarms, events, readings and tokens in PostgreSQL, for the next daemon too', async () => {
    const first = await start();
    expect(first.running.store).toBeInstanceOf(PostgresStore);
    expect(first.running.store.location).toMatch(/^postgres postgres@127\.0\.0\.1:\d+\/test_/);
    const added = await first.api('POST', '/api/v1/devices', { name: 'nb-1', address: ADDRESS, profile: 'netbotz', timeoutMs: 2000, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
    expect(added.status).toBe(201);
    const id = added.body.id as number;
    await untilRegistered(first, id);

    netbotz.raise('doorOpen');
    expect((await first.api('POST', `/api/v1/devices/${id}/scan`)).status).toBeLessThan(300);
    const raised = await until('the door alarm', () => first.running.store.alarms.activeForDevice(id).find((a) => a.description.includes('DOOR1')));
    await until('readings stored', () => first.running.store.readings.last(id).length > 0);
    const viewer = first.running.tokens.create({ role: 'viewer', name: 'grafana' }).token;
    await first.daemon.stop();

    // The same database, another daemon (another data directory): it finds everything.
    const second = await start();
    expect(second.running.store.devices.get(id)).toMatchObject({ name: 'nb-1', state: { registration: 'registered' } });
    expect(second.running.store.alarms.activeForDevice(id)).toEqual([expect.objectContaining({ key: raised.key })]);
    expect((await second.api('GET', '/api/v1/devices', undefined, { authorization: `Bearer ${viewer}` })).status).toBe(200);
    netbotz.clear('doorOpen');
    await second.api('POST', `/api/v1/devices/${id}/scan`);
    await until('the door alarm cleared', () => second.running.store.alarms.activeForDevice(id).length === 0);
    expect(second.running.store.alarms.events(0, 100).filter((e) => e.key === raised.key).map((e) => e.kind)).toEqual(['raise', 'clear']);
  });
});
