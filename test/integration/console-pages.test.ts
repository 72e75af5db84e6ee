// Every console page through app.inject(): what it shows, masking for partners, escaping of
// device text, bad input, the served assets and the headers pages carry.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMUNICATION_LOST } from '../../src/alarms/model.js';
import { signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';

// This file's devices live on 127.0.241.0/24; they are stored, never contacted.
const HIDDEN = '127.0.241.20';
let t: TestDaemon;
let admin: ConsoleClient;
let partner: ConsoleClient;
let lostId: number;
let hostileId: number;

const HOSTILE_NAME = '<script>alert("name")</script>';
const HOSTILE_DESCR = '"><img src=x onerror=alert(1)>';

beforeAll(async () => {
  t = await startTestDaemon();
  const { store } = t.running;
  const now = Date.now();
  // A device that stopped answering: its address is in its errors too.
  lostId = store.devices.insert(newDevice({ name: 'pdu-b7', address: HIDDEN, port: 1161 })).id;
  store.devices.recordScan(lostId, { at: now, durationMs: 3000, ok: false, reachable: false, error: `no answer from ${HIDDEN}:1161 after 2 tries` });
  store.devices.recordRegistration(lostId, { at: now, state: 'failed', error: `no answer from ${HIDDEN}` });
  store.alarms.raise(lostId, COMMUNICATION_LOST, now);
  // A device whose own texts are markup.
  hostileId = store.devices.insert(newDevice({ name: HOSTILE_NAME, address: '127.0.241.21' })).id;
  store.devices.setResolvedProfile(hostileId, 'priscan-sim', '1.3.6.1.4.1.32473.1.3.1', HOSTILE_DESCR);
  store.alarms.raise(hostileId, { key: 'sim:1:"><b>', severity: 'warning', code: 'sim.<i>x</i>', description: HOSTILE_DESCR }, now);
  store.alarms.clear(hostileId, 'sim:1:"><b>', now + 1);
  store.alarms.raise(hostileId, { key: 'sim:2', severity: 'info', code: 'sim.301', description: `<script>alert("descr")</script>` }, now + 2);
  admin = await signIn(t.running.http, t.adminToken);
  partner = await signIn(t.running.http, t.running.tokens.create({ role: 'partner', name: 'colo-partner' }).token);
});

afterAll(async () => {
  await t?.stop();
});

/** A page's text without its tags. */
const textOf = (body: string) => body.replace(/<[^>]+>/g, '');
const pages = () => ['/console/', '/console/alarms', '/console/devices', `/console/devices/${lostId}`, `/console/devices/${hostileId}`, '/console/history', `/console/history?device=pdu-b7`, '/console/licenses'];

describe('pages', () => {
  it('shows each page to an admin, with the device data it is about', async () => {
    const expected: Record<string, string[]> = {
      '/console/': ['Communication lost', 'pdu-b7', '<strong>2</strong> of <strong>5</strong> licensed nodes', 'since'],
      '/console/alarms': ['Communication with the device lost', 'priscan.communicationLost', 'data-alarm'],
      '/console/devices': ['pdu-b7', HIDDEN, 'failed'],
      [`/console/devices/${lostId}`]: [HIDDEN, 'port 1161', 'no answer from', 'Recent events', 'Scan now'],
      '/console/history': ['cleared', 'raised'],
      '/console/licenses': ['Installed keys', 'Add key', '02:00:5e:10:20:30'],
    };
    for (const [url, texts] of Object.entries(expected)) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(200);
      for (const text of texts) expect(res.body, `${url} shows ${text}`).toContain(text);
    }
    expect((await admin.get('/console/tokens')).body).toContain('colo-partner');
  });

  it('shows every time as UTC text in a <time> with the instant, for the page to localize', async () => {
    const body = (await admin.get('/console/alarms')).body;
    expect(body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>/);
  });

  it('filters and sorts the active alarms, and pages the history by event id', async () => {
    const critical = (await admin.get('/console/alarms?severity=critical')).body;
    expect(textOf(critical)).toContain('1 active alarm: 1 critical, 0 warning, 0 info');
    expect(textOf((await admin.get('/console/alarms')).body)).toContain('2 active alarms: 1 critical, 0 warning, 1 info');
    expect(critical).not.toContain(`data-alarm="${hostileId}/`);
    const byDevice = (await admin.get('/console/alarms?sort=device&dir=asc')).body;
    expect(byDevice.indexOf('data-alarm="' + hostileId)).toBeLessThan(byDevice.indexOf('data-alarm="' + lostId));
    const older = (await admin.get('/console/history?before=3')).body;
    expect(older.match(/<td class="num">(\d+)<\/td>/g)).toEqual(['<td class="num">2</td>', '<td class="num">1</td>']);
    expect((await admin.get('/console/history?kind=clear')).body.match(/<td class="num">/g)).toHaveLength(1);
  });

  it('renders one live row for a raise, or nothing when it is cleared, filtered out or unknown', async () => {
    const row = await admin.get(`/console/alarms/row?id=${lostId}&key=${encodeURIComponent(COMMUNICATION_LOST.key)}`);
    expect(row.statusCode).toBe(200);
    expect(row.body).toMatch(new RegExp(`^<tr class="row-critical" data-alarm="${lostId}/priscan:communication-lost" data-rank="2" data-raised="\\d+" data-device="pdu-b7"`));
    expect(row.body).toContain(HIDDEN);
    expect((await partner.get(`/console/alarms/row?id=${lostId}&key=${encodeURIComponent(COMMUNICATION_LOST.key)}`)).body).not.toContain(HIDDEN);
    const none = [
      `/console/alarms/row?id=${lostId}&key=${encodeURIComponent(COMMUNICATION_LOST.key)}&severity=info`,
      `/console/alarms/row?id=${hostileId}&key=${encodeURIComponent('sim:1:"><b>')}`,
      `/console/alarms/row?id=999999&key=x`,
    ];
    for (const url of none) expect((await admin.get(url)).statusCode, url).toBe(204);
    const hostile = (await admin.get(`/console/alarms/row?id=${hostileId}&key=sim%3A2`)).body;
    expect(hostile).not.toContain('<script>');
    expect(hostile).toContain(`data-device="&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;"`);
  });

  it('masks every device address for a partner, on every page, also inside error texts', async () => {
    for (const url of pages()) {
      const res = await partner.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toMatch(/127\.0\.241\.\d+/);
      expect(res.body, url).not.toContain('port 1161');
    }
    expect((await partner.get(`/console/devices/${lostId}`)).body).toContain('no answer from x.x.241.20');
    expect((await partner.get('/console/')).body).toContain('x.x.241.20');
  });

  it('escapes device text everywhere it is shown', async () => {
    for (const url of [...pages(), `/console/alarms?device=${encodeURIComponent(HOSTILE_NAME)}`]) {
      const body = (await admin.get(url)).body;
      expect(body, url).not.toContain('<script>alert');
      expect(body, url).not.toContain('<img src=x');
      expect(body, url).not.toContain('<i>x</i>');
      expect(body, url).not.toContain('"><b>');
    }
    const device = (await admin.get(`/console/devices/${hostileId}`)).body;
    expect(device).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    expect(device).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('bad requests', () => {
  it('answers a bad filter, id or path with an HTML page that says what is wrong', async () => {
    const cases: Array<[string, number, string]> = [
      ['/console/alarms?severity=bogus', 400, 'query: severity: Invalid option'],
      ['/console/alarms?sort=password', 400, 'query: sort: Invalid option'],
      ['/console/devices/abc', 400, 'path: id: must be a number'],
      ['/console/devices/999999', 404, 'no device with id 999999'],
      ['/console/history?before=-1', 400, 'query: before: must be a number'],
      ['/console/devices?page=x', 400, 'query: page: must be a number'],
      ['/console/no-such-page', 404, 'There is no page /console/no-such-page'],
      ['/console/alarms/acknowledge?device=999999&key=x', 404, 'That alarm is not active'],
      ['/console/assets/secrets.txt', 404, 'no such console file'],
    ];
    for (const [url, status, text] of cases) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain(text);
    }
  });

  it('refuses bodies that are no form, or too large, with an HTML page', async () => {
    const json = await t.running.http.inject({ method: 'POST', url: '/console/tokens', headers: { cookie: admin.cookie, 'content-type': 'application/json' }, payload: { name: 'x', role: 'admin', _csrf: admin.csrf } });
    expect(json.statusCode).toBe(403);
    const large = await admin.post('/console/licenses', { key: 'k'.repeat(70_000) });
    expect(large.statusCode).toBe(413);
    expect(large.headers['content-type']).toMatch(/^text\/html/);
    expect(t.running.licenses.list()).toHaveLength(0);
  });
});

describe('what the browser gets', () => {
  it('sends every page with a strict content security policy, no framing and no caching', async () => {
    for (const res of [await admin.get('/console/alarms'), await t.running.http.inject({ method: 'GET', url: '/console/sign-in' })]) {
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).not.toMatch(/<script>|style="/);
    }
  });

  it('serves htmx from its package and its own stylesheet and script, under versioned URLs', async () => {
    const page = (await admin.get('/console/')).body;
    const urls = [...page.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toHaveLength(3);
    const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
    for (const url of urls) {
      const res = await t.running.http.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control']).toContain('immutable');
      if (url.includes('htmx')) expect(res.rawPayload.equals(htmx)).toBe(true);
    }
    expect(page).not.toMatch(/https?:\/\/(?!localhost)/);
  });
});
