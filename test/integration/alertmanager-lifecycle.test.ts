// A real Alertmanager sees the end of alerts whose device priscan stops watching: deleted, or
// unlicensed by a key removal. The resend that would also resolve them is a minute out, so only
// the clear events can. Needs `apt-get install prometheus-alertmanager`; skipped without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { alertmanagerBinary, TestAlertmanager } from '../helpers/alertmanager.js';
import { startTestDaemon, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';
import { until, warnSkipped } from '../helpers/tools.js';

// This file's devices live on 127.0.181.0/24.
const FILE = 'test/integration/alertmanager-lifecycle.test.ts';
const PORT = 16281;
if (!alertmanagerBinary) warnSkipped(FILE, 'prometheus-alertmanager', 'prometheus-alertmanager');

let am: TestAlertmanager;
let t: TestDaemon;
let fleet: Fleet;
let fingerprint = '';
const add = (i: number) =>
  t.api('POST', '/api/v1/devices', { name: `sim-${i}`, address: fleet.devices[i - 1]!.address, port: PORT, timeoutMs: 500, retries: 0, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
const alertOf = async (device: string) => (await am.activeAlerts()).find((a) => a.labels.device === device);

describe.skipIf(!alertmanagerBinary)('Alertmanager, when priscan stops watching a device', () => {
  beforeAll(async () => {
    am = await TestAlertmanager.start();
    t = await startTestDaemon({ alertmanager: { urls: [am.url], resendIntervalSeconds: 60 } });
    fleet = new Fleet({ devices: [{ kind: 'sim', count: 7 }], baseAddress: '127.0.181.1', port: PORT });
    await fleet.start();
    const license = await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(1) });
    fingerprint = (license.body.license as { fingerprint: string }).fingerprint;
    for (let i = 1; i <= 6; i++) expect((await add(i)).status).toBe(201);
    await until('registered', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered'), 10_000);
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
    await t?.stop();
    await am?.dispose();
  });

  it('resolves a deleted device\'s alert at once', async () => {
    fleet.devices[0]!.raise('onBattery');
    await until('the alert in Alertmanager', () => alertOf('sim-1'), 3000);
    expect((await t.api('DELETE', `/api/v1/devices/${t.running.store.devices.getByName('sim-1')!.id}`)).status).toBe(200);
    await until('the alert resolved', async () => (await alertOf('sim-1')) === undefined, 3000);
  });

  it('resolves an unlicensed device\'s alert at once', async () => {
    // The newest device goes over the count when the key goes.
    expect((await add(7)).status).toBe(201);
    await until('sim-7 registered', () => t.running.store.devices.getByName('sim-7')?.state.registration === 'registered');
    fleet.devices[6]!.raise('doorOpen');
    await until('the alert in Alertmanager', () => alertOf('sim-7'), 3000);
    expect((await t.api('DELETE', `/api/v1/licenses/${fingerprint}`)).status).toBe(200);
    await until('the alert resolved', async () => (await alertOf('sim-7')) === undefined, 3000);
  });
});
