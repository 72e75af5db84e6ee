// priscan's alarms in a real Alertmanager (Debian's prometheus-alertmanager, v2 API) on loopback:
// a raise shows up as an active alert, a clear resolves it, and alarms raised while Alertmanager
// is down (and those it forgot by restarting: it keeps alerts in memory only) arrive when it returns.
// Needs `apt-get install prometheus-alertmanager`; skipped with a warning without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import type { ActiveAlarm, AlarmEvent } from '../../src/alarms/model.js';
import { AlertmanagerSender } from '../../src/alerting/alertmanager.js';
import type { AlertDevice } from '../../src/alerting/alerts.js';
import { alertmanagerConfigSchema } from '../../src/alerting/config.js';
import type { AlertmanagerObserver, DeliveryFailure } from '../../src/alerting/delivery.js';
import { systemClock } from '../../src/clock.js';
import { alertmanagerBinary as binary, TestAlertmanager, type GettableAlert } from '../helpers/alertmanager.js';
import { until, warnSkipped } from '../helpers/tools.js';

const FILE = 'test/integration/alertmanager.test.ts';
if (!binary) warnSkipped(FILE, 'prometheus-alertmanager', 'prometheus-alertmanager');

let am: TestAlertmanager;
let sender: AlertmanagerSender | undefined;
const bus = new AlarmEventBus((error) => {
  throw error;
});
const active: ActiveAlarm[] = [];
const devices = new Map<number, AlertDevice>([
  [1, { name: 'ups-1', address: '127.0.31.1', profile: 'auto', resolvedProfile: 'rfc1628-ups' }],
  [2, { name: 'pdu-1', address: '127.0.31.2', profile: 'apc-rpdu', resolvedProfile: 'apc-rpdu' }],
]);
const failures: DeliveryFailure[] = [];
let nextEventId = 1;

const activeAlerts = () => am.activeAlerts();
const amCounter = (series: string) => am.counter(series);

/** Changes the active set, then publishes, as the scanner does after its store transaction. */
function publish(kind: AlarmEvent['kind'], deviceId: number, code: string): number {
  const key = `src:1:${code}`;
  const at = Date.now();
  const device = devices.get(deviceId)!;
  if (kind === 'raise') active.push({ deviceId, key, code, severity: 'critical', description: `alarm ${code}`, raisedAt: at });
  else active.splice(active.findIndex((a) => a.deviceId === deviceId && a.key === key), 1);
  bus.publish([{ id: nextEventId++, deviceId, deviceName: device.name, kind, key, code, severity: 'critical', description: `alarm ${code}`, at, reason: null }], { trigger: 'trap', requestedAt: at, storedAt: at });
  return at;
}

const findAlert = (alerts: GettableAlert[], code: string) => alerts.find((a) => a.labels.code === code);

describe.skipIf(!binary)('AlertmanagerSender against a real Alertmanager', () => {
  beforeAll(async () => {
    am = await TestAlertmanager.start();
    const amUrl = am.url;
    const observer: AlertmanagerObserver = { sent: () => undefined, failed: (_url, reason) => failures.push(reason), dropped: () => undefined, queueSize: () => undefined };
    const config = alertmanagerConfigSchema.parse({ urls: [amUrl], site: 'lab', labels: { env: 'test' }, externalUrl: 'http://127.0.0.1:8470' });
    sender = new AlertmanagerSender({
      config: config!,
      bus,
      alarms: { active: () => active },
      devices: { get: (id) => devices.get(id) },
      clock: systemClock,
      log: { warn: () => undefined, info: () => undefined },
      observer,
      // Short backoff so the test sees the return quickly; the resend interval stays at 60 s,
      // so what arrives after the restart is the sender's own catching up, not the periodic resend.
      tuning: { backoffInitialMs: 100, backoffMaxMs: 500 },
    });
    sender.start();
  }, 30_000);

  afterAll(async () => {
    await sender?.stop();
    await am?.dispose();
  });

  it('shows a raised alarm as an active alert within a second', async () => {
    const publishedAt = publish('raise', 1, 'ups.onBattery');
    const alert = await until('the alert in Alertmanager', async () => findAlert(await activeAlerts(), 'ups.onBattery'), 1000);
    const elapsed = Date.now() - publishedAt;
    console.info(`${FILE}: publish -> visible in Alertmanager: ${elapsed} ms`);
    expect(alert.labels).toEqual({
      alertname: 'UpsOnBattery',
      device: 'ups-1',
      severity: 'critical',
      code: 'ups.onBattery',
      profile: 'rfc1628-ups',
      site: 'lab',
      env: 'test',
      alarm_key: 'src:1:ups.onBattery',
    });
    expect(alert.annotations).toMatchObject({ description: 'alarm ups.onBattery', device_address: '127.0.31.1', priscan_url: 'http://127.0.0.1:8470/api/v1/alarms?device=ups-1' });
    expect(alert.generatorURL).toBe('http://127.0.0.1:8470/api/v1/alarms?device=ups-1');
    expect(Date.parse(alert.startsAt)).toBe(publishedAt);
    // Valid for four resend intervals if priscan stops sending.
    expect(Date.parse(alert.endsAt) - publishedAt).toBeGreaterThan(3 * 60_000);
    expect(alert.status.state).toBe('active');
  });

  it('resolves the alert when the alarm clears', async () => {
    const resolvedBefore = await amCounter('alertmanager_alerts_received_total{status="resolved",version="v2"}');
    publish('clear', 1, 'ups.onBattery');
    // Alertmanager's GET lists no resolved alerts, whatever the filters: resolved means gone from it.
    await until('the alert to leave the active list', async () => findAlert(await activeAlerts(), 'ups.onBattery') === undefined || undefined, 1000);
    expect(await amCounter('alertmanager_alerts_received_total{status="resolved",version="v2"}')).toBe(resolvedBefore + 1);
    expect(await amCounter('alertmanager_alerts_invalid_total{version="v2"}')).toBe(0);
  });

  it('loses nothing while Alertmanager is down and restarted', async () => {
    const earlierAt = publish('raise', 2, 'pdu.phaseOverload');
    await until('the earlier alert', async () => findAlert(await activeAlerts(), 'pdu.phaseOverload'), 1000);

    await am.stop('SIGTERM');
    const failuresBefore = failures.length;
    const newAt = publish('raise', 1, 'ups.lowBattery');
    await until('a failed delivery while Alertmanager is down', () => failures.length > failuresBefore, 5000);
    expect(failures.at(-1)).toBe('network');

    await am.start(); // same storage path and port; it kept no alerts
    const alerts = await until(
      'both alerts after the restart',
      async () => {
        const listed = await activeAlerts();
        return findAlert(listed, 'pdu.phaseOverload') && findAlert(listed, 'ups.lowBattery') ? listed : undefined;
      },
      5000,
    );
    expect(Date.parse(findAlert(alerts, 'pdu.phaseOverload')!.startsAt)).toBe(earlierAt);
    expect(Date.parse(findAlert(alerts, 'ups.lowBattery')!.startsAt)).toBe(newAt);
    expect(alerts.map((a) => a.labels.code).sort()).toEqual(['pdu.phaseOverload', 'ups.lowBattery']);
  }, 40_000);
});
