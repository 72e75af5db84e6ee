import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS } from '../../src/http/errors.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RouteCase {
  method: Method;
  /** The route as registered, with :params. */
  path: string;
  /** Hijacks the reply and never ends by itself (event streams): only requests that must fail are sent. */
  stream?: boolean;
}

/**
 * Every route of the API. Add new routes here: the first test fails while a route the API
 * documents (/docs/json) is missing from this table.
 */
const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/api/v1/about' },
  { method: 'GET', path: '/docs' },
  { method: 'GET', path: '/docs/json' },
  { method: 'GET', path: '/api/v1/devices' },
  { method: 'POST', path: '/api/v1/devices' },
  { method: 'GET', path: '/api/v1/devices/:id' },
  { method: 'PATCH', path: '/api/v1/devices/:id' },
  { method: 'DELETE', path: '/api/v1/devices/:id' },
  { method: 'POST', path: '/api/v1/devices/:id/scan' },
  { method: 'POST', path: '/api/v1/devices/:id/register' },
  { method: 'GET', path: '/api/v1/devices/:id/readings' },
  { method: 'GET', path: '/api/v1/devices/:id/readings/history' },
  { method: 'GET', path: '/api/v1/alarms' },
  { method: 'GET', path: '/api/v1/alarms/history' },
  { method: 'GET', path: '/api/v1/events' },
  { method: 'GET', path: '/api/v1/alarms/stream', stream: true },
  { method: 'POST', path: '/api/v1/alarms/ack' },
  { method: 'POST', path: '/api/v1/alarms/unack' },
  { method: 'GET', path: '/api/v1/maintenance' },
  { method: 'POST', path: '/api/v1/maintenance' },
  { method: 'GET', path: '/api/v1/maintenance/:id' },
  { method: 'POST', path: '/api/v1/maintenance/:id/end' },
  { method: 'GET', path: '/api/v1/licenses' },
  { method: 'GET', path: '/api/v1/licenses/usage' },
  { method: 'POST', path: '/api/v1/licenses' },
  { method: 'DELETE', path: '/api/v1/licenses/:ref' },
  { method: 'GET', path: '/api/v1/tokens' },
  { method: 'POST', path: '/api/v1/tokens' },
  { method: 'DELETE', path: '/api/v1/tokens/:name' },
  { method: 'POST', path: '/api/v1/discovery' },
  { method: 'GET', path: '/api/v1/discovery/:id' },
  { method: 'GET', path: '/api/v1/profiles' },
  { method: 'GET', path: '/api/v1/profiles/:name' },
  { method: 'POST', path: '/api/v1/profiles/reload' },
  { method: 'GET', path: '/api/v1/thresholds' },
  { method: 'POST', path: '/api/v1/thresholds' },
  { method: 'PATCH', path: '/api/v1/thresholds/:id' },
  { method: 'DELETE', path: '/api/v1/thresholds/:id' },
  { method: 'GET', path: '/api/v1/devices/:id/thresholds' },
  { method: 'GET', path: '/api/v1/partners' },
  { method: 'POST', path: '/api/v1/partners' },
  { method: 'GET', path: '/api/v1/partners/:partnerId' },
  { method: 'PATCH', path: '/api/v1/partners/:partnerId' },
  { method: 'DELETE', path: '/api/v1/partners/:partnerId' },
  { method: 'PUT', path: '/api/v1/partners/:partnerId/grants/:grant' },
  { method: 'DELETE', path: '/api/v1/partners/:partnerId/grants/:grant' },
  { method: 'GET', path: '/api/v1/audit' },
  { method: 'GET', path: '/api/v1/registration' },
  { method: 'POST', path: '/api/v1/registration' },
  { method: 'GET', path: '/api/v1/cluster' },
  { method: 'GET', path: '/api/v1/cluster/prometheus-sd' },
];

/** Path parameter values that name nothing, or nothing sane. */
const JUNK_IDS = [
  '..%2F..%2Fetc',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2fetc',
  '1e3',
  '-1',
  '0',
  '1.5',
  '0x10',
  '99999999999',
  '9999999999',
  'abc',
  '1%20OR%201%3D1',
  "1'%3B--",
  '%00',
  '1%00',
  '%E2%80%AE1',
  '%F0%9F%92%A3',
  '%3Cscript%3E',
  '__proto__',
  'constructor',
  ' 1',
  '1 ',
];

/**
 * Ids fastify's router refuses before any route runs: bad percent-encoding, and parameters
 * over its 100-character limit.
 */
const UNROUTABLE_IDS = ['%', '%C0%AF', '%%32%65', '%E0%A4%A', '9'.repeat(400)];

/** Authorization headers that must never get further than a coded 401. */
const BAD_AUTHORIZATION = [
  'Bearer',
  'Bearer ',
  `Bearer ${'x'.repeat(600)}`,
  `Bearer psk_${'A'.repeat(43)}`,
  'Basic YWRtaW46YWRtaW4=',
  'Bearer psk_../../etc/passwd',
  "Bearer ' OR '1'='1",
  'Bearer \t psk_',
];

