// The console's acknowledgements, maintenance windows, readings charts and thresholds, against the
// daemon's real services: what a form does is what the API's route does (the event logged and
// streamed, the notifier told), and what a page shows is what the services hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../src/alarms/model.js';
import { AlarmStreamClient } from '../helpers/alarm-stream.js';
import { signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.242.0/24; they are stored, never contacted.
let t: TestDaemon;
let admin: ConsoleClient;
let viewer: ConsoleClient;
let upsId: number;
let sensorId: number;

const ON_BATTERY: Alarm = { key: 'ups:2', severity: 'critical', code: 'ups.onBattery', description: 'UPS on battery' };

/** An alarm raised as a scan raises it: stored, then published on the bus the notifier listens to. */
function raise(deviceId: number, alarm: Alarm): void {
  const event = t.running.store.alarms.raise(deviceId, alarm, Date.now())!;
  t.running.bus.publish([event], { trigger: 'test', requestedAt: event.at, storedAt: event.at });
}

async function apiAlarm(key: string) {
  const res = await t.api('GET', '/api/v1/alarms');
  return (res.body.alarms as Array<{ key: string; inMaintenance: boolean; maintenanceWindowId: number | null; acknowledgement: { by: string; comment: string } | null }>).find((a) => a.key === key);
}

/** The message a refused form left for its page. */
async function flash(client: ConsoleClient, page: string): Promise<string | undefined> {
  return /class="flash flash-error" role="alert">([^<]*)</.exec((await client.get(page)).body)?.[1];
}

const eventKinds = () => t.running.store.alarms.events(0, 1000).map((e) => e.kind);

beforeAll(async () => {
  t = await startTestDaemon();
  const { store, tokens } = t.running;
  upsId = store.devices.insert(newDevice({ name: 'ups-c1', address: '127.0.242.10', profile: 'rfc1628-ups' })).id;
  sensorId = store.devices.insert(newDevice({ name: 'env-c2', address: '127.0.242.11', profile: 'netbotz' })).id;
  store.alarms.raise(upsId, ON_BATTERY, Date.now());
  admin = await signIn(t.running.http, t.adminToken);
  viewer = await signIn(t.running.http, tokens.create({ role: 'viewer', name: 'noc' }).token);
});

afterAll(async () => {
  await t?.stop();
});

describe('acknowledgements', () => {
  it('acknowledges through the API\'s service: stored on the alarm, logged and streamed as an ack event', async () => {
    const stream = await AlarmStreamClient.open(t.running.httpUrl, { cookie: viewer.cookie });
    try {
      const list = (await admin.get('/console/alarms')).body;
      expect(list).toContain(`href="/console/alarms/acknowledge?device=${upsId}&amp;key=ups%3A2"`);
      expect((await viewer.get('/console/alarms')).body).not.toContain('Acknowledge</a>');
      expect((await admin.get(`/console/alarms/acknowledge?device=${upsId}&key=ups%3A2`)).statusCode).toBe(200);
      const res = await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: '  battery test  ' });
      expect(res.headers.location).toBe('/console/alarms');
      expect((await apiAlarm('ups:2'))?.acknowledgement).toMatchObject({ by: 'test-admin', comment: 'battery test' });
      expect(eventKinds()).toEqual(['raise', 'ack']);
      const streamed = await until('the ack on the stream', () => stream.events.find((e) => e.event === 'ack'));
      expect(streamed.data).toMatchObject({ deviceId: upsId, key: 'ups:2' });
      expect((await admin.get('/console/alarms')).body).toContain('acknowledged by test-admin');
    } finally {
      await stream.close();
    }
  });

  it('refuses a second acknowledgement, one from a viewer, without the CSRF token or a comment, and logs nothing', async () => {
    const before = eventKinds();
    await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: 'again' });
    expect(await flash(admin, '/console/alarms')).toBe('that alarm was acknowledged already, by test-admin');
    expect((await viewer.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: 'x' })).statusCode).toBe(403);
    expect((await admin.post('/console/alarms/acknowledge', { _csrf: null, device: String(upsId), key: 'ups:2', comment: 'x' })).statusCode).toBe(403);
    expect((await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: '   ' })).statusCode).toBe(303);
    await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'gone', comment: 'x' });
    expect(await flash(admin, '/console/alarms')).toBe('that alarm is not active any more: the device has cleared it');
    expect(eventKinds()).toEqual(before);
  });

  it('withdraws an acknowledgement: an unack event, and the alarm can be acknowledged again', async () => {
    expect((await admin.get('/console/alarms')).body).toContain('action="/console/alarms/unacknowledge"');
    expect((await viewer.get('/console/alarms')).body).not.toContain('action="/console/alarms/unacknowledge"');
    expect((await viewer.post('/console/alarms/unacknowledge', { device: String(upsId), key: 'ups:2' })).statusCode).toBe(403);
    expect((await admin.post('/console/alarms/unacknowledge', { device: String(upsId), key: 'ups:2' })).headers.location).toBe('/console/alarms');
    expect((await apiAlarm('ups:2'))?.acknowledgement).toBeNull();
    expect(eventKinds().at(-1)).toBe('unack');
    await admin.post('/console/alarms/unacknowledge', { device: String(upsId), key: 'ups:2' });
    expect(await flash(admin, '/console/alarms')).toBe('that alarm is not acknowledged');
  });

  it('shows acknowledgements in the history as what they are, with who and why', async () => {
    const acks = (await admin.get('/console/history?kind=ack')).body;
    expect(acks).toContain('<span class="kind kind-ack">acknowledged</span><span class="reason">by test-admin: battery test</span>');
    expect(acks).not.toContain('kind-raise');
    const all = (await admin.get('/console/history')).body;
    expect(all).toContain('<span class="kind kind-unack">acknowledgement withdrawn</span><span class="reason">by test-admin</span>');
    expect(all).not.toContain('cleared');
  });
});

