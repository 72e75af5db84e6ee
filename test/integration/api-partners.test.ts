// Every route of the API, as /docs/json lists them, called by the tokens of six partners: read-only
// and administrator, with and without API device data, over all devices or one site. Devices in a
// partner's scope answer, devices outside it are not found (404, as if they did not exist), grants
// not held are refused (403) and change nothing. No answer to a read-only partner holds a full
// device address (bodies, errors, the event stream); a grant revoked or a scope changed ends the
// partner's open streams; everything a partner does is in the audit log.
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/access/audit.js';
import { Partners } from '../../src/access/partners.js';
import { systemClock } from '../../src/clock.js';
import type { Access, PartnerUse } from '../../src/http/route.js';
import { SqliteStore } from '../../src/store/store.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.230.0/24.
const NET = '127.0.230.';
const PORT = 16231;
const READ = 'rd-partner-3310';
const WRITE = 'wr-partner-3311';

/** Devices named dc1-… stand at site DC1, dc2-… at DC2, others nowhere: what the site field will say. */
const siteByName = (device: object): string | null => {
  const name = (device as { name?: unknown }).name;
  return typeof name === 'string' && /^dc[12]-/.test(name) ? name.slice(0, 3).toUpperCase() : null;
};

type Kind = 'ro' | 'roData' | 'roDc1' | 'adminData' | 'adminDc1' | 'adminNoData';
const KINDS: Record<Kind, { partnerId: string; administrator: boolean; deviceData: boolean; sites?: string[] }> = {
  ro: { partnerId: 'RO', administrator: false, deviceData: false },
  roData: { partnerId: 'RO_DATA', administrator: false, deviceData: true },
  roDc1: { partnerId: 'RO_DC1', administrator: false, deviceData: true, sites: ['DC1'] },
  adminData: { partnerId: 'ADMIN_DATA', administrator: true, deviceData: true },
  adminDc1: { partnerId: 'ADMIN_DC1', administrator: true, deviceData: true, sites: ['DC1'] },
  adminNoData: { partnerId: 'ADMIN_NO_DATA', administrator: true, deviceData: false },
};
const KIND_NAMES = Object.keys(KINDS) as Kind[];
const READ_ONLY: readonly Kind[] = KIND_NAMES.filter((k) => !KINDS[k].administrator);
type Site = 'dc1' | 'dc2';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
interface RouteCase {
  method: Method;
  path: string;
  access: Access;
  partners?: PartnerUse;
  ok: number;
  /** The call is about one device, at DC1 or at DC2 (out of the DC1 partners' scope). */
  device?: true;
  request?: (site: Site, succeeds: boolean) => Promise<{ url?: string; payload?: unknown }> | { url?: string; payload?: unknown };
  stream?: true;
  /** The code of a 404 the route answers in scope (a reading a device does not have). */
  notFound?: string;
}

let t: TestDaemon;
let fleet: Fleet;
const ids: Record<Site, number> = { dc1: 0, dc2: 0 };
const tokens = {} as Record<Kind, string>;
const seen: Array<{ kind: Kind; method: string; path: string; status: number; body: string }> = [];
let spare = 0;

const deviceBody = (name: string, address: string, extra: Record<string, unknown> = {}) => ({
  name,
  address,
  port: PORT,
  timeoutMs: 100,
  retries: 0,
  snmp: { version: '2c', readCommunity: READ, writeCommunity: WRITE },
  ...extra,
});
const spareBody = (site: Site) => deviceBody(`${site}-spare-${++spare}`, `${NET}${100 + spare}`, { priorityScanning: false });

