// The console's sign-in, sessions, CSRF protection and roles, through app.inject(): who may see
// and change what, and that a refused form changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieValue, formBody, hiddenField, OWN_ORIGIN, signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';

// This file's devices live on 127.0.241.0/24; they are stored, never contacted.
let t: TestDaemon;
let admin: ConsoleClient;
let viewer: ConsoleClient;
let viewerToken: string;
let deviceId: number;

const tokenNames = () => t.running.tokens.list().map((token) => token.name);
const licenseCount = () => t.running.licenses.list().length;
const manualScans = () => t.metric('priscan_scan_requests_total', { trigger: 'manual' });

beforeAll(async () => {
  t = await startTestDaemon();
  // Licensing a key starts monitoring it: a short timeout keeps the daemon's stop quick.
  deviceId = t.running.store.devices.insert(newDevice({ name: 'ups-a1', address: '127.0.241.10', timeoutMs: 200, retries: 0, priorityScanning: false })).id;
  viewerToken = t.running.tokens.create({ role: 'viewer', name: 'noc-wall' }).token;
  admin = await signIn(t.running.http, t.adminToken);
  viewer = await signIn(t.running.http, viewerToken);
});

afterAll(async () => {
  await t?.stop();
});

describe('sign-in and sessions', () => {
  it('sends / and every console page to the sign-in page until signed in', async () => {
    const root = await t.running.http.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/console/');
    for (const url of ['/console/', '/console/alarms?severity=critical', `/console/devices/${deviceId}`, '/console/tokens']) {
      const res = await t.running.http.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/console/sign-in?${new URLSearchParams({ next: url })}`);
    }
  });

  it('answers htmx requests without a session with a 401 that navigates to the sign-in page', async () => {
    const res = await t.running.http.inject({ method: 'GET', url: '/console/alarms', headers: { 'hx-request': 'true' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['hx-redirect']).toMatch(/^\/console\/sign-in\?next=/);
  });

  it('signs in with a valid token: an HttpOnly, SameSite=Strict session cookie for the whole site, not the token', async () => {
    const form = await t.running.http.inject({ method: 'GET', url: '/console/sign-in?next=/console/devices' });
    expect(form.statusCode).toBe(200);
    const nonce = cookieValue(form, 'priscan_signin')!;
    const res = await t.running.http.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: `priscan_signin=${nonce}`, 'content-type': 'application/x-www-form-urlencoded', origin: OWN_ORIGIN },
      payload: formBody({ _signin: hiddenField(form.body, '_signin')!, next: hiddenField(form.body, 'next')!, token: t.adminToken }),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/devices');
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('priscan_session='))!;
    expect(setCookie).toMatch(/; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(t.adminToken);
  });

  it('marks the cookie Secure when the page is https (a proxy ending TLS), and takes its forms', async () => {
    const httpsOrigin = OWN_ORIGIN.replace('http:', 'https:');
    const form = await t.running.http.inject({ method: 'GET', url: '/console/sign-in' });
    const res = await t.running.http.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: `priscan_signin=${cookieValue(form, 'priscan_signin')}`, 'content-type': 'application/x-www-form-urlencoded', origin: httpsOrigin },
      payload: formBody({ _signin: hiddenField(form.body, '_signin')!, token: t.adminToken }),
    });
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('priscan_session='))!;
    expect(setCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    const session = await signIn(t.running.http, t.adminToken);
    expect((await session.post('/console/sign-out', {}, { origin: httpsOrigin })).statusCode).toBe(303);
  });

  it('refuses a wrong token with the reason, and sets no session', async () => {
    const form = await t.running.http.inject({ method: 'GET', url: '/console/sign-in' });
    const res = await t.running.http.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: `priscan_signin=${cookieValue(form, 'priscan_signin')}`, 'content-type': 'application/x-www-form-urlencoded', origin: OWN_ORIGIN },
      payload: formBody({ _signin: hiddenField(form.body, '_signin')!, token: `psk_${'A'.repeat(43)}` }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('That token is not valid');
    expect(cookieValue(res, 'priscan_session')).toBeUndefined();
  });

  it('refuses a sign-in form from another site or without its browser cookie (login CSRF)', async () => {
    const form = await t.running.http.inject({ method: 'GET', url: '/console/sign-in' });
    const nonce = cookieValue(form, 'priscan_signin')!;
    const post = (headers: Record<string, string>) =>
      t.running.http.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: formBody({ _signin: nonce, token: t.adminToken }) });
    for (const res of [await post({ origin: OWN_ORIGIN }), await post({ cookie: `priscan_signin=${nonce}`, origin: 'http://evil.example' })]) {
      expect(res.statusCode).toBe(403);
      expect(cookieValue(res, 'priscan_session')).toBeUndefined();
    }
  });

  it('never sends a sign-in elsewhere: an outside next= is dropped', async () => {
    for (const next of ['https://evil.example/', '//evil.example/console/', '/console/../x', '/api/v1/tokens']) {
      const res = await t.running.http.inject({ method: 'GET', url: `/console/sign-in?${new URLSearchParams({ next })}` });
      expect(hiddenField(res.body, 'next')).toBeUndefined();
    }
  });

  it('signs out: the cookie is cleared and the old session no longer works', async () => {
    const session = await signIn(t.running.http, t.adminToken);
    const res = await session.post('/console/sign-out');
    expect(res.statusCode).toBe(303);
    expect(cookieValue(res, 'priscan_session')).toBe('');
    expect((await session.get('/console/')).statusCode).toBe(303);
  });

  it('ends the sessions of a revoked token at their next request, and says why', async () => {
    const token = t.running.tokens.create({ role: 'viewer', name: 'temp-viewer' });
    const session = await signIn(t.running.http, token.token);
    expect((await session.get('/console/alarms')).statusCode).toBe(200);
    t.running.tokens.revoke(token.info.id);
    const res = await session.get('/console/alarms');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Falarms&ended=revoked');
    expect(cookieValue(res, 'priscan_session')).toBe('');
    expect((await t.running.http.inject({ method: 'GET', url: res.headers.location as string })).body).toContain('its token was revoked or has expired');
    expect((await session.get('/api/v1/alarms')).statusCode).toBe(401);
  });
});

describe('the session cookie on the API', () => {
  it('opens the read routes for GET (the alarm stream of the console pages)', async () => {
    const res = await viewer.get('/api/v1/alarms');
    expect(res.statusCode).toBe(200);
  });

  it('ends an event stream opened with the cookie when its session signs out', async () => {
    const session = await signIn(t.running.http, viewerToken);
    // Streams are rechecked every 500 ms: ended well within 5 s, or the read below fails.
    const res = await fetch(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: { cookie: session.cookie }, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the opening id line
    expect((await session.post('/console/sign-out')).statusCode).toBe(303);
    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += Buffer.from(chunk.value).toString();
    expect(text).toContain(': closed:');
    expect((await fetch(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('never authorizes a change or an admin route, even for an admin session', async () => {
    const scan = await t.running.http.inject({ method: 'POST', url: `/api/v1/devices/${deviceId}/scan`, headers: { cookie: admin.cookie } });
    expect(scan.statusCode).toBe(401);
    expect((await admin.get('/api/v1/tokens')).statusCode).toBe(401);
  });
});

describe('forms: CSRF and roles', () => {
  it('refuses a form without the CSRF token, with a wrong one, or from another origin, and changes nothing', async () => {
    const before = tokenNames();
    const refused = [
      await admin.post('/console/tokens', { _csrf: null, name: 'forged-1', role: 'admin' }),
      await admin.post('/console/tokens', { _csrf: 'x'.repeat(43), name: 'forged-2', role: 'admin' }),
      await admin.post('/console/tokens', { name: 'forged-3', role: 'admin' }, { origin: 'http://evil.example' }),
      // An old browser that sends no Origin, only a Referer.
      await t.running.http.inject({
        method: 'POST',
        url: '/console/tokens',
        headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', referer: 'http://evil.example/page' },
        payload: formBody({ _csrf: admin.csrf, name: 'forged-4', role: 'admin' }),
      }),
      await admin.post('/console/licenses', { _csrf: viewer.csrf, key: testLicenseKey(5) }),
    ];
    for (const res of refused) {
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Nothing was changed');
    }
    expect(tokenNames()).toEqual(before);
    expect(licenseCount()).toBe(0);
  });

  it('takes a form with the session\'s token from the console\'s own page', async () => {
    const res = await admin.post('/console/tokens', { name: 'grafana', role: 'viewer', expiresInDays: '30' });
    expect(res.statusCode).toBe(201);
    const shown = /id="new-token" class="token" readonly value="(psk_[^"]+)"/.exec(res.body)?.[1];
    expect(t.running.tokens.authenticate(shown!)?.name).toBe('grafana');
    // Shown once: the token list never shows it again.
    expect((await admin.get('/console/tokens')).body).not.toContain(shown);
  });

  it('shows a viewer a 403 page for every admin form and page, and changes nothing', async () => {
    const tokens = tokenNames();
    const scans = await manualScans();
    const forms: Array<[string, Record<string, string>]> = [
      ['/console/tokens', { name: 'by-viewer', role: 'admin' }],
      [`/console/tokens/${t.running.tokens.list()[0]!.id}/revoke`, {}],
      ['/console/licenses', { key: testLicenseKey(5) }],
      ['/console/licenses/1/remove', {}],
      [`/console/devices/${deviceId}/scan`, {}],
      [`/console/devices/${deviceId}/register`, {}],
    ];
    for (const [url, fields] of forms) {
      const res = await viewer.post(url, fields);
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('The viewer role can look but not change anything');
    }
    expect((await viewer.get('/console/tokens')).statusCode).toBe(403);
    expect(tokenNames()).toEqual(tokens);
    expect(licenseCount()).toBe(0);
    expect(await manualScans()).toBe(scans);
    // Nor does a viewer see the admin's controls.
    const page = (await viewer.get(`/console/devices/${deviceId}`)).body;
    expect(page).not.toContain('Scan now');
    expect((await viewer.get('/console/licenses')).body).not.toContain('Add key');
  });

  it('lets an admin add and remove a license key, scan a device and revoke a token', async () => {
    const added = await admin.post('/console/licenses', { key: testLicenseKey(7) });
    expect(added.statusCode).toBe(303);
    const list = await admin.get('/console/licenses');
    expect(list.body).toContain('added: 7 nodes');
    const fingerprint = t.running.licenses.list()[0]!.fingerprint;
    expect((await admin.post(`/console/licenses/${fingerprint}/remove`)).statusCode).toBe(303);
    expect(licenseCount()).toBe(0);

    const scans = await manualScans();
    expect((await admin.post(`/console/devices/${deviceId}/scan`)).headers.location).toBe(`/console/devices/${deviceId}`);
    expect(await manualScans()).toBe(scans + 1);

    const doomed = t.running.tokens.create({ role: 'partner', name: 'doomed' }).info;
    expect((await admin.post(`/console/tokens/${doomed.id}/revoke`)).statusCode).toBe(303);
    expect(tokenNames()).not.toContain('doomed');
  });

  it('shows a refused request\'s reason on the form\'s page and changes nothing', async () => {
    const res = await admin.post('/console/licenses', { key: 'not a key' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/licenses');
    const page = await admin.get('/console/licenses');
    expect(page.body).toMatch(/class="flash flash-error" role="alert">[^<]+</);
    expect(licenseCount()).toBe(0);
    const taken = await admin.post('/console/tokens', { name: 'noc-wall', role: 'viewer' });
    expect(taken.statusCode).toBe(303);
    expect((await admin.get('/console/tokens')).body).toContain('a token named &quot;noc-wall&quot; already exists');
  });
});
