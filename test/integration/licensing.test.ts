// The node gate through the API: admission past the licensed count, devices going unlicensed
// when a key is removed (kept, not scanned, not registered), and coming back with capacity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';
import { sendAlertPresent } from '../helpers/notifications.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.36.0/24.
const PORT = 16181;
let t: TestDaemon;
let fleet: Fleet;

const add = (i: number) =>
  t.api('POST', '/api/v1/devices', {
    name: `sim-${i}`,
    address: fleet.devices[i - 1]!.address,
    port: PORT,
    timeoutMs: 1000,
    retries: 1,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
const monitoring = async () =>
  Object.fromEntries(((await t.api('GET', '/api/v1/devices')).body.devices as Array<{ name: string; monitoring: string }>).map((d) => [d.name, d.monitoring]));
const usage = async () => (await t.api('GET', '/api/v1/licenses/usage')).body;

beforeAll(async () => {
  t = await startTestDaemon();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 9 }], baseAddress: '127.0.36.1', port: PORT });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('licensed node count', () => {
  let fingerprint = '';

  it('admits the 5 included nodes and refuses the 6th with the counts', async () => {
    for (let i = 1; i <= 5; i++) expect((await add(i)).status).toBe(201);
    const refused = await add(6);
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error: { code: 'LICENSE_NODE_LIMIT', message: expect.stringMatching(/licensed for 5 nodes and 5 in use/) } });
    expect(t.running.store.devices.count()).toBe(5);
  });

  it('admits more once a key adds nodes', async () => {
    const res = await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(3) });
    expect(res.status).toBe(201);
    fingerprint = (res.body.license as { fingerprint: string }).fingerprint;
    for (let i = 6; i <= 8; i++) expect((await add(i)).status).toBe(201);
    expect((await add(9)).status).toBe(402);
    expect(await usage()).toMatchObject({ licensed: 8, used: 8, unlicensed: 0 });
    await until('all registered', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered'));
  });

  it('refuses the same key twice', async () => {
    const key = testLicenseKey(1, 'one-passcode');
    expect((await t.api('POST', '/api/v1/licenses', { key })).status).toBe(201);
    const again = await t.api('POST', '/api/v1/licenses', { key: key.toLowerCase().replace(/(.{8})/g, '$1-') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'LICENSE_ALREADY_INSTALLED' } });
    const { licenses } = (await t.api('GET', '/api/v1/licenses')).body as { licenses: Array<{ fingerprint: string; nodes: number }> };
    expect((await t.api('DELETE', `/api/v1/licenses/${licenses.find((l) => l.nodes === 1)!.fingerprint}`)).status).toBe(200);
  });

  it('leaves the newest devices unlicensed when a key is removed: kept, not scanned, not registered', async () => {
    expect((await t.api('DELETE', `/api/v1/licenses/${fingerprint}`)).status).toBe(200);
    const states = await monitoring();
    expect(states).toEqual({ 'sim-1': 'monitored', 'sim-2': 'monitored', 'sim-3': 'monitored', 'sim-4': 'monitored', 'sim-5': 'monitored', 'sim-6': 'unmonitored', 'sim-7': 'unmonitored', 'sim-8': 'unmonitored' });
    expect(await usage()).toMatchObject({ licensed: 5, used: 5, unlicensed: 3 });
    expect(await t.metric('priscan_unlicensed_devices')).toBe(3);
    await until('registrations removed', () => [6, 7, 8].every((i) => fleet.devices[i - 1]!.status().managers.length === 0));

    const sim7 = fleet.devices[6]!;
    const sim7Id = t.running.store.devices.getByName('sim-7')!.id;
    // Scans started before the key went (registration follow-ups) may still finish: let them.
    await until('queue idle', () => t.running.scheduler.queued + t.running.scheduler.running === 0);
    const scansBefore = await t.metric('priscan_scans_total');
    const dropped = await t.metric('priscan_notifications_received_total', { result: 'unknown_source' });
    sim7.raise('onBattery');
    await sendAlertPresent({ from: sim7.address, port: t.running.intake.port, community: t.running.store.settings.get('notification-community')! });
    await until('the notification dropped', async () => (await t.metric('priscan_notifications_received_total', { result: 'unknown_source' })) > dropped);
    expect(t.running.scheduler.queued + t.running.scheduler.running).toBe(0);
    expect(await t.metric('priscan_scans_total')).toBe(scansBefore);
    expect(t.running.store.alarms.active({ deviceId: sim7Id })).toEqual([]);
    expect((await t.api('POST', `/api/v1/devices/${t.running.store.devices.getByName('sim-7')!.id}/scan`)).status).toBe(402);
  });

  it('monitors them again, and registers them, when capacity returns', async () => {
    expect((await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(3) })).status).toBe(201);
    expect(Object.values(await monitoring()).every((m) => m === 'monitored')).toBe(true);
    await until('registered again', () => [6, 7, 8].every((i) => fleet.devices[i - 1]!.status().managers.length === 1));
    await until('the alarm raised while unlicensed is found', () =>
      t.running.store.alarms.active({ deviceId: t.running.store.devices.getByName('sim-7')!.id }).some((a) => a.code === 'sim.2'),
    );
  });

  it('leaves every device registered when a key is removed and another added at once', async () => {
    const { licenses } = (await t.api('GET', '/api/v1/licenses')).body as { licenses: Array<{ fingerprint: string }> };
    const written = await t.metric('priscan_registration_attempts_total', { result: 'created' });
    expect((await t.api('DELETE', `/api/v1/licenses/${licenses[0]!.fingerprint}`)).status).toBe(200);
    // No wait: the new key arrives while the registrations of the unlicensed devices are being removed.
    expect((await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(3) })).status).toBe(201);
    expect(Object.values(await monitoring()).every((m) => m === 'monitored')).toBe(true);
    // Each removal ends before its device is registered again (a registration that only saw the
    // old row still there would count as verified, and the removal would then undo it).
    await until('registrations written again', async () => (await t.metric('priscan_registration_attempts_total', { result: 'created' })) >= written + 3);
    await until('queue idle', () => t.running.scheduler.queued + t.running.scheduler.running === 0);
    expect(fleet.devices.slice(0, 8).map((d) => d.status().managers.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});