async function call(kind: Kind, method: Method, url: string, payload?: unknown, path = url.split('?')[0]!) {
  const res = await t.running.http.inject({ method, url, headers: { authorization: `Bearer ${tokens[kind]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  seen.push({ kind, method, path, status: res.statusCode, body: res.body });
  return { status: res.statusCode, body: String(res.headers['content-type']).startsWith('application/json') ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

interface OpenedStream {
  status: number;
  events: number[];
  text: () => string;
  ended: Promise<void>;
  destroy: () => void;
}

/** The alarm stream over a real connection: its status, then what it sends until the server ends it. */
function openStream(token: string): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const request = get(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res: IncomingMessage) => {
      let text = '';
      const events: number[] = [];
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', () => done());
      });
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        // Events only: the stream opens with a bare `id:` line (where it starts, for resuming).
        for (const match of chunk.matchAll(/^id: (\d+)\nevent: /gm)) events.push(Number(match[1]));
      });
      resolve({ status: res.statusCode!, events, text: () => text, ended, destroy: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

const within = (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

let raised = 0;
/** Stores a raise whose text holds the device's own address (as a device's label could) and publishes it. */
function raiseOn(site: Site): number {
  const at = Date.now();
  const device = t.running.store.devices.get(ids[site])!;
  const event = t.running.store.alarms.raise(device.id, { key: `test:${++raised}`, severity: 'warning', code: 'test.event', description: `card at ${device.address} reports ${raised}` }, at)!;
  t.running.bus.publish([event], { trigger: 'manual', requestedAt: at, storedAt: at });
  return event.id;
}

const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/healthz', access: 'public', ok: 200 },
  { method: 'GET', path: '/readyz', access: 'public', ok: 200 },
  { method: 'GET', path: '/metrics', access: 'public', ok: 200 },
  { method: 'GET', path: '/docs', access: 'public', ok: 200 },
  { method: 'GET', path: '/docs/json', access: 'public', ok: 200 },
  { method: 'GET', path: '/api/v1/about', access: 'read', partners: 'installation', ok: 200 },
  { method: 'GET', path: '/api/v1/devices', access: 'read', partners: 'device-data', ok: 200 },
  { method: 'POST', path: '/api/v1/devices', access: 'admin', partners: 'device-admin', ok: 201, device: true, request: (site) => ({ payload: spareBody(site) }) },
  { method: 'GET', path: '/api/v1/devices/:id', access: 'read', partners: 'device-data', ok: 200, device: true, request: (site) => ({ url: `/api/v1/devices/${ids[site]}` }) },
  {
    method: 'PATCH', path: '/api/v1/devices/:id', access: 'admin', partners: 'device-admin', ok: 200, device: true,
    request: (site) => ({ url: `/api/v1/devices/${ids[site]}`, payload: { intervalSeconds: 600 + ++spare } }),
  },
  {
    method: 'DELETE', path: '/api/v1/devices/:id', access: 'admin', partners: 'device-admin', ok: 200, device: true,
    request: async (site, succeeds) => {
      if (!succeeds) return { url: `/api/v1/devices/${ids[site]}` };
      const added = await t.api('POST', '/api/v1/devices', spareBody(site));
      return { url: `/api/v1/devices/${added.body.id}` };
    },
  },
  { method: 'POST', path: '/api/v1/devices/:id/scan', access: 'admin', partners: 'device-admin', ok: 202, device: true, request: (site) => ({ url: `/api/v1/devices/${ids[site]}/scan` }) },
  { method: 'POST', path: '/api/v1/devices/:id/register', access: 'admin', partners: 'device-admin', ok: 202, device: true, request: (site) => ({ url: `/api/v1/devices/${ids[site]}/register` }) },
  { method: 'GET', path: '/api/v1/alarms', access: 'read', partners: 'device-data', ok: 200, device: true, request: (site) => ({ url: `/api/v1/alarms?device=${site}-sim` }) },
  ...(['/api/v1/alarms/history', '/api/v1/events'] as const).map((path): RouteCase => ({
    method: 'GET', path, access: 'read', partners: 'device-data', ok: 200, device: true, request: (site) => ({ url: `${path}?device=${site}-sim` }),
  })),
  { method: 'GET', path: '/api/v1/alarms/stream', access: 'read', partners: 'device-data', ok: 200, stream: true },
  // Acknowledging and maintenance windows are the customer's own operations: no partner access yet.
  { method: 'POST', path: '/api/v1/alarms/ack', access: 'admin', ok: 200, request: () => ({ payload: { deviceId: ids.dc1, key: 'k', comment: 'c' } }) },
  { method: 'POST', path: '/api/v1/alarms/unack', access: 'admin', ok: 200, request: () => ({ payload: { deviceId: ids.dc1, key: 'k' } }) },
  { method: 'GET', path: '/api/v1/maintenance', access: 'read', ok: 200 },
  { method: 'POST', path: '/api/v1/maintenance', access: 'admin', ok: 201, request: () => ({ payload: { durationMinutes: 60, scope: { site: 'DC1' }, reason: 'x' } }) },
  { method: 'GET', path: '/api/v1/maintenance/:id', access: 'read', ok: 200, request: () => ({ url: '/api/v1/maintenance/1' }) },
  { method: 'POST', path: '/api/v1/maintenance/:id/end', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/maintenance/1/end' }) },
  { method: 'GET', path: '/api/v1/profiles', access: 'read', partners: 'installation', ok: 200 },
  { method: 'GET', path: '/api/v1/profiles/:name', access: 'read', partners: 'installation', ok: 200, request: () => ({ url: '/api/v1/profiles/netbotz' }) },
  { method: 'POST', path: '/api/v1/profiles/reload', access: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/discovery', access: 'admin', ok: 202, request: () => ({ payload: { targets: '127.0.230.250' } }) },
  { method: 'GET', path: '/api/v1/discovery/:id', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/discovery/1' }) },
  { method: 'GET', path: '/api/v1/thresholds', access: 'read', ok: 200 },
  { method: 'POST', path: '/api/v1/thresholds', access: 'admin', ok: 201, request: () => ({ payload: { profile: 'netbotz', reading: 'temperature', level: 'warning', above: 99 } }) },
  { method: 'PATCH', path: '/api/v1/thresholds/:id', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/thresholds/1', payload: { above: 98 } }) },
  { method: 'DELETE', path: '/api/v1/thresholds/:id', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/thresholds/1' }) },
  { method: 'GET', path: '/api/v1/devices/:id/thresholds', access: 'read', partners: 'device-data', ok: 200, device: true, request: (site) => ({ url: `/api/v1/devices/${ids[site]}/thresholds` }) },
  { method: 'GET', path: '/api/v1/devices/:id/readings', access: 'read', partners: 'device-data', ok: 200, device: true, request: (site) => ({ url: `/api/v1/devices/${ids[site]}/readings` }) },
  {
    method: 'GET', path: '/api/v1/devices/:id/readings/history', access: 'read', partners: 'device-data', ok: 404, notFound: 'READING_NOT_FOUND', device: true,
    // The simulated devices have no reading of this name: in scope that is READING_NOT_FOUND, out of scope the device is not found.
    request: (site) => ({ url: `/api/v1/devices/${ids[site]}/readings/history?reading=nope` }),
  },
  { method: 'GET', path: '/api/v1/licenses', access: 'read', partners: 'installation', ok: 200 },
  { method: 'GET', path: '/api/v1/licenses/usage', access: 'read', partners: 'installation', ok: 200 },
  { method: 'POST', path: '/api/v1/licenses', access: 'admin', ok: 201, request: () => ({ payload: { key: 'x' } }) },
  { method: 'DELETE', path: '/api/v1/licenses/:ref', access: 'admin', ok: 200, request: () => ({ url: `/api/v1/licenses/${t.running.licenses.list()[0]!.fingerprint}` }) },
  { method: 'GET', path: '/api/v1/tokens', access: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/tokens', access: 'admin', ok: 201, request: () => ({ payload: { name: 'escalate', role: 'admin' } }) },
  { method: 'DELETE', path: '/api/v1/tokens/:name', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/tokens/test-admin' }) },
  { method: 'GET', path: '/api/v1/partners', access: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/partners', access: 'admin', ok: 201, request: () => ({ payload: { name: 'Sneaky, Inc.', administrator: true, deviceData: true } }) },
  { method: 'GET', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/partners/RO' }) },
  { method: 'PATCH', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/partners/RO_DC1', payload: { scope: 'all' } }) },
  { method: 'PUT', path: '/api/v1/partners/:partnerId/grants/:grant', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/partners/RO/grants/administrator' }) },
  { method: 'DELETE', path: '/api/v1/partners/:partnerId/grants/:grant', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/partners/ADMIN_DATA/grants/administrator' }) },
  { method: 'DELETE', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200, request: () => ({ url: '/api/v1/partners/ADMIN_DC1' }) },
  { method: 'GET', path: '/api/v1/audit', access: 'admin', ok: 200 },
  { method: 'GET', path: '/api/v1/registration', access: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/registration', access: 'admin', ok: 201, request: () => ({ payload: { code: 'x' } }) },
  // A single server: no cluster to discover (CLUSTER_NOT_ENABLED). Collector addresses are not for partners.
  { method: 'GET', path: '/api/v1/cluster', access: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/cluster/prometheus-sd', access: 'read', ok: 404 },
];

/** What each partner may get, from its grants and scope alone. */
function expected(route: RouteCase, kind: Kind, site: Site): number {
  const partner = KINDS[kind];
  if (route.access === 'public' || route.partners === 'installation') return route.ok;
  if (route.partners === undefined || !partner.deviceData) return 403;
  if (route.partners === 'device-admin' && !partner.administrator) return 403;
  if (!(partner.sites && site === 'dc2')) return route.ok;
  // Out of scope: a device that is there is not found; a new one may not be put there.
  return route.method === 'POST' && route.path === '/api/v1/devices' ? 403 : 404;
}

/** What the store holds that a refused call must not change. */
const changeable = () =>
  JSON.stringify([
    t.running.store.devices.list().map(({ state: _state, ...rest }) => rest),
    t.running.licenses.list(),
    t.running.tokens.list().map(({ lastUsedAt: _lastUsed, ...rest }) => rest),
    t.running.partners.list(),
    t.running.registration.history(),
  ]);

beforeAll(async () => {
  t = await startTestDaemon({}, { licensedNodes: 20, deviceSite: siteByName });
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 2 }], baseAddress: `${NET}1`, port: PORT, readCommunity: READ, writeCommunity: WRITE, apcTrapPort: t.running.intake.port });
  await fleet.start();
  ids.dc1 = (await t.api('POST', '/api/v1/devices', deviceBody('dc1-sim', `${NET}1`, { timeoutMs: 2000 }))).body.id as number;
  ids.dc2 = (await t.api('POST', '/api/v1/devices', deviceBody('dc2-sim', `${NET}2`, { timeoutMs: 2000 }))).body.id as number;
  // Nothing answers here: its last error names its address.
  await t.api('POST', '/api/v1/devices', deviceBody('dc1-dead', `${NET}250`));
  await until('dc1-dead has an error', () => t.running.store.devices.getByName('dc1-dead')?.state.lastError, 10_000);
  for (const kind of KIND_NAMES) {
    const { partnerId, administrator, deviceData, sites } = KINDS[kind];
    const created = await t.api('POST', '/api/v1/partners', { name: `${kind} partner`, partnerId, administrator, deviceData, ...(sites ? { scope: { sites } } : {}) });
    expect(created.status, kind).toBe(201);
    const token = await t.api('POST', '/api/v1/tokens', { name: `${kind}-token`, role: 'partner', partner: partnerId });
    expect(token.status, kind).toBe(201);
    tokens[kind] = token.body.token as string;
  }
  raiseOn('dc1');
  raiseOn('dc2');
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('the route table', () => {
  it('covers every documented route, each with what partners may do', async () => {
    const doc = (await t.running.http.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { 'x-partners'?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op['x-partners'] ?? '(public)'}`));
    const table = ROUTES.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')} ${r.access === 'public' ? '(public)' : (r.partners ?? 'none')}`);
    expect(table.sort()).toEqual(documented.sort());
  });
});