/** Query strings with unknown, repeated or ill-typed parameters. None is valid for the stream route. */
const JUNK_QUERIES = [
  'junk=1',
  'after=-1',
  'after=abc',
  'after=1e400',
  'limit=0',
  'limit=1e9',
  'severity=nuclear',
  'since=yesterday',
  'status=%00',
  'profile=..%2F..%2Fetc',
  `device=${'x'.repeat(500)}`,
  'after=1&after=2',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'a[b][c][d][e]=1',
  '%00=1',
  'dryRun=maybe',
  '%=1',
];

const MALFORMED_JSON = ['{', '{"name":', '{"name": "x",}', "{'name': 'x'}", '[1, 2', 'nul', '{"a": NaN}', '{"a": 1} {"b": 2}', '\u0000', '\ufeff{}'];

/** Well-formed JSON that is no route's body. */
const WRONG_TYPES: unknown[] = [
  null,
  true,
  42,
  'a string',
  [],
  [{ name: 'x' }],
  { name: 5, address: [], port: '161', snmp: 'public' },
  { name: 'x', address: '127.0.0.1', port: -1, snmp: { version: 3, readCommunity: 1, writeCommunity: null } },
  { name: 'x'.repeat(10_000), address: '999.1.1.1', snmp: { readCommunity: 'a', writeCommunity: 'b' } },
  { name: '../../etc/passwd', address: '127.0.0.1', snmp: { readCommunity: 'a', writeCommunity: 'b' }, extra: true },
  { key: 12345 },
  { key: ['a'] },
  { timeoutMs: 1e309 },
  { intervalSeconds: 1.5 },
];

/** Objects a careless merge would turn into prototype pollution; must be refused. */
const POLLUTING = ['{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}', '{"name": "x", "__proto__": {"isAdmin": true}}'];

const BODY_LIMIT = 64 * 1024;

/** A stack frame ("at fn (file:line:col)") or a path on this machine in a response. */
const STACK_FRAME = /(^|\n)\s*at \S|\bat [^\s()]+ \([^)]*:\d+:\d+\)|\bat (file|node):/;
const SERVER_PATH = /(\/work\/|\/home\/|\/root\/|node_modules|node:internal|file:\/\/|\.[cm]?[jt]s:\d+|SQLITE_|better-sqlite3)/;

let d: TestDaemon;
/** Headers for every request: an admin token where the API has token auth. */
let auth: Record<string, string> = {};

beforeAll(async () => {
  d = await startTestDaemon();
  auth = { authorization: `Bearer ${d.adminToken}` };
});

afterAll(async () => {
  await d?.stop();
});

const fill = (path: string, value: string) => path.replace(/:[A-Za-z]+/g, value);
/** A valid id that names nothing: routes reach their handler, and nothing is changed. */
const NOBODY = '999999';
const accepts = (method: Method) => method !== 'GET';

/** Checks one response; returns what was wrong, or nothing. */
function problems(res: LightMyRequestResponse): string[] {
  const found: string[] = [];
  if (res.statusCode >= 500) found.push(`status ${res.statusCode}`);
  if (STACK_FRAME.test(res.body)) found.push('a stack frame in the body');
  if (SERVER_PATH.test(res.body) || res.body.includes(d.dataDir)) found.push('a server path in the body');
  if (res.statusCode >= 400) {
    let code: unknown;
    try {
      const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
      code = body.error?.code;
      if (typeof body.error?.message !== 'string') found.push('no error.message');
    } catch {
      found.push('an error body that is not JSON');
    }
    if (typeof code !== 'string' || !(code in API_ERROR_STATUS)) found.push(`error.code ${JSON.stringify(code)} is not in the catalogue`);
    else if (API_ERROR_STATUS[code as keyof typeof API_ERROR_STATUS] !== res.statusCode) found.push(`error.code ${code} with status ${res.statusCode}`);
  }
  return found;
}

