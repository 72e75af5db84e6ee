// The full API through app.inject(): every route's happy path, each role on each route,
// partner masking, and no credential in any response body of the whole file.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS } from '../../src/http/errors.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, TEST_MAC, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.35.0/24.
const PORT = 16180;
const READ = 'rd-secret-7731';
const WRITE = 'wr-secret-7732';
const NOTIFY = 'nt-secret-7733';
const V3_AUTH = 'v3-auth-secret-7734';
const V3_PRIV = 'v3-priv-secret-7735';

let t: TestDaemon;
let fleet: Fleet;
const tokens: Record<'admin' | 'viewer' | 'partner', string> = { admin: '', viewer: '', partner: '' };
/** Every response body this file saw, checked for credentials at the end. */
const bodies: string[] = [];

async function call(method: string, url: string, role: keyof typeof tokens | 'none' = 'admin', payload?: unknown) {
  const res = await t.running.http.inject({
    method: method as 'GET',
    url,
    headers: role === 'none' ? {} : { authorization: `Bearer ${tokens[role]}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  bodies.push(res.body);
  const json = res.headers['content-type']?.toString().startsWith('application/json') ? (JSON.parse(res.body) as Record<string, unknown>) : {};
  return { status: res.statusCode, body: json, text: res.body };
}

const sim = (n: number) => fleet.devices[n - 1]!;
const deviceBody = (name: string, address: string, extra: Record<string, unknown> = {}) => ({
  name,
  address,
  port: PORT,
  timeoutMs: 500,
  retries: 0,
  snmp: { version: '2c', readCommunity: READ, writeCommunity: WRITE, notifyCommunity: NOTIFY },
  ...extra,
});

beforeAll(async () => {
  t = await startTestDaemon({}, { licensedNodes: 20 });
  tokens.admin = t.adminToken;
  tokens.viewer = t.running.tokens.create({ role: 'viewer', name: 'viewer' }).token;
  tokens.partner = t.running.tokens.create({ role: 'partner', name: 'partner' }).token;
  fleet = new Fleet({
    devices: [{ kind: 'ups', count: 2 }, { kind: 'sim', count: 2 }],
    baseAddress: '127.0.35.1',
    port: PORT,
    readCommunity: READ,
    writeCommunity: WRITE,
    apcTrapPort: t.running.intake.port,
  });
  await fleet.start();
  for (const [i, name] of ['ups-1', 'ups-2', 'sim-1'].entries()) {
    expect((await call('POST', '/api/v1/devices', 'admin', deviceBody(name, sim(i + 1).address))).status).toBe(201);
  }
  await until('registration', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable));
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

const idOf = (name: string) => t.running.store.devices.getByName(name)!.id;

describe('devices', () => {
  it('dry run reports what auto would choose, or that nothing answers, and adds nothing', async () => {
    const before = t.running.store.devices.count();
    const ok = await call('POST', '/api/v1/devices?dryRun=true', 'admin', deviceBody('probe', sim(4).address));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ dryRun: true, reachable: true, autoProfile: 'priscan-sim', error: null });
    expect(ok.body.sysObjectId).toMatch(/^1\.3\.6\.1\.4\.1\.32473\./);
    const dead = await call('POST', '/api/v1/devices?dryRun=true', 'admin', deviceBody('probe', '127.0.35.250', { timeoutMs: 200 }));
    expect(dead.body).toMatchObject({ dryRun: true, reachable: false, autoProfile: null });
    expect(dead.body.error).toMatch(/no answer from 127\.0\.35\.250/);
    expect(t.running.store.devices.count()).toBe(before);
  });

  it('lists with filters by status, profile and alarm severity', async () => {
    const names = async (query: string) => ((await call('GET', `/api/v1/devices${query}`)).body.devices as Array<{ name: string }>).map((d) => d.name).sort();
    expect(await names('')).toEqual(['sim-1', 'ups-1', 'ups-2']);
    expect(await names('?profile=rfc1628-ups')).toEqual(['ups-1', 'ups-2']);
    expect(await names('?status=up')).toEqual(['sim-1', 'ups-1', 'ups-2']);
    expect(await names('?status=down')).toEqual([]);
    sim(1).raise('onBattery');
    await until('ups-1 alarm', () => t.running.store.alarms.active({ deviceId: idOf('ups-1') }).length > 0);
    expect(await names('?severity=warning')).toEqual(['ups-1']);
    expect((await call('GET', '/api/v1/devices?status=sideways')).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('gets one device with its state, and 404s an unknown id', async () => {
    const res = await call('GET', `/api/v1/devices/${idOf('ups-1')}`);
    expect(res.body).toMatchObject({ name: 'ups-1', address: sim(1).address, port: PORT, resolvedProfile: 'rfc1628-ups', monitoring: 'monitored' });
    expect(res.body.state).toMatchObject({ reachable: true, registration: 'registered' });
    expect((await call('GET', '/api/v1/devices/999999')).body).toMatchObject({ error: { code: 'DEVICE_NOT_FOUND' } });
  });

  it('PATCH to a new address moves the registration to the new device', async () => {
    const id = idOf('ups-2');
    expect(sim(2).status().managers).toHaveLength(1);
    const res = await call('PATCH', `/api/v1/devices/${id}`, 'admin', { address: sim(4).address, profile: 'auto' });
    expect(res.status).toBe(200);
    // What the PATCH did not name is kept, not reset to defaults.
    expect(res.body).toMatchObject({ address: sim(4).address, port: PORT, timeoutMs: 500, retries: 0 });
    await until('registration on the new address', () => sim(4).status().managers.length === 1);
    // auto resolves again: the new address is another kind of device.
    await until('the profile resolved again', () => t.running.store.devices.get(id)?.resolvedProfile === 'priscan-sim');
    expect(sim(2).status().managers).toEqual([]);
    expect((await call('PATCH', `/api/v1/devices/${id}`, 'admin', {})).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('PATCH refused by the store (address or name taken) leaves the device and its registration alone', async () => {
    const id = idOf('ups-1');
    const taken = await call('PATCH', `/api/v1/devices/${id}`, 'admin', { address: sim(3).address });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: { code: 'DEVICE_EXISTS' } });
    expect((await call('PATCH', `/api/v1/devices/${id}`, 'admin', { name: 'sim-1' })).status).toBe(409);
    expect(t.running.store.devices.get(id)).toMatchObject({ name: 'ups-1', address: sim(1).address });
    expect(sim(1).status().managers).toHaveLength(1);
    expect((await call('PATCH', '/api/v1/devices/999999', 'admin', { timeoutMs: 900 })).body).toMatchObject({ error: { code: 'DEVICE_NOT_FOUND' } });
  });

  it('keeps a v3 device\'s passwords write-only: shown by user and protocols, patched by field', async () => {
    const v3 = { version: '3', user: 'pdu-admin', level: 'authPriv', authProtocol: 'sha512', authPassword: V3_AUTH, privProtocol: 'aes256', privPassword: V3_PRIV };
    const created = await call('POST', '/api/v1/devices', 'admin', deviceBody('pdu-v3', '127.0.35.240', { snmp: v3, priorityScanning: false }));
    expect(created.status).toBe(201);
    expect(created.body.snmp).toEqual({ version: '3', user: 'pdu-admin', level: 'authPriv', authProtocol: 'sha512', privProtocol: 'aes256' });
    const id = created.body.id as number;
    const lowered = await call('PATCH', `/api/v1/devices/${id}`, 'admin', { snmp: { level: 'authNoPriv' } });
    expect(lowered.body.snmp).toEqual({ version: '3', user: 'pdu-admin', level: 'authNoPriv', authProtocol: 'sha512' });
    expect(t.running.store.devices.get(id)?.snmp).toEqual({ version: '3', usm: { name: 'pdu-admin', level: 'authNoPriv', authProtocol: 'sha512', authPassword: V3_AUTH }, contextName: null });
    const refused = await call('PATCH', `/api/v1/devices/${id}`, 'admin', { snmp: { privProtocol: 'aes128' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/body\.snmp.*authNoPriv takes no privProtocol/) } });
    expect((await call('GET', `/api/v1/devices/${id}`, 'partner')).body.snmp).toBeUndefined();
    expect((await call('DELETE', `/api/v1/devices/${id}`)).status).toBe(200);
  });

  it('scans and registers on request', async () => {
    const before = await t.metric('priscan_scans_total', { trigger: 'manual' });
    const scan = await call('POST', `/api/v1/devices/${idOf('sim-1')}/scan`);
    expect(scan.status).toBe(202);
    expect(scan.body.scan).toBe('queued');
    await until('the manual scan', async () => (await t.metric('priscan_scans_total', { trigger: 'manual' })) > before);
    const register = await call('POST', `/api/v1/devices/${idOf('sim-1')}/register`);
    expect(register).toMatchObject({ status: 202, body: { registration: 'queued' } });
  });

  it('deletes a device after removing its registration', async () => {
    const id = idOf('sim-1');
    expect(sim(3).status().managers).toHaveLength(1);
    const res = await call('DELETE', `/api/v1/devices/${id}`);
    expect(res.body).toEqual({ deleted: id, deregistrationError: null });
    expect(sim(3).status().managers).toEqual([]);
    expect((await call('DELETE', `/api/v1/devices/${id}`)).status).toBe(404);
  });
});

describe('alarms', () => {
  it('filters active alarms by severity, device and time', async () => {
    await until('ups-1 alarm', () => t.running.store.alarms.active({ deviceId: idOf('ups-1') }).length > 0);
    const get = async (q: string) => (await call('GET', `/api/v1/alarms${q}`)).body.alarms as Array<{ device: string; code: string }>;
    expect((await get('?device=ups-1')).map((a) => a.code)).toContain('ups.onBattery');
    expect(await get('?severity=critical')).toEqual([]);
    expect(await get(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect((await get('?since=2020-01-01T00:00:00Z')).length).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/alarms?device=nobody')).body).toMatchObject({ error: { code: 'DEVICE_NOT_FOUND' } });
    expect((await call('GET', '/api/v1/alarms?since=yesterday')).status).toBe(400);
  });

  it('pages through the history by id, per device, under both names', async () => {
    sim(1).clear('onBattery');
    await until('cleared', () => t.running.store.alarms.active({ deviceId: idOf('ups-1') }).length === 0);
    const first = await call('GET', '/api/v1/alarms/history?after=0&limit=1');
    const events = first.body.events as Array<{ id: number; kind: string }>;
    expect(events).toHaveLength(1);
    const next = await call('GET', `/api/v1/alarms/history?after=${first.body.lastId}&limit=1000&device=ups-1`);
    expect((next.body.events as Array<{ id: number }>).every((e) => e.id > events[0]!.id)).toBe(true);
    expect((await call('GET', '/api/v1/events?after=0')).body.events).toEqual((await call('GET', '/api/v1/alarms/history?after=0')).body.events);
  });
});

describe('licenses and about', () => {
  it('names the server identity keys are bound to', async () => {
    expect((await call('GET', '/api/v1/about', 'viewer')).body).toMatchObject({ name: 'priscan', serverId: TEST_MAC, serverIdError: null });
  });

  it('lists keys by fingerprint only, with usage', async () => {
    const res = await call('GET', '/api/v1/licenses', 'viewer');
    const [license] = res.body.licenses as Array<{ fingerprint: string; nodes: number }>;
    expect(license).toMatchObject({ nodes: 20 });
    expect(license!.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(res.body.usage).toMatchObject({ serverId: TEST_MAC, included: 5, licensed: 25, unlicensed: 0 });
    expect((await call('GET', '/api/v1/licenses/usage')).body).toEqual(res.body.usage);
  });

  it('refuses a bad key with its reason, and a removed key is gone', async () => {
    const bad = await call('POST', '/api/v1/licenses', 'admin', { key: 'not-a-key' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'LICENSE_KEY_INVALID' } });
    expect((await call('DELETE', '/api/v1/licenses/ffffffff')).body).toMatchObject({ error: { code: 'LICENSE_NOT_FOUND' } });
  });
});

describe('system routes', () => {
  it.each(['/healthz', '/readyz', '/metrics', '/docs', '/docs/json'])('%s answers without a token', async (url) => {
    expect((await call('GET', url, 'none')).status).toBe(200);
  });

  it('documents every route as valid OpenAPI 3.1, with every error code from the catalogue', async () => {
    const doc = (await call('GET', '/docs/json', 'none')).body;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const codes = JSON.stringify(doc);
    for (const code of Object.keys(API_ERROR_STATUS)) expect(codes).toContain(code);
  });
});

describe('roles', () => {
  const reads = ['/api/v1/devices', '/api/v1/alarms', '/api/v1/alarms/history', '/api/v1/events', '/api/v1/licenses', '/api/v1/licenses/usage', '/api/v1/about'];
  const changes: Array<[string, string, unknown]> = [
    ['POST', '/api/v1/devices', deviceBody('x', '127.0.35.99')],
    ['PATCH', '/api/v1/devices/ID', { timeoutMs: 900 }],
    ['DELETE', '/api/v1/devices/ID', undefined],
    ['POST', '/api/v1/devices/ID/scan', undefined],
    ['POST', '/api/v1/devices/ID/register', undefined],
    ['POST', '/api/v1/licenses', { key: 'x' }],
    ['DELETE', '/api/v1/licenses/ffffffff', undefined],
  ];

  it.each(reads)('GET %s: 401 without a token, 200 for every role', async (url) => {
    expect((await call('GET', url, 'none')).status).toBe(401);
    for (const role of ['admin', 'viewer', 'partner'] as const) expect((await call('GET', url, role)).status, role).toBe(200);
  });

  it.each(changes)('%s %s: viewer and partner get 403 and change nothing', async (method, url, payload) => {
    const path = url.replace('ID', String(idOf('ups-1')));
    const before = JSON.stringify(t.running.store.devices.list());
    for (const role of ['viewer', 'partner'] as const) {
      const res = await call(method, path, role, payload);
      expect(res.status, role).toBe(403);
      expect(res.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect((await call(method, path, 'none', payload)).status).toBe(401);
    expect(JSON.stringify(t.running.store.devices.list())).toBe(before);
  });

  it('shows partners masked addresses and no SNMP settings', async () => {
    const [device] = (await call('GET', '/api/v1/devices', 'partner')).body.devices as Array<Record<string, unknown>>;
    expect(device!.address).toMatch(/^x\.x\.35\.\d+$/);
    for (const hidden of ['port', 'snmp', 'timeoutMs', 'retries']) expect(device).not.toHaveProperty(hidden);
    const one = (await call('GET', `/api/v1/devices/${idOf('ups-1')}`, 'partner')).body;
    expect(one.address).toBe(`x.x.${sim(1).address.split('.').slice(2).join('.')}`);
  });

  it('puts /metrics behind a token when the config says so', async () => {
    const locked = await startTestDaemon({ http: { listen: { address: '127.0.0.1', port: 0 }, metricsRequireToken: true } });
    try {
      expect((await locked.api('GET', '/metrics', undefined, {})).status).toBe(401);
      const res = await locked.running.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${locked.adminToken}` } });
      expect(res.statusCode).toBe(200);
    } finally {
      await locked.stop();
    }
  });
});

describe('credentials', () => {
  it('never appear in any response body of this file', () => {
    // The issuer secret is test/helpers/daemon.ts's text (api-access.test.ts proves a key made from it verifies).
    const issuerSecretText = 'test issuer secret, not for production use';
    const secrets = [READ, WRITE, NOTIFY, V3_AUTH, V3_PRIV, issuerSecretText, tokens.admin, tokens.viewer, tokens.partner, t.running.store.settings.get('notification-community')];
    expect(bodies.length).toBeGreaterThan(50);
    for (const secret of secrets) {
      expect(secret).toBeTruthy();
      expect(bodies.filter((b) => b.includes(secret!)), `a response held ${secret!.slice(0, 4)}…`).toEqual([]);
    }
  });
});
