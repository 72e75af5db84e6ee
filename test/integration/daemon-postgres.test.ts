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

  it('holds a lead and its shadow: at the lead\'s address, and the lead kept until its shadow is gone', async () => {
    // One daemon on the database at a time: the previous test's stops first.
    for (const t of started.splice(0)) await t.stop().catch(() => undefined);
    const t = await start();
    const lead = t.running.store.devices.getByName('nb-1')!;
    const added = await t.api('POST', '/api/v1/devices', { name: 'nb-1-unit2', lead: 'nb-1', chainPosition: 2, profile: 'netbotz', timeoutMs: 2000 });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ lead: lead.id, address: ADDRESS, chainPosition: 2 });
    // The address stays the lead's: notifications from it are the lead's.
    expect(t.running.store.devices.getByAddress(ADDRESS)?.id).toBe(lead.id);
    expect(t.running.store.devices.shadowsOf(lead.id).map((d) => d.name)).toEqual(['nb-1-unit2']);

    const refused = await t.api('DELETE', `/api/v1/devices/${lead.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'DEVICE_HAS_SHADOWS' });
    // The database refuses it too, whoever asks.
    expect(() => t.running.store.removeDevice(lead.id, { reason: 'device removed', at: Date.now() })).toThrow(/FOREIGN KEY/);
    expect((await t.api('DELETE', `/api/v1/devices/${added.body.id as number}`)).status).toBe(200);
    expect((await t.api('DELETE', `/api/v1/devices/${lead.id}`)).status).toBe(200);
    expect(t.running.store.devices.count()).toBe(0);
  });

  it('answers 503 STORE_UNAVAILABLE while PostgreSQL is down, naming no address, and is ready again once it is back', async () => {
    for (const t of started.splice(0)) await t.stop().catch(() => undefined);
    const t = await start();
    expect((await t.api('GET', '/readyz')).status).toBe(200);
    // Immediate: as after a crash (postgres-outage.test.ts stops it the fast way). The test server
    // runs with synchronous_commit off: the checkpoint keeps the admin token just created.
    await postgres.superuser('CHECKPOINT');
    await postgres.down('immediate');
    try {
      const ready = await t.api('GET', '/readyz');
      const devices = await t.api('GET', '/api/v1/devices');
      const health = await t.api('GET', '/healthz');
      expect(health.status).toBe(200);
      for (const [what, res] of Object.entries({ ready, devices })) {
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(503);
        expect(res.body.error, what).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect(JSON.stringify(res.body), what).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${postgres.port}|ECONNREFUSED|postgres://`));
      }
    } finally {
      await postgres.up();
    }
    await until('ready again', async () => (await t.api('GET', '/readyz')).status === 200, 10_000);
    expect((await t.api('GET', '/api/v1/devices')).status).toBe(200);
  });
});