describe('every route, for every partner', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    for (const kind of KIND_NAMES) {
      for (const site of route.device ? (['dc1', 'dc2'] as const) : (['dc1'] as const)) {
        const want = expected(route, kind, site);
        const before = changeable();
        if (route.stream) {
          const stream = await openStream(tokens[kind]);
          stream.destroy();
          expect(stream.status, kind).toBe(want);
          continue;
        }
        const { url = route.path, payload } = (await route.request?.(site, want < 300)) ?? {};
        const res = await call(kind, route.method, url, payload, route.path);
        expect(res.status, `${kind} at ${site}: ${seen.at(-1)!.body}`).toBe(want);
        if (want === 403) expect((res.body.error as { message: string }).message, kind).toMatch(/^partner [A-Z0-9_]+('s tokens cannot use this route| has no API device-data access| has read-only access| may place devices only at the sites of its scope)/);
        // Out of scope, a device is not found; a route whose own answer is a 404 gives its own code in scope.
        const outOfScope = want === 404 && (route.ok !== 404 || (KINDS[kind].sites !== undefined && site === 'dc2'));
        if (outOfScope) expect(res.body.error, kind).toMatchObject({ code: 'DEVICE_NOT_FOUND', message: expect.stringMatching(/^no device (with id \d+|named dc2-sim)/) });
        else if (want === 404) expect(res.body.error, kind).toMatchObject({ code: route.notFound });
        if (want >= 400) expect(changeable(), `${kind} changed something`).toBe(before);
      }
    }
  });
});