describe('maintenance windows', () => {
  it('starts a window through the API\'s service: the notifier holds back what is raised in it, and sends it when it is ended', async () => {
    const before = Date.now();
    const res = await admin.post('/console/maintenance', { scope: 'devices', target: 'ups-c1', startsInMinutes: '0', durationMinutes: '90', reason: 'battery <test>' });
    expect(res.headers.location).toBe('/console/maintenance');
    const windows = (await t.api('GET', '/api/v1/maintenance')).body.windows as Array<{ id: number; state: string; startsAt: string; endsAt: string; createdBy: string; scope: unknown }>;
    expect(windows).toHaveLength(1);
    const window = windows[0]!;
    expect(window).toMatchObject({ state: 'active', createdBy: 'test-admin', scope: { kind: 'devices', devices: [{ id: upsId, name: 'ups-c1' }] } });
    expect(Date.parse(window.startsAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(window.endsAt) - Date.parse(window.startsAt)).toBe(90 * 60_000);
    expect((await admin.get('/console/maintenance')).body).toContain('battery &lt;test&gt;');
    expect((await admin.get(`/console/devices/${upsId}`)).body).toContain('<span class="tag tag-maintenance">in maintenance</span>');

    // The raise before the window was sent already; one raised in it is held back, and marked.
    expect((await apiAlarm('ups:2'))?.inMaintenance).toBe(false);
    raise(upsId, { key: 'ups:3', severity: 'warning', code: 'ups.lowBattery', description: 'Battery low' });
    expect(await apiAlarm('ups:3')).toMatchObject({ inMaintenance: true, maintenanceWindowId: window.id });
    const page = (await admin.get('/console/alarms')).body;
    expect(page.slice(page.indexOf(`data-alarm="${upsId}/ups:3"`)).split('</tr>')[0]).toContain('in maintenance');
    expect(page.slice(page.indexOf(`data-alarm="${upsId}/ups:2"`)).split('</tr>')[0]).not.toContain('in maintenance');

    expect((await viewer.post(`/console/maintenance/${window.id}/end`)).statusCode).toBe(403);
    expect((await admin.post(`/console/maintenance/${window.id}/end`)).statusCode).toBe(303);
    expect((await t.api('GET', `/api/v1/maintenance/${window.id}`)).body.window).toMatchObject({ state: 'ended' });
    expect(await apiAlarm('ups:3')).toMatchObject({ inMaintenance: false, maintenanceWindowId: null });
    await admin.post(`/console/maintenance/${window.id}/end`);
    expect(await flash(admin, '/console/maintenance')).toBe(`maintenance window ${window.id} has ended already`);
  });

  it('refuses a window for an unknown device or profile, or with a bad duration, and creates nothing', async () => {
    const count = async () => ((await t.api('GET', '/api/v1/maintenance')).body.windows as unknown[]).length;
    const before = await count();
    const cases: Array<[Record<string, string>, string]> = [
      [{ scope: 'devices', target: 'ups-c1, nobody' }, 'no device named nobody'],
      [{ scope: 'profile', target: 'no-such-profile' }, 'unknown profile &quot;no-such-profile&quot;; known: apc-rpdu'],
      [{ scope: 'site', target: 'dc1', durationMinutes: '0' }, 'the duration must be a whole number from 1 to 525600'],
    ];
    for (const [fields, message] of cases) {
      await admin.post('/console/maintenance', { startsInMinutes: '0', durationMinutes: '60', reason: 'x', ...fields });
      expect(await flash(admin, '/console/maintenance')).toContain(message);
    }
    expect((await viewer.post('/console/maintenance', { scope: 'site', target: 'dc1', startsInMinutes: '0', durationMinutes: '5', reason: 'x' })).statusCode).toBe(403);
    expect(await count()).toBe(before);
  });
});

describe('readings and thresholds', () => {
  it('shows a device\'s readings with a chart of their stored history, and the thresholds its profile sets', async () => {
    const now = Date.now();
    const sample = (value: number) => [
      { reading: 'temperature', instance: '1', label: '<b>rack 3</b>', unit: 'celsius', value, state: null },
      { reading: 'door', instance: '1', label: 'front', unit: 'state', value: 1, state: 'closed' },
    ];
    [20, 21.5, 23.5].forEach((value, i) => t.running.store.readings.record(sensorId, sample(value), now - (2 - i) * 60_000));
    const body = (await admin.get(`/console/devices/${sensorId}`)).body;
    expect(body).toMatch(/<svg class="chart"[^>]*role="img"[^>]*><title>Temperature &lt;b&gt;rack 3&lt;\/b&gt;: 3 points, from 20 °C to 23.5 °C<\/title><polyline points="[\d., ]+"/);
    expect(body).toContain('closed');
    expect(body).not.toContain('<b>rack 3</b>');
    // netbotz.yaml: warning above 27, critical above 32 °C.
    expect(body).toContain('above 27');
    expect(body).toContain('above 32');
  });
});
