// Partners in the console: a partner's session sees what its token sees through the API (its
// scope's devices only, addresses masked unless it is an administrator, nothing without the
// device-data grant), may do on a page only what the API lets it do, loses its access at the next
// request and its live stream at once when a grant is revoked, and its requests are audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../src/alarms/model.js';
import { AlarmStreamClient } from '../helpers/alarm-stream.js';
import { signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.243.0/24; they are stored, never contacted.
const DC1_ADDRESS = '127.0.243.11';
const DC2_ADDRESS = '127.0.243.22';
const GONE_ADDRESS = '127.0.243.33';
const FULL_ADDRESS = /127\.0\.243\.\d+/;

let t: TestDaemon;
let dc1: number;
let dc2: number;
const sessions = {} as Record<'roDc1' | 'adminDc1' | 'noData' | 'revoked', ConsoleClient>;
const partnerIds = { roDc1: 'RO_DC1', adminDc1: 'ADMIN_DC1', noData: 'NO_DATA', revoked: 'REVOKED' } as const;

const alarm = (key: string, description: string): Alarm => ({ key, severity: 'critical', code: `test.${key}`, description });
const manualScans = () => t.metric('priscan_scan_requests_total', { trigger: 'manual' });

beforeAll(async () => {
  t = await startTestDaemon();
  const { store, partners, tokens } = t.running;
  const now = Date.now();
  dc1 = store.devices.insert(newDevice({ name: 'pdu-dc1', address: DC1_ADDRESS, site: 'DC1', profile: 'netbotz', timeoutMs: 200, retries: 0, priorityScanning: false })).id;
  dc2 = store.devices.insert(newDevice({ name: 'pdu-dc2', address: DC2_ADDRESS, site: 'DC2', profile: 'netbotz' })).id;
  // A device removed since: its events stay in the log, where nobody can tell its site.
  const gone = store.devices.insert(newDevice({ name: 'ups-gone', address: GONE_ADDRESS, site: 'DC2' })).id;
  store.alarms.raise(gone, alarm('gone', `no answer from ${GONE_ADDRESS}`), now - 5000);
  store.devices.delete(gone);
  store.alarms.raise(dc1, alarm('dc1', `load high on ${DC1_ADDRESS}`), now - 3000);
  store.alarms.raise(dc2, alarm('dc2', `load high on ${DC2_ADDRESS}`), now - 2000);
  for (const [id, value] of [[dc1, 21], [dc2, 31]] as const) {
    for (let i = 0; i < 2; i++) store.readings.record(id, [{ reading: 'temperature', instance: '1', label: 'inlet', unit: 'celsius', value: value + i, state: null }], now - (2 - i) * 60_000);
  }
  const kinds = {
    roDc1: { administrator: false, deviceData: true, scope: { kind: 'sites', sites: ['DC1'] } },
    adminDc1: { administrator: true, deviceData: true, scope: { kind: 'sites', sites: ['DC1'] } },
    noData: { administrator: false, deviceData: false },
    revoked: { administrator: false, deviceData: true, scope: { kind: 'sites', sites: ['DC1'] } },
  } as const;
  for (const [kind, grants] of Object.entries(kinds) as Array<[keyof typeof kinds, (typeof kinds)[keyof typeof kinds]]>) {
    const partner = partners.create({ name: kind, partnerId: partnerIds[kind], ...grants }, 'host');
    sessions[kind] = await signIn(t.running.http, tokens.create({ role: 'partner', name: `${kind}-token`, partner: partner.id }).token);
  }
});

afterAll(async () => {
  await t?.stop();
});

const devicePages = () => ['/console/', '/console/alarms', '/console/devices', `/console/devices/${dc1}`, '/console/history', '/console/licenses'];

describe('a read-only partner scoped to a site', () => {
  it('sees its site\'s devices, alarms, history and readings on every page, and nothing of the other site', async () => {
    const partner = sessions.roDc1;
    for (const url of devicePages()) {
      const res = await partner.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('pdu-dc2');
      expect(res.body, url).not.toContain('ups-gone');
      expect(res.body, url).not.toContain('load high on x.x.243.22');
    }
    expect((await partner.get('/console/alarms')).body).toContain(`data-alarm="${dc1}/dc1"`);
    expect((await partner.get('/console/devices')).body).toContain('pdu-dc1');
    expect((await partner.get('/console/history')).body).toContain('pdu-dc1');
    // Asked for by name, the other site's device has no events to show.
    expect((await partner.get('/console/history?device=pdu-dc2')).body).not.toContain('<td class="num">');
    expect((await partner.get(`/console/devices/${dc1}`)).body).toMatch(/<svg class="chart"[^>]*><title>Temperature inlet: 2 points/);
    const other = await partner.get(`/console/devices/${dc2}`);
    expect(other.statusCode).toBe(404);
    expect(other.body).toContain(`There is no device with id ${dc2}.`);
    expect((await partner.get(`/console/alarms/row?id=${dc2}&key=dc2`)).statusCode).toBe(204);
    // An admin sees both sites and the removed device's events.
    const history = (await t.running.http.inject({ method: 'GET', url: '/console/history', headers: { cookie: (await signIn(t.running.http, t.adminToken)).cookie } })).body;
    expect(history).toContain('pdu-dc2');
    expect(history).toContain('ups-gone');
  });

  it('sees every address masked, also inside device text', async () => {
    for (const url of devicePages()) expect((await sessions.roDc1.get(url)).body, url).not.toMatch(FULL_ADDRESS);
    expect((await sessions.roDc1.get('/console/alarms')).body).toContain('load high on x.x.243.11');
  });

  it('may use no form that changes anything, and is offered none', async () => {
    const partner = sessions.roDc1;
    const scans = await manualScans();
    const refused: Array<[string, Record<string, string>, string]> = [
      [`/console/devices/${dc1}/scan`, {}, 'partner RO_DC1 has read-only access'],
      ['/console/alarms/acknowledge', { device: String(dc1), key: 'dc1', comment: 'x' }, 'tokens cannot use this page: it is for the customer'],
      ['/console/maintenance', { scope: 'devices', target: 'pdu-dc1', startsInMinutes: '0', durationMinutes: '5', reason: 'x' }, 'cannot use this page'],
      ['/console/tokens', { name: 'by-partner', role: 'admin' }, 'cannot use this page'],
    ];
    for (const [url, fields, text] of refused) {
      const res = await partner.post(url, fields);
      expect(res.statusCode, url).toBe(403);
      expect(res.body, url).toContain(text);
    }
    expect(await manualScans()).toBe(scans);
    expect(t.running.store.alarms.activeAlarm(dc1, 'dc1')?.acknowledgement).toBeUndefined();
    expect((await partner.get('/console/maintenance')).statusCode).toBe(403);
    const page = (await partner.get(`/console/devices/${dc1}`)).body;
    expect(page).not.toContain('Scan now');
    expect(page).not.toContain('Acknowledge');
    expect(page).not.toContain('href="/console/maintenance"');
    expect(page).not.toContain('href="/console/tokens"');
    expect(page).toContain('partner RO_DC1');
  });
});

describe('an administrator partner scoped to a site', () => {
  it('sees its devices\' addresses whole, and scans them as through the API, but acknowledges and plans maintenance nowhere', async () => {
    const partner = sessions.adminDc1;
    const page = (await partner.get(`/console/devices/${dc1}`)).body;
    expect(page).toContain(DC1_ADDRESS);
    expect(page).toContain('Scan now');
    expect(page).not.toContain('Acknowledge');
    const scans = await manualScans();
    expect((await partner.post(`/console/devices/${dc1}/scan`)).headers.location).toBe(`/console/devices/${dc1}`);
    expect(await manualScans()).toBe(scans + 1);
    // Out of its scope: no such device, as the API answers (404), and nothing scanned.
    await partner.post(`/console/devices/${dc2}/scan`);
    expect((await partner.get(`/console/devices/${dc1}`)).body).toContain(`no device with id ${dc2}`);
    expect(await manualScans()).toBe(scans + 1);
    expect((await partner.post('/console/alarms/acknowledge', { device: String(dc1), key: 'dc1', comment: 'x' })).statusCode).toBe(403);
    expect((await partner.post('/console/maintenance', { scope: 'site', target: 'DC1', startsInMinutes: '0', durationMinutes: '5', reason: 'x' })).statusCode).toBe(403);
    expect((await t.api('GET', '/api/v1/maintenance')).body.windows).toEqual([]);
  });
});

describe('a partner without device data', () => {
  it('sees the installation\'s facts and no device data on any page', async () => {
    const partner = sessions.noData;
    const overview = await partner.get('/console/');
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain('no device-data access');
    expect(overview.body).toContain('licensed nodes');
    expect(overview.body).not.toContain('data-live-src');
    for (const body of [overview.body, (await partner.get('/console/licenses')).body]) {
      expect(body).not.toContain('pdu-dc');
      expect(body).not.toMatch(/243\.\d+/);
    }
    for (const url of ['/console/alarms', '/console/devices', `/console/devices/${dc1}`, '/console/history', `/console/alarms/row?id=${dc1}&key=dc1`]) {
      const res = await partner.get(url);
      expect(res.statusCode, url).toBe(403);
      expect(res.body, url).toContain('partner NO_DATA has no API device-data access');
      expect(res.body, url).not.toContain('pdu-dc1');
    }
  });
});

describe('a grant revoked', () => {
  it('ends the partner\'s console access at its next request, and its live stream at once', async () => {
    const partner = sessions.revoked;
    expect((await partner.get('/console/alarms')).statusCode).toBe(200);
    const stream = await AlarmStreamClient.open(t.running.httpUrl, { cookie: partner.cookie });
    let ended = false;
    void stream.finished.then(() => (ended = true));
    // Through the API: the revocation ends the partner's streams at once.
    expect((await t.api('DELETE', `/api/v1/partners/${partnerIds.revoked}/grants/device-data`)).status).toBe(200);
    await until('the partner\'s console stream to end', () => ended, 5000);
    expect((await partner.get('/console/alarms')).statusCode).toBe(403);
    expect((await partner.get('/api/v1/alarms')).statusCode).toBe(403);
    await stream.close();
  });

  it('also when revoked on the host (no API call): its stream ends at the next periodic check', async () => {
    const partner = sessions.roDc1;
    const stream = await AlarmStreamClient.open(t.running.httpUrl, { cookie: partner.cookie });
    let ended = false;
    void stream.finished.then(() => (ended = true));
    t.running.partners.setGrant(partnerIds.roDc1, 'device-data', false, 'host');
    // Streams are checked every 500 ms; the bound is for a loaded machine.
    await until('the partner\'s console stream to end', () => ended, 5000);
    expect((await partner.get(`/console/devices/${dc1}`)).statusCode).toBe(403);
    await stream.close();
    t.running.partners.setGrant(partnerIds.roDc1, 'device-data', true, 'host');
  });
});

describe('the audit log', () => {
  it('holds each console request of a partner, as it holds its API requests', async () => {
    const before = t.running.store.audit.list({ after: 0, limit: 1000 }).at(-1)?.id ?? 0;
    const partner = sessions.adminDc1;
    await partner.get(`/console/devices/${dc1}`);
    await partner.get(`/console/devices/${dc2}`);
    await partner.post('/console/alarms/acknowledge', { device: String(dc1), key: 'dc1', comment: 'x' });
    await signIn(t.running.http, t.running.tokens.create({ role: 'partner', name: 'late-token', partner: t.running.partners.find(partnerIds.adminDc1)!.id }).token);
    const lines = t.running.store.audit
      .list({ after: before, limit: 1000 })
      .filter((e) => e.partnerId === partnerIds.adminDc1)
      .map((e) => `${e.actorToken} ${e.action} ${e.target} ${e.status}`);
    expect(lines).toEqual([
      `adminDc1-token GET /console/devices/:id /console/devices/${dc1} 200`,
      `adminDc1-token GET /console/devices/:id /console/devices/${dc2} 404`,
      'adminDc1-token POST /console/alarms/acknowledge /console/alarms/acknowledge 403',
      'late-token POST /console/sign-in /console/sign-in 303',
      // The overview signIn() loads after signing in.
      'late-token GET /console /console/ 200',
    ]);
  });
});