describe('scope', () => {
  it('shows a partner scoped to DC1 the devices, alarms and events of DC1 only', async () => {
    // Raised now: the scans the walk asked for have cleared the earlier ones (the devices do not report them).
    raiseOn('dc1');
    raiseOn('dc2');
    const devices = ((await call('roDc1', 'GET', '/api/v1/devices')).body.devices as Array<{ name: string }>).map((d) => d.name);
    expect(devices).toEqual(expect.arrayContaining(['dc1-dead', 'dc1-sim']));
    expect(devices.filter((name) => !name.startsWith('dc1-'))).toEqual([]);
    // dc1-dead's communication lost, dc1-sim's test alarm; nothing of dc2-sim's.
    const alarms = (await call('roDc1', 'GET', '/api/v1/alarms')).body.alarms as Array<{ device: string }>;
    expect(new Set(alarms.map((a) => a.device))).toEqual(new Set(['dc1-dead', 'dc1-sim']));
    for (const url of ['/api/v1/alarms/history?limit=1000', '/api/v1/events?limit=1000']) {
      const events = (await call('roDc1', 'GET', url)).body.events as Array<{ device: string }>;
      expect(new Set(events.map((e) => e.device)), url).toEqual(new Set(['dc1-dead', 'dc1-sim']));
    }
    // Nothing of the other site in any answer of an API route (a 404 repeats the name asked for; /metrics is public).
    const answered = seen.filter((r) => (r.kind === 'roDc1' || r.kind === 'adminDc1') && r.path.startsWith('/api/') && r.status !== 404);
    expect(answered.length).toBeGreaterThan(20);
    expect(answered.filter((r) => r.body.includes('dc2-')).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // A partner over all devices sees both.
    const all = (await call('roData', 'GET', '/api/v1/alarms')).body.alarms as Array<{ device: string }>;
    expect(new Set(all.map((a) => a.device))).toEqual(new Set(['dc1-dead', 'dc1-sim', 'dc2-sim']));
  });

  it('streams a DC1 partner the events of DC1 only, its addresses masked', async () => {
    const stream = await openStream(tokens.roDc1);
    try {
      const hidden = raiseOn('dc2');
      const shown = raiseOn('dc1');
      await until('the DC1 event streamed', () => stream.events.includes(shown));
      expect(stream.events).not.toContain(hidden);
      expect(stream.text()).toContain('card at x.x.230.1 reports');
      seen.push({ kind: 'roDc1', method: 'GET', path: '/api/v1/alarms/stream', status: 200, body: stream.text() });
    } finally {
      stream.destroy();
    }
  });

  it('shows administrator partners full addresses and lets them add devices only at their sites', async () => {
    expect((await call('adminData', 'GET', `/api/v1/devices/${ids.dc2}`)).body).toMatchObject({ address: `${NET}2`, port: PORT });
    const refused = await call('adminDc1', 'POST', '/api/v1/devices', deviceBody('nowhere-1', `${NET}99`));
    expect(refused.body).toMatchObject({ error: { code: 'FORBIDDEN', message: 'partner ADMIN_DC1 may place devices only at the sites of its scope' } });
  });
});

describe('masking', () => {
  it('shows read-only partners masked addresses, also inside a device\'s own texts', async () => {
    // Raised now: the scans the walk asked for have cleared the earlier ones (the device does not report them).
    raiseOn('dc1');
    const alarms = (await call('roData', 'GET', '/api/v1/alarms')).body.alarms as Array<{ description: string }>;
    expect(alarms.map((a) => a.description)).toContain(`card at x.x.230.1 reports ${raised}`);
    const dead = ((await call('roDc1', 'GET', '/api/v1/devices')).body.devices as Array<{ name: string; address: string; state: { lastError: string } }>).find((d) => d.name === 'dc1-dead')!;
    expect(dead).toMatchObject({ address: 'x.x.230.250', state: { lastError: expect.stringContaining('x.x.230.250') } });
    expect(dead).not.toHaveProperty('snmp');
  });

  it('sent no read-only partner a full device address in any answer: bodies, errors, streams', () => {
    const readOnly = seen.filter((r) => READ_ONLY.includes(r.kind));
    expect(readOnly.length).toBeGreaterThan(60);
    expect(new Set(readOnly.map((r) => r.status))).toEqual(new Set([200, 403, 404]));
    expect(readOnly.filter((r) => r.body.includes(NET)).map((r) => `${r.kind} ${r.method} ${r.path}: ${r.body.slice(0, 200)}`)).toEqual([]);
    // While the customer's own tokens see them.
    expect(seen.some((r) => r.kind === 'adminData' && r.body.includes(NET))).toBe(true);
  });

  it('keeps /metrics free of device addresses, and behind a token refuses partner tokens', async () => {
    const open = await t.running.http.inject({ method: 'GET', url: '/metrics' });
    expect(open.body).toContain('dc1-sim');
    expect(open.body).not.toContain(NET);
    const locked = await startTestDaemon({ http: { listen: { address: '127.0.0.1', port: 0 }, metricsRequireToken: true } });
    try {
      const token = locked.running.tokens.create({ role: 'partner', name: 'legacy' }).token;
      const res = await locked.running.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: "partner LEGACY_PARTNER's tokens cannot use this route: it is for the customer's own tokens" } });
    } finally {
      await locked.stop();
    }
  });
});

