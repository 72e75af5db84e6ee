// Threshold violations end to end on a simulated NetBotz: its own notification triggers the scan
// that finds the violation (38.5 °C against the netbotz profile's 27 °C warning and 32 °C critical),
// the violation clears with the device's next notification, and operator thresholds set through
// the API apply at the scan they ask for: a limit raised to 40 °C, a device-level `disabled`.
// The violation reaches Alertmanager (a recording HTTP server here) like any alarm.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's device is 127.0.221.10 (an ephemeral port); priscan listens on 127.0.221.201, the
// recording Alertmanager on 127.0.221.202.
const NETBOTZ = '127.0.221.10';
const MANAGER = '127.0.221.201';
const ALERTMANAGER = '127.0.221.202';

let t: TestDaemon;
let fleet: Fleet;
let id = 0;
let alertmanager: Server;
/** Every alert priscan posted, in order. */
const posted: Array<{ labels: Record<string, string>; annotations: Record<string, string>; endsAt: string }> = [];
const sensor = () => fleet.get(NETBOTZ) as NetBotzDevice;

interface Alarm { device: string; code: string; severity: string; description: string }
interface Event { kind: string; code: string; severity: string; description: string }
const thresholdAlarms = async () =>
  ((await t.api('GET', '/api/v1/alarms?device=nb-1')).body.alarms as Alarm[]).filter((a) => a.code.startsWith('threshold.'));
/** Waits until the device's threshold alarms are exactly these (severity and description). */
const thresholdAlarmsBecome = (expected: string[]) =>
  until(`threshold alarms: ${expected.join('; ') || 'none'}`, async () => {
    const now = (await thresholdAlarms()).map((a) => `${a.severity}: ${a.description}`);
    return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
  });
const scans = (trigger: string) => t.metric('priscan_scans_total', { trigger });

const CRITICAL = 'critical: Temperature Rack inlet temperature is 38.5 °C, above the critical threshold of 32 °C';
const WARNING = 'warning: Temperature Rack inlet temperature is 38.5 °C, above the warning threshold of 27 °C';

beforeAll(async () => {
  alertmanager = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') posted.push(...(JSON.parse(body) as typeof posted));
      res.end();
    });
  });
  await new Promise<void>((resolve) => alertmanager.listen(0, ALERTMANAGER, resolve));
  t = await startTestDaemon({
    manager: { address: MANAGER },
    notifications: { listen: { address: MANAGER, port: 0 } },
    alertmanager: { urls: [`http://${ALERTMANAGER}:${(alertmanager.address() as AddressInfo).port}`] },
  });
  fleet = new Fleet({ devices: [{ kind: 'netbotz', count: 1 }], baseAddress: NETBOTZ, port: 0 });
  await fleet.start();
  const res = await t.api('POST', '/api/v1/devices', {
    name: 'nb-1',
    address: NETBOTZ,
    port: sensor().agent.port,
    profile: 'netbotz',
    site: 'dc-east',
    timeoutMs: 1000,
    retries: 0,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(res.status).toBe(201);
  id = res.body.id as number;
  await untilRegistered(t, id);
  // The scan that follows registration: 21.5 °C, nothing in violation.
  await until('the first scan', () => t.running.store.devices.get(id)?.state.lastScanAt);
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
  await new Promise((resolve) => alertmanager?.close(resolve));
});

describe('threshold violations on a simulated NetBotz', () => {
  it("are raised by the scan the device's notification triggers, with the reading, value and threshold, and clear with the next", async () => {
    expect(await thresholdAlarms()).toEqual([]);
    const trapScans = await scans('trap');
    const after = t.running.store.alarms.lastEventId();
    sensor().raise('tempHigh');
    await thresholdAlarmsBecome([CRITICAL]);
    expect(await scans('trap')).toBeGreaterThan(trapScans);
    expect(await scans('periodic')).toBe(0);
    expect(await scans('manual')).toBe(0);
    // In the event log like any alarm, beside the device's own.
    const events = (await t.api('GET', `/api/v1/alarms/history?after=${after}`)).body.events as Event[];
    expect(events.map((e) => `${e.kind} ${e.severity} ${e.code}`).sort()).toEqual(['raise critical netbotz.valueTooHigh', 'raise critical threshold.temperature.above']);
    // And to Alertmanager, named after its code, labels from the closed set.
    const alert = await until('the threshold alert posted', () => posted.find((a) => a.labels.code === 'threshold.temperature.above'));
    expect(alert.labels).toMatchObject({ alertname: 'ThresholdTemperatureAbove', severity: 'critical', device: 'nb-1', profile: 'netbotz' });
    expect(alert.annotations.description).toBe(CRITICAL.slice('critical: '.length));

    sensor().clear('tempHigh');
    await thresholdAlarmsBecome([]);
    expect(await scans('periodic')).toBe(0);
    await until('the threshold alert resolved', () =>
      posted.some((a) => a.labels.code === 'threshold.temperature.above' && Date.parse(a.endsAt) <= Date.now()),
    );
  });

  it('an override raising the limit to 40 °C applies at the scan it asks for; a device-level disabled removes the warning left', async () => {
    sensor().raise('tempHigh');
    await thresholdAlarmsBecome([CRITICAL]);

    const raised = await t.api('POST', '/api/v1/thresholds', { profile: 'netbotz', reading: 'temperature', level: 'critical', above: 40 });
    expect(raised.status).toBe(201);
    // 38.5 °C is under 40 now: the critical clears and the warning (27 °C) is the most severe left.
    await thresholdAlarmsBecome([WARNING]);

    const disabled = await t.api('POST', '/api/v1/thresholds', { device: 'nb-1', reading: 'temperature', level: 'warning', disabled: true });
    expect(disabled.status).toBe(201);
    await thresholdAlarmsBecome([]);
    // The device's own alarm is not priscan's to remove.
    expect(((await t.api('GET', '/api/v1/alarms?device=nb-1')).body.alarms as Alarm[]).map((a) => a.code)).toEqual(['netbotz.valueTooHigh']);
    expect((await t.api('GET', `/api/v1/devices/${id}/thresholds`)).body.thresholds).toEqual([
      { reading: 'humidity', level: 'warning', outside: [20, 80], hysteresis: 2, forSeconds: 0, scope: 'profile-default', origin: 'profile-file', override: null },
      { reading: 'temperature', level: 'critical', above: 40, hysteresis: 1, forSeconds: 0, scope: 'profile', origin: 'api', override: raised.body.id },
    ]);

    // Both removed: the profile's defaults apply again, at once.
    await t.api('DELETE', `/api/v1/thresholds/${disabled.body.id}`);
    await t.api('DELETE', `/api/v1/thresholds/${raised.body.id}`);
    await thresholdAlarmsBecome([CRITICAL]);
    expect(await scans('periodic')).toBe(0);

    sensor().clear('tempHigh');
    await thresholdAlarmsBecome([]);
  });
});
