// The parts of the console that show services other branches build (acknowledgements, maintenance
// windows, readings, thresholds): rendered and posted only when the HTTP deps carry the service.
// The services here are recording stand-ins of the ports in src/console/services.ts, so these
// tests pin what the console asks of them; the daemon's real services plug in at the same names.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { AcknowledgementsPort, ConsoleAcknowledgement, ConsoleMaintenanceWindow, ConsoleServices, MaintenancePort, MaintenanceRequest } from '../../src/console/services.js';
import { ConsoleRefusal } from '../../src/console/services.js';
import { buildHttpApp } from '../../src/http/app.js';
import { signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';

// This file's devices live on 127.0.242.0/24; they are stored, never contacted.
let t: TestDaemon;
let app: FastifyInstance;
let admin: ConsoleClient;
let viewer: ConsoleClient;
let upsId: number;

const acks = new Map<string, ConsoleAcknowledgement>();
const ackCalls: unknown[] = [];
const acknowledgements: AcknowledgementsPort = {
  get: (deviceId, key) => acks.get(`${deviceId} ${key}`),
  acknowledge(request) {
    ackCalls.push(request);
    if (request.key === 'gone') throw new ConsoleRefusal('that alarm is no longer active');
    acks.set(`${request.deviceId} ${request.key}`, { by: request.by, comment: request.comment, at: Date.now() });
  },
};

const windows: ConsoleMaintenanceWindow[] = [];
const maintenanceCalls: unknown[] = [];
const maintenance: MaintenancePort = {
  list: () => windows,
  create(request: MaintenanceRequest) {
    maintenanceCalls.push(request);
    const window = { id: windows.length + 1, ...request, createdBy: request.by, endedAt: null };
    windows.unshift(window);
    return window;
  },
  end(id) {
    const window = windows.find((w) => w.id === id && w.endedAt === null);
    if (!window) return false;
    window.endedAt = Date.now();
    return true;
  },
  covers: (device) => windows.some((w) => w.endedAt === null && w.startsAt <= Date.now() && 'devices' in w.scope && w.scope.devices.includes(device.name)),
};

const services: ConsoleServices = {
  acknowledgements,
  maintenance,
  readings: {
    lastValues: () => [
      { reading: 'temperature', instance: '1', label: '<b>rack 3</b>', unit: 'celsius', value: 23.5, state: null, at: Date.now(), description: 'Temperature', stale: false },
      { reading: 'door', instance: '', label: '', unit: 'state', value: 1, state: 'closed', at: Date.now(), description: 'Door', stale: false },
    ],
    history: () => ({ points: [20, 21.5, 23.5].map((value, i) => ({ at: Date.now() - (3 - i) * 60_000, value, state: null })), more: false }),
  },
  thresholds: {
    effective: () => ({ thresholds: [{ reading: 'temperature', level: 'critical', above: 35, hysteresis: 1, forSeconds: 0, scope: 'profile-default' }] }),
  },
};

beforeAll(async () => {
  t = await startTestDaemon();
  const r = t.running;
  upsId = r.store.devices.insert(newDevice({ name: 'ups-c1', address: '127.0.242.10' })).id;
  r.store.alarms.raise(upsId, { key: 'ups:2', severity: 'critical', code: 'ups.onBattery', description: 'UPS on battery' }, Date.now());
  app = buildHttpApp({
    store: r.store,
    devices: r.devices,
    scheduler: r.scheduler,
    licenses: r.licenses,
    bus: r.bus,
    registry: r.metrics.registry,
    tokens: r.tokens,
    clock: systemClock,
    authenticate: (token) => r.tokens.authenticate(token),
    metricsAccess: 'public',
    health: () => ({}),
    ready: () => true,
    about: () => ({ version: 'test', serverId: null, serverIdError: null, snmpEngineId: '' }),
    ...services,
  });
  await app.ready();
  admin = await signIn(app, t.adminToken);
  viewer = await signIn(app, r.tokens.create({ role: 'viewer', name: 'noc' }).token);
});

afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('with every service', () => {
  it('says which services it has, and offers the maintenance page', async () => {
    const body = (await admin.get('/console/')).body;
    expect(body).toContain('data-features="acknowledgements maintenance readings thresholds"');
    expect(body).toContain('href="/console/maintenance"');
    expect(body).toContain('Alarms by state');
  });

  it('lets an admin acknowledge an active alarm with a comment, signed with the token name', async () => {
    const list = (await admin.get('/console/alarms')).body;
    expect(list).toContain(`href="/console/alarms/acknowledge?device=${upsId}&amp;key=ups%3A2"`);
    expect((await viewer.get('/console/alarms')).body).not.toContain('Acknowledge</a>');
    expect((await admin.get(`/console/alarms/acknowledge?device=${upsId}&key=ups%3A2`)).statusCode).toBe(200);
    const res = await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: '  battery test  ' });
    expect(res.headers.location).toBe('/console/alarms');
    expect(ackCalls).toEqual([{ deviceId: upsId, key: 'ups:2', comment: 'battery test', by: 'test-admin' }]);
    expect((await admin.get('/console/alarms')).body).toContain('acknowledged by test-admin');
  });

  it('refuses an acknowledgement from a viewer, without the CSRF token, or without a comment, and asks the service nothing', async () => {
    ackCalls.length = 0;
    expect((await viewer.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: 'x' })).statusCode).toBe(403);
    expect((await admin.post('/console/alarms/acknowledge', { _csrf: null, device: String(upsId), key: 'ups:2', comment: 'x' })).statusCode).toBe(403);
    expect((await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: '   ' })).statusCode).toBe(303);
    expect(ackCalls).toEqual([]);
    // The service's own refusal is shown on the page.
    await admin.post('/console/alarms/acknowledge', { device: String(upsId), key: 'gone', comment: 'x' });
    expect((await admin.get('/console/alarms')).body).toContain('that alarm is no longer active');
  });

  it('starts and ends a maintenance window from the form, and marks the alarms it covers', async () => {
    const before = Date.now();
    const res = await admin.post('/console/maintenance', { scope: 'devices', target: 'ups-c1', startsInMinutes: '0', durationMinutes: '90', reason: 'battery <test>' });
    expect(res.headers.location).toBe('/console/maintenance');
    const request = maintenanceCalls[0] as MaintenanceRequest;
    expect(request).toMatchObject({ scope: { devices: ['ups-c1'] }, reason: 'battery <test>', by: 'test-admin' });
    expect(request.startsAt).toBeGreaterThanOrEqual(before);
    expect(request.endsAt - request.startsAt).toBe(90 * 60_000);
    const page = (await admin.get('/console/maintenance')).body;
    expect(page).toContain('battery &lt;test&gt;');
    expect((await admin.get('/console/alarms')).body).toContain('in maintenance');
    expect((await admin.post('/console/maintenance/1/end')).statusCode).toBe(303);
    expect(windows[0]!.endedAt).not.toBeNull();
  });

  it('refuses a window for an unknown device or with a bad duration, and creates nothing', async () => {
    maintenanceCalls.length = 0;
    await admin.post('/console/maintenance', { scope: 'devices', target: 'ups-c1, nobody', startsInMinutes: '0', durationMinutes: '60', reason: 'x' });
    expect((await admin.get('/console/maintenance')).body).toContain('no device named nobody');
    await admin.post('/console/maintenance', { scope: 'site', target: 'dc1', startsInMinutes: '0', durationMinutes: '0', reason: 'x' });
    expect((await admin.get('/console/maintenance')).body).toContain('the duration must be a whole number from 1 to 525600');
    expect((await viewer.post('/console/maintenance', { scope: 'site', target: 'dc1', startsInMinutes: '0', durationMinutes: '5', reason: 'x' })).statusCode).toBe(403);
    expect(maintenanceCalls).toEqual([]);
  });

  it('shows readings with a chart of their history, and the thresholds that apply', async () => {
    const body = (await admin.get(`/console/devices/${upsId}`)).body;
    expect(body).toMatch(/<svg class="chart"[^>]*role="img"[^>]*><title>Temperature &lt;b&gt;rack 3&lt;\/b&gt;: 3 points, from 20 °C to 23.5 °C<\/title><polyline points="[\d., ]+"/);
    expect(body).toContain('closed');
    expect(body).toContain('above 35');
    expect(body).not.toContain('<b>rack 3</b>');
  });
});

describe('without them', () => {
  it('shows none of their parts, and refuses their pages and forms', async () => {
    const plain = await signIn(t.running.http, t.adminToken);
    const body = (await plain.get(`/console/devices/${upsId}`)).body;
    expect(body).toContain('data-features=""');
    expect(body).not.toContain('Readings');
    expect(body).not.toContain('Thresholds');
    expect((await plain.get('/console/alarms')).body).not.toContain('Acknowledge');
    expect((await plain.get(`/console/alarms/acknowledge?device=${upsId}&key=ups%3A2`)).statusCode).toBe(404);
    expect((await plain.post('/console/alarms/acknowledge', { device: String(upsId), key: 'ups:2', comment: 'x' })).statusCode).toBe(404);
    expect((await plain.post('/console/maintenance', { scope: 'site', target: 'x', startsInMinutes: '0', durationMinutes: '5', reason: 'x' })).statusCode).toBe(404);
  });
});
