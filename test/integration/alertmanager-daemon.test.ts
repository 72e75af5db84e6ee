// The whole path to the person paged: a simulated device raises an alarm, priscan scans it on
// the device's notification and pushes it to a real Alertmanager, which lists it within a second.
// Needs `apt-get install prometheus-alertmanager`; skipped with a warning without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { alertmanagerBinary, TestAlertmanager } from '../helpers/alertmanager.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until, warnSkipped } from '../helpers/tools.js';

// This file's devices live on 127.0.38.0/24.
const FILE = 'test/integration/alertmanager-daemon.test.ts';
const PORT = 16183;
if (!alertmanagerBinary) warnSkipped(FILE, 'prometheus-alertmanager', 'prometheus-alertmanager');

let am: TestAlertmanager;
let t: TestDaemon;
let fleet: Fleet;
const alertFor = async (code: string) => (await am.activeAlerts()).find((a) => a.labels.code === code);

describe.skipIf(!alertmanagerBinary)('priscan daemon -> Alertmanager', () => {
  beforeAll(async () => {
    am = await TestAlertmanager.start();
    t = await startTestDaemon({ alertmanager: { urls: [am.url], site: 'dc1', resendIntervalSeconds: 2 } });
    fleet = new Fleet({ devices: [{ kind: 'ups', count: 1 }, { kind: 'pdu', count: 1 }], baseAddress: '127.0.38.1', port: PORT, apcTrapPort: t.running.intake.port });
    await fleet.start();
    for (const device of fleet.devices) {
      const res = await t.api('POST', '/api/v1/devices', { name: `${device.kind}-1`, address: device.address, port: PORT, timeoutMs: 500, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
      expect(res.status).toBe(201);
    }
    await until('registered', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable));
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
    await t?.stop();
    await am?.dispose();
  });

  it('lists a device\'s alarm within a second of the device raising it', async () => {
    const raisedAt = Date.now();
    fleet.devices[0]!.raise('onBattery');
    const alert = await until('the alert in Alertmanager', () => alertFor('ups.onBattery'), 1000);
    console.info(`${FILE}: device raise -> listed by Alertmanager: ${Date.now() - raisedAt} ms`);
    expect(alert.labels).toMatchObject({ alertname: 'UpsOnBattery', device: 'ups-1', severity: 'warning', code: 'ups.onBattery', profile: 'rfc1628-ups', site: 'dc1' });
    expect(alert.annotations).toMatchObject({ description: 'UPS on battery', device_address: '127.0.38.1' });
    // Alertmanager lists the alert before its answer to the POST reaches priscan: wait for that answer.
    await until('the POST counted as sent', async () => (await t.metric('priscan_alertmanager_alerts_sent_total')) > 0, 1000);
  });

  it('resolves it when the device clears it', async () => {
    fleet.devices[0]!.clear('onBattery');
    await until('the alert to leave the active list', async () => (await alertFor('ups.onBattery')) === undefined || undefined, 2000);
  });

  it('loses nothing across an Alertmanager restart', async () => {
    fleet.devices[1]!.raise('overload');
    await until('the PDU alert', () => alertFor('pdu.phaseOverload'), 2000);
    await am.stop('SIGTERM');
    fleet.devices[0]!.raise('lowBattery');
    await until('the raise stored while Alertmanager is down', () => t.running.store.alarms.active().some((a) => a.code === 'ups.lowBattery'));
    await am.start();
    await until('both alerts after the restart', async () => ((await alertFor('pdu.phaseOverload')) && (await alertFor('ups.lowBattery'))) || undefined, 10_000);
  }, 30_000);
});