describe('changes to a partner take effect at once', () => {
  const fresh = async (partnerId: string, extra: Record<string, unknown> = {}) => {
    expect((await t.api('POST', '/api/v1/partners', { name: partnerId, deviceData: true, ...extra })).status).toBe(201);
    const created = await t.api('POST', '/api/v1/tokens', { name: `${partnerId.toLowerCase()}-token`, role: 'partner', partner: partnerId });
    return created.body.token as string;
  };

  it('ends its open streams when its device-data grant is revoked, and refuses it from then on', async () => {
    const token = await fresh('STREAMER');
    const stream = await openStream(token);
    try {
      expect(stream.status).toBe(200);
      expect((await t.api('DELETE', '/api/v1/partners/STREAMER/grants/device-data')).body).toMatchObject({ grants: { deviceData: false } });
      expect(await within(stream.ended, 5000), 'the stream ended').toBe(true);
      expect(stream.text()).toMatch(/: closed: partner STREAMER's access changed: reconnect \(with Last-Event-ID\) to read with the new access\n\n$/);
      const after = await t.running.http.inject({ method: 'GET', url: '/api/v1/alarms', headers: { authorization: `Bearer ${token}` } });
      expect(after.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: 'partner STREAMER has no API device-data access: the customer\'s administrator can grant it (device-data)' } });
    } finally {
      stream.destroy();
    }
  });

  it('ends its open streams when its scope changes', async () => {
    const token = await fresh('NARROWED');
    const stream = await openStream(token);
    try {
      expect((await t.api('PATCH', '/api/v1/partners/NARROWED', { scope: { sites: ['DC2'] } })).status).toBe(200);
      expect(await within(stream.ended, 5000), 'the stream ended').toBe(true);
    } finally {
      stream.destroy();
    }
  });

  it('ends its open streams when the grant is revoked on the host (another process, the same database)', async () => {
    const token = await fresh('HOSTED');
    const stream = await openStream(token);
    const host = SqliteStore.open(join(t.dataDir, 'priscan.db'), systemClock);
    try {
      const partners = new Partners({ repository: host.partners, audit: new AuditLog({ repository: host.audit, clock: systemClock }), sitesInUse: () => new Set() });
      partners.setGrant('HOSTED', 'device-data', false, 'host');
      expect(await within(stream.ended, 5000), 'the stream ended').toBe(true);
    } finally {
      host.close();
      stream.destroy();
    }
  });

  it('keeps a partner\'s tokens and history when its Partner ID changes', async () => {
    const token = await fresh('OLD_NAME');
    const headers = { authorization: `Bearer ${token}` };
    expect((await t.running.http.inject({ method: 'GET', url: '/api/v1/devices', headers })).statusCode).toBe(200);
    expect((await t.api('PATCH', '/api/v1/partners/OLD_NAME', { partnerId: 'NEW_NAME' })).body).toMatchObject({ partnerId: 'NEW_NAME', tokens: 1 });
    expect((await t.running.http.inject({ method: 'GET', url: '/api/v1/devices', headers })).statusCode).toBe(200);
    const entries = (await t.api('GET', '/api/v1/audit?partner=NEW_NAME')).body.entries as Array<{ partnerId: string; action: string }>;
    expect(entries.map((e) => `${e.partnerId} ${e.action}`)).toEqual([
      'OLD_NAME partner.create',
      'OLD_NAME partner.token.create',
      'OLD_NAME GET /api/v1/devices',
      'NEW_NAME partner.update',
      'NEW_NAME GET /api/v1/devices',
    ]);
  });
});