/** Sends every request; fails listing each response that is a 5xx, leaks internals or lacks a stable code. */
async function expectHandled(route: RouteCase, requests: InjectOptions[]): Promise<LightMyRequestResponse[]> {
  const failures: string[] = [];
  const responses: LightMyRequestResponse[] = [];
  for (const request of requests) {
    const pending = d.running.http.inject({ ...request, headers: { ...auth, ...(request.headers as Record<string, string>) } });
    const res = route.stream
      ? await Promise.race([pending, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${request.method} ${request.url} opened a stream`)), 3000))])
      : await pending;
    responses.push(res);
    const wrong = problems(res);
    if (wrong.length > 0) failures.push(`${request.method} ${request.url} -> ${res.statusCode} ${res.body.slice(0, 200)}: ${wrong.join(', ')}`);
  }
  expect(failures).toEqual([]);
  return responses;
}

describe('the API under hostile input', () => {
  it('the route table covers every route the API documents', async () => {
    const res = await d.running.http.inject({ method: 'GET', url: '/docs/json', headers: auth });
    expect(res.statusCode).toBe(200);
    const paths = (res.json() as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`),
    );
    const listed = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(documented.filter((route) => !listed.has(route)), 'add these to ROUTES').toEqual([]);
  });

  describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
    const params = /:[A-Za-z]+/.test(route.path);

    if (params) it('junk and traversal in path parameters', async () => {
      const responses = await expectHandled(route, JUNK_IDS.map((id) => ({ method: route.method, url: fill(route.path, id) })));
      // Nothing of that names a thing: every one is refused (the junk never reaches the store as an id).
      for (const res of responses) expect(res.statusCode).toBeGreaterThanOrEqual(400);
    });

    it('no token or a bad one', async () => {
      const url = fill(route.path, NOBODY);
      const responses = await expectHandled(route, [
        { method: route.method, url, headers: { authorization: '' } },
        ...BAD_AUTHORIZATION.map((authorization) => ({ method: route.method, url, headers: { authorization } })),
      ]);
      const publicRoute = responses.every((res) => res.statusCode < 400);
      if (!publicRoute) for (const res of responses) expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    });

    it('unknown, repeated and ill-typed query parameters', async () => {
      await expectHandled(route, JUNK_QUERIES.map((q) => ({ method: route.method, url: `${fill(route.path, NOBODY)}?${q}` })));
    });

    if (accepts(route.method)) it('malformed JSON, wrong types and polluting keys in the body', async () => {
      const url = fill(route.path, NOBODY);
      const json = { 'content-type': 'application/json' };
      const responses = await expectHandled(route, [
        ...MALFORMED_JSON.map((payload) => ({ method: route.method, url, headers: json, payload })),
        ...WRONG_TYPES.map((body) => ({ method: route.method, url, headers: json, payload: JSON.stringify(body) })),
        ...POLLUTING.map((payload) => ({ method: route.method, url, headers: json, payload })),
        { method: route.method, url, headers: json, payload: '' },
        { method: route.method, url, headers: json, payload: `${'['.repeat(30_000)}${']'.repeat(30_000)}` },
        { method: route.method, url, headers: json, payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
        { method: route.method, url, headers: { 'content-type': 'text/plain' }, payload: '{}' },
        { method: route.method, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x&address=127.0.0.1' },
        { method: route.method, url, headers: { 'content-type': 'application/json; charset=utf-16' }, payload: '{}' },
        { method: route.method, url, headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' },
      ]);
      for (const res of responses) expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    if (accepts(route.method)) it('a body over the limit is refused with 413', async () => {
      const url = fill(route.path, NOBODY);
      const big = JSON.stringify({ name: 'x', pad: 'x'.repeat(BODY_LIMIT) });
      const [res] = await expectHandled(route, [{ method: route.method, url, headers: { 'content-type': 'application/json' }, payload: big }]);
      expect(res!.statusCode).toBe(413);
      expect(res!.json()).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    });

    if (!route.stream) it('methods the route does not have', async () => {
      const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !ROUTES.some((r) => r.path === route.path && r.method === m));
      const responses = await expectHandled(route, others.map((method) => ({ method, url: fill(route.path, NOBODY) })));
      for (const res of responses) expect(res.statusCode).toBeGreaterThanOrEqual(400);
    });
  });

  // KNOWN BUG in src/http/app.ts: fastify answers URLs its router cannot decode (FST_ERR_BAD_URL, 400)
  // and parameters over maxParamLength (FST_ERR_MAX_PARAM_LENGTH, 414) itself, with its own body
  // ({"error": "Bad Request", "code": "FST_ERR_...", ...}): no error.code from the catalogue. The fix
  // is fastify's `frameworkErrors` option. Drop `.fails` once it is in.
  it('URLs the router cannot decode still get a coded error', async () => {
    const routes = ROUTES.filter((r) => /:[A-Za-z]+/.test(r.path));
    for (const route of routes) await expectHandled(route, UNROUTABLE_IDS.map((id) => ({ method: route.method, url: fill(route.path, id) })));
  });

  it('URLs the router cannot decode never reach a handler and never answer 5xx', async () => {
    for (const route of ROUTES.filter((r) => /:[A-Za-z]+/.test(r.path))) {
      for (const id of UNROUTABLE_IDS) {
        const res = await d.running.http.inject({ method: route.method, url: fill(route.path, id), headers: auth });
        expect(res.statusCode, `${route.method} ${route.path} with ${id.slice(0, 20)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.body).not.toMatch(STACK_FRAME);
      }
    }
  });

  it('still answers after all that, with nothing created', async () => {
    const health = await d.running.http.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const devices = await d.running.http.inject({ method: 'GET', url: '/api/v1/devices', headers: auth });
    expect(devices.statusCode).toBe(200);
    expect(devices.json()).toEqual({ devices: [] });
    expect(d.running.store.devices.count()).toBe(0);
    expect(d.running.tokens.list().map((token) => token.name)).toEqual(['test-admin']);
    expect(d.running.partners.list()).toEqual([]);
    expect(d.running.registration.history()).toEqual([]);

    expect(d.running.store.maintenance.list({ now: Date.now(), limit: 10 })).toEqual([]);
  });
});