describe('the audit log', () => {
  it('holds every request of a partner, with its answer, and who changed its access', async () => {
    const entries = (await t.api('GET', '/api/v1/audit?partner=RO_DC1&limit=1000')).body.entries as Array<Record<string, unknown>>;
    const requests = entries.filter((e) => (e.actor as { kind: string }).kind === 'partner');
    const expectedCount = seen.filter((r) => r.kind === 'roDc1' && r.path !== '/healthz' && r.path !== '/readyz' && r.path !== '/metrics' && !r.path.startsWith('/docs') && r.body !== '' && !r.body.startsWith(':')).length;
    // Every call this file made with the token (streams are logged when they open), none twice.
    expect(requests.length).toBe(expectedCount + 2);
    expect(requests).toContainEqual(expect.objectContaining({ action: 'GET /api/v1/devices/:id', target: `/api/v1/devices/${ids.dc2}`, status: 404, actor: { kind: 'partner', token: 'roDc1-token' } }));
    expect(requests).toContainEqual(expect.objectContaining({ action: 'GET /api/v1/tokens', status: 403 }));
    expect(requests.filter((e) => e.action === 'GET /api/v1/alarms/stream')).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actor: { kind: 'admin', token: 'test-admin' }, action: 'partner.create', detail: 'read-only, API device data granted, site DC1' });
    // Customers' own requests are not partner actions.
    const all = (await t.api('GET', '/api/v1/audit?limit=1000')).body.entries as Array<{ actor: { kind: string }; action: string }>;
    expect(all.filter((e) => e.actor.kind === 'admin' && e.action.startsWith('GET '))).toEqual([]);
  });
});
