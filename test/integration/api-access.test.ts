// Every route of the API, as /docs/json lists them, table-driven: who may call it (no token, a
// revoked or malformed one, each role), what bad input gets, and that every error code answered is
// one the OpenAPI document lists for that route. Partners see masked addresses everywhere, and no
// response body of this file holds a credential. The partner here is a partner-role token naming no
// partner: the implicit partner (read-only, all devices, API device data), as the role always was;
// test/integration/api-partners.test.ts walks every route with partners of each access and scope.
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thresholdOverrideSchema } from '../../src/config/schema.js';
import { API_ERROR_STATUS } from '../../src/http/errors.js';
import type { Access, PartnerUse } from '../../src/http/route.js';
import { issueRegistrationCode } from '../../src/licensing/registration-code.js';
import { readRegistrationRequest } from '../../src/licensing/registration-request.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import { issueKey } from '../../src/licensing/key.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, TEST_ISSUER_SECRET, TEST_MAC, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.57.0/24.
const PORT = 16207;
const NET = '127.0.57.';
const READ = 'rd-secret-7731';
const WRITE = 'wr-secret-7732';
const NOTIFY = 'nt-secret-7733';
/** The text test daemons' issuer secret is made from (test/helpers/daemon.ts); checked below. */
const ISSUER_TEXT = 'test issuer secret, not for production use';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const CALLERS = ['none', 'malformed', 'revoked', 'expired', 'viewer', 'partner', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
type BadCase = [url: string, payload: unknown, status: number, code: string];

interface RouteCase {
  method: Method;
  /** As registered, with :params. */
  path: string;
  access: Access;
  /** What partner tokens may do with it (the route table's own word is checked against this). */
  partners?: PartnerUse;
  ok: number;
  /** URL and body of one call; an admin's call gets fresh things to change, so each succeeds. */
  request?: (caller: Caller) => Promise<{ url?: string; payload?: unknown }> | { url?: string; payload?: unknown };
  /** Hijacks the reply and never ends: called over a real connection. */
  stream?: true;
  bad: 'no input' | (() => BadCase[]);
}

let t: TestDaemon;
let fleet: Fleet;
let simId = 0;
let deadId = 0;
const tokens: Record<Caller, string | undefined> = { none: undefined, malformed: undefined, revoked: '', expired: '', viewer: '', partner: '', admin: '' };
const installedKeys: string[] = [];
/** Every response this file saw: bodies for the credential check, codes for the documentation check. */
const seen: Array<{ method: Method; path: string; caller: Caller; status: number; body: string }> = [];
let spare = 0;
let spareTokens = 0;
let spareThresholds = 0;
/** An API threshold for PATCH to change, made before any route is called. */
let patchedThreshold = '';
/** A netbotz threshold on a row of its own, so each admin POST adds a new one. */
const rowThreshold = (row: string, extra: Record<string, unknown> = {}) => ({ profile: 'netbotz', reading: 'temperature', level: 'warning', instance: row, above: 30, ...extra });
let spareCodes = 0;
const appliedCodes: string[] = [];

let spareAlarms = 0;
let windowId = 0;

const deviceBody = (name: string, address: string, extra: Record<string, unknown> = {}) => ({
  name,
  address,
  port: PORT,
  timeoutMs: 100,
  retries: 0,
  snmp: { version: '2c', readCommunity: READ, writeCommunity: WRITE, notifyCommunity: NOTIFY },
  ...extra,
});
/** A device nothing answers for, without priority scanning: adding and removing it costs no SNMP. */
const spareDevice = () => deviceBody(`spare-${++spare}`, `${NET}${100 + spare}`, { priorityScanning: false });
/** A code for this installation, from its own request, as the license authority would make it. */
const freshCode = async () => {
  const request = readRegistrationRequest((await call('GET', '/api/v1/registration', 'admin')).body.request as string);
  const code = issueRegistrationCode({ secret: TEST_ISSUER_SECRET, request, number: ++spareCodes, integrator: 'Acme Integration', owner: 'Example Hospital', issuedOn: new Date() }).display;
  appliedCodes.push(code);
  return code;
};

/** An active alarm on dead-1, straight in the store: acknowledging it costs no SNMP. */
const freshAlarm = (acknowledged = false) => {
  const key = `test:ack-${++spareAlarms}`;
  t.running.store.alarms.raise(deadId, { key, severity: 'warning', code: 'test.ack', description: 'an alarm to acknowledge' }, Date.now());
  if (acknowledged) t.running.store.alarms.acknowledge({ deviceId: deadId, key, by: 'someone', at: Date.now(), comment: 'seen' });
  return key;
};
const freshWindow = () =>
  t.running.store.maintenance.create({ startsAt: Date.now(), endsAt: Date.now() + 3_600_000, reason: 'test', scope: { kind: 'devices', deviceIds: [deadId] }, createdBy: 'test', createdAt: Date.now() }).id;
const freshKey = () => {
  const key = testLicenseKey(1);
  installedKeys.push(key);
  return key;
};

function headersFor(caller: Caller): Record<string, string> {
  if (caller === 'none') return {};
  if (caller === 'malformed') return { authorization: 'Basic YWRtaW46YWRtaW4=' };
  return { authorization: `Bearer ${tokens[caller]}` };
}

async function call(method: Method, url: string, caller: Caller = 'admin', payload?: unknown, path = url.split('?')[0]!) {
  const res = await t.running.http.inject({ method, url, headers: headersFor(caller), ...(payload === undefined ? {} : { payload: payload as object }) });
  seen.push({ method, path, caller, status: res.statusCode, body: res.body });
  const json = String(res.headers['content-type']).startsWith('application/json') ? (JSON.parse(res.body) as Record<string, unknown>) : {};
  return { status: res.statusCode, body: json };
}

/**
 * Opens the event stream on a real connection and closes it once it answers; the status, or 0 for a
 * 200 that is not an event stream. node:http without an agent leaves no pooled socket behind.
 */
function openStream(caller: Caller): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: headersFor(caller), agent: false }, (res) => {
      res.on('error', () => undefined); // destroyed below, mid-stream
      if (res.statusCode === 200) {
        request.destroy();
        return resolve(/^text\/event-stream/.test(String(res.headers['content-type'])) ? 200 : 0);
      }
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        seen.push({ method: 'GET', path: '/api/v1/alarms/stream', caller, status: res.statusCode!, body });
        resolve(res.statusCode!);
      });
    });
    request.on('error', reject);
  });
}

const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/healthz', access: 'public', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/readyz', access: 'public', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/metrics', access: 'public', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/docs', access: 'public', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/docs/json', access: 'public', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/api/v1/about', access: 'read', partners: 'installation', ok: 200, bad: 'no input' },
  {
    method: 'GET', path: '/api/v1/devices', access: 'read', partners: 'device-data', ok: 200,
    bad: () => [['/api/v1/devices?status=sideways', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices?colour=red', undefined, 400, 'VALIDATION_FAILED']],
  },
  {
    method: 'POST', path: '/api/v1/devices', access: 'admin', partners: 'device-admin', ok: 201,
    request: (caller) => ({ payload: caller === 'admin' ? spareDevice() : deviceBody('never', `${NET}99`) }),
    bad: () => [
      ['/api/v1/devices', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/devices', deviceBody('sim-1', `${NET}98`), 409, 'DEVICE_EXISTS'],
      ['/api/v1/devices?dryRun=maybe', deviceBody('x', `${NET}98`), 400, 'VALIDATION_FAILED'],
    ],
  },
  {
    method: 'GET', path: '/api/v1/devices/:id', access: 'read', partners: 'device-data', ok: 200,
    request: () => ({ url: `/api/v1/devices/${simId}` }),
    bad: () => [['/api/v1/devices/abc', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  {
    method: 'PATCH', path: '/api/v1/devices/:id', access: 'admin', partners: 'device-admin', ok: 200,
    request: () => ({ url: `/api/v1/devices/${simId}`, payload: { intervalSeconds: 600 } }),
    bad: () => [
      [`/api/v1/devices/${simId}`, {}, 400, 'VALIDATION_FAILED'],
      [`/api/v1/devices/${simId}`, { port: 70000 }, 400, 'VALIDATION_FAILED'],
      [`/api/v1/devices/${simId}`, { snmp: { readCommunity: '' } }, 400, 'VALIDATION_FAILED'],
      [`/api/v1/devices/${simId}`, { address: `${NET}250` }, 409, 'DEVICE_EXISTS'],
      ['/api/v1/devices/999999', { timeoutMs: 900 }, 404, 'DEVICE_NOT_FOUND'],
    ],
  },
  {
    method: 'DELETE', path: '/api/v1/devices/:id', access: 'admin', partners: 'device-admin', ok: 200,
    request: async (caller) => {
      if (caller !== 'admin') return { url: `/api/v1/devices/${simId}` };
      return { url: `/api/v1/devices/${(await call('POST', '/api/v1/devices', 'admin', spareDevice())).body.id}` };
    },
    bad: () => [['/api/v1/devices/abc', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  {
    method: 'POST', path: '/api/v1/devices/:id/scan', access: 'admin', partners: 'device-admin', ok: 202,
    request: () => ({ url: `/api/v1/devices/${simId}/scan` }),
    bad: () => [['/api/v1/devices/0/scan', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999/scan', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  {
    method: 'POST', path: '/api/v1/devices/:id/register', access: 'admin', partners: 'device-admin', ok: 202,
    request: () => ({ url: `/api/v1/devices/${simId}/register` }),
    bad: () => [['/api/v1/devices/-1/register', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999/register', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  {
    method: 'GET', path: '/api/v1/devices/:id/readings', access: 'read', partners: 'device-data', ok: 200,
    request: () => ({ url: `/api/v1/devices/${simId}/readings` }),
    bad: () => [['/api/v1/devices/abc/readings', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999/readings', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  {
    method: 'GET', path: '/api/v1/devices/:id/readings/history', access: 'read', partners: 'device-data', ok: 200,
    request: () => ({ url: `/api/v1/devices/${simId}/readings/history?reading=inletTemperature&instance=1` }),
    bad: () => {
      const history = `/api/v1/devices/${simId}/readings/history`;
      return [
        [history, undefined, 400, 'VALIDATION_FAILED'],
        [`${history}?reading=inletTemperature&limit=10001`, undefined, 400, 'VALIDATION_FAILED'],
        [`${history}?reading=inletTemperature&since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z`, undefined, 400, 'VALIDATION_FAILED'],
        [`${history}?reading=inletTemperature`, undefined, 400, 'READING_INSTANCE_REQUIRED'],
        [`${history}?reading=nope`, undefined, 404, 'READING_NOT_FOUND'],
        ['/api/v1/devices/999999/readings/history?reading=nope', undefined, 404, 'DEVICE_NOT_FOUND'],
      ];
    },
  },
  {
    method: 'GET', path: '/api/v1/alarms', access: 'read', partners: 'device-data', ok: 200,
    bad: () => [
      ['/api/v1/alarms?severity=loud', undefined, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms?since=yesterday', undefined, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms?device=nobody', undefined, 404, 'DEVICE_NOT_FOUND'],
    ],
  },
  ...(['/api/v1/alarms/history', '/api/v1/events'] as const).map((path): RouteCase => ({
    method: 'GET', path, access: 'read', partners: 'device-data', ok: 200,
    bad: () => [
      [`${path}?limit=0`, undefined, 400, 'VALIDATION_FAILED'],
      [`${path}?limit=1001`, undefined, 400, 'VALIDATION_FAILED'],
      [`${path}?after=-1`, undefined, 400, 'VALIDATION_FAILED'],
      [`${path}?device=nobody`, undefined, 404, 'DEVICE_NOT_FOUND'],
    ],
  })),
  {
    method: 'GET', path: '/api/v1/alarms/stream', access: 'read', partners: 'device-data', ok: 200, stream: true,
    bad: () => [['/api/v1/alarms/stream?after=soon', undefined, 400, 'VALIDATION_FAILED']],
  },
  { method: 'GET', path: '/api/v1/profiles', access: 'read', partners: 'installation', ok: 200, bad: 'no input' },
  {
    method: 'GET', path: '/api/v1/profiles/:name', access: 'read', partners: 'installation', ok: 200,
    request: () => ({ url: '/api/v1/profiles/netbotz' }),
    bad: () => [['/api/v1/profiles/Not_A_Name', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/profiles/no-such-profile', undefined, 404, 'PROFILE_NOT_FOUND']],
  },
  { method: 'POST', path: '/api/v1/profiles/reload', access: 'admin', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/api/v1/licenses', access: 'read', partners: 'installation', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/api/v1/licenses/usage', access: 'read', partners: 'installation', ok: 200, bad: 'no input' },

  {
    method: 'POST', path: '/api/v1/alarms/ack', access: 'admin', ok: 200,
    request: (caller) => ({ payload: { deviceId: deadId, key: caller === 'admin' ? freshAlarm() : 'test:never', comment: 'on it' } }),
    bad: () => [
      ['/api/v1/alarms/ack', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/ack', { deviceId: deadId, key: 'k' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/ack', { deviceId: deadId, device: 'dead-1', key: 'k', comment: 'c' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/ack', { deviceId: deadId, key: 'k', comment: 'red \u001b[31m alert' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/ack', { deviceId: deadId, key: 'k', comment: '   ' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/ack', { device: 'nobody', key: 'k', comment: 'c' }, 404, 'DEVICE_NOT_FOUND'],
      ['/api/v1/alarms/ack', { deviceId: deadId, key: 'test:no-such-alarm', comment: 'c' }, 404, 'ALARM_NOT_FOUND'],
      ['/api/v1/alarms/ack', { device: 'dead-1', key: freshAlarm(true), comment: 'c' }, 409, 'ALARM_ALREADY_ACKNOWLEDGED'],
    ],
  },
  {
    method: 'POST', path: '/api/v1/alarms/unack', access: 'admin', ok: 200,
    request: (caller) => ({ payload: { deviceId: deadId, key: caller === 'admin' ? freshAlarm(true) : 'test:never' } }),
    bad: () => [
      ['/api/v1/alarms/unack', { deviceId: deadId }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/alarms/unack', { deviceId: 999999, key: 'k' }, 404, 'DEVICE_NOT_FOUND'],
      ['/api/v1/alarms/unack', { deviceId: deadId, key: 'test:no-such-alarm' }, 404, 'ALARM_NOT_FOUND'],
      ['/api/v1/alarms/unack', { deviceId: deadId, key: freshAlarm() }, 409, 'ALARM_NOT_ACKNOWLEDGED'],
    ],
  },
  {
    method: 'GET', path: '/api/v1/maintenance', access: 'read', ok: 200,
    bad: () => [['/api/v1/maintenance?state=sideways', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/maintenance?limit=0', undefined, 400, 'VALIDATION_FAILED']],
  },
  {
    method: 'POST', path: '/api/v1/maintenance', access: 'admin', ok: 201,
    request: () => ({ payload: { devices: ['sim-1', deadId], durationMinutes: 30, reason: 'battery test' } }),
    bad: () => {
      const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
      return [
        ['/api/v1/maintenance', {}, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', profile: 'apc-ups', durationMinutes: 5, reason: 'r' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', durationMinutes: 5, endsAt: soon(600_000), reason: 'r' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', durationMinutes: 0, reason: 'r' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', startsAt: soon(-3_600_000), durationMinutes: 5, reason: 'r' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', startsAt: soon(600_000), endsAt: soon(300_000), reason: 'r' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { site: 'dc1', durationMinutes: 5, reason: 'line\nbreak' }, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance', { profile: 'no-such-profile', durationMinutes: 5, reason: 'r' }, 400, 'PROFILE_UNKNOWN'],
        ['/api/v1/maintenance', { devices: ['sim-1', 'nobody'], durationMinutes: 5, reason: 'r' }, 404, 'DEVICE_NOT_FOUND'],
      ];
    },
  },
  {
    method: 'GET', path: '/api/v1/maintenance/:id', access: 'read', ok: 200,
    request: () => ({ url: `/api/v1/maintenance/${windowId}` }),
    bad: () => [['/api/v1/maintenance/abc', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/maintenance/999999', undefined, 404, 'MAINTENANCE_NOT_FOUND']],
  },
  {
    method: 'POST', path: '/api/v1/maintenance/:id/end', access: 'admin', ok: 200,
    request: (caller) => ({ url: `/api/v1/maintenance/${caller === 'admin' ? freshWindow() : windowId}/end` }),
    bad: () => {
      const ended = freshWindow();
      t.running.store.maintenance.end(ended, Date.now());
      return [
        ['/api/v1/maintenance/0/end', undefined, 400, 'VALIDATION_FAILED'],
        ['/api/v1/maintenance/999999/end', undefined, 404, 'MAINTENANCE_NOT_FOUND'],
        [`/api/v1/maintenance/${ended}/end`, undefined, 409, 'MAINTENANCE_ENDED'],
      ];
    },
  },
  {
    method: 'POST', path: '/api/v1/licenses', access: 'admin', ok: 201,
    request: (caller) => ({ payload: { key: caller === 'admin' ? freshKey() : testLicenseKey(1) } }),
    bad: () => {
      const installed = freshKey();
      t.running.licenses.add(installed);
      return [
        ['/api/v1/licenses', {}, 400, 'VALIDATION_FAILED'],
        ['/api/v1/licenses', { key: 'not-a-key' }, 400, 'LICENSE_KEY_INVALID'],
        // The same key again, as people paste it: lower case, in dashed groups.
        ['/api/v1/licenses', { key: installed.toLowerCase().replace(/(.{8})(?!$)/g, '$1-') }, 409, 'LICENSE_ALREADY_INSTALLED'],
      ];
    },
  },
  { method: 'GET', path: '/api/v1/tokens', access: 'admin', ok: 200, bad: 'no input' },
  {
    method: 'POST', path: '/api/v1/tokens', access: 'admin', ok: 201,
    request: (caller) => ({ payload: { name: caller === 'admin' ? `api-${++spareTokens}` : 'never', role: 'viewer' } }),
    bad: () => [
      ['/api/v1/tokens', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/tokens', { name: 'ok', role: 'root' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/tokens', { name: '../etc', role: 'viewer' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/tokens', { name: 'late', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/tokens', { name: 'soon', role: 'viewer', expiresAt: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/tokens', { name: 'viewer', role: 'admin' }, 409, 'TOKEN_NAME_TAKEN'],
      ['/api/v1/tokens', { name: 'acme-ro', role: 'partner', partner: 'NOBODY' }, 404, 'PARTNER_NOT_FOUND'],
      ['/api/v1/tokens', { name: 'acme-ro', role: 'viewer', partner: 'FIXTURE' }, 400, 'VALIDATION_FAILED'],
    ],
  },
  {
    method: 'DELETE', path: '/api/v1/tokens/:name', access: 'admin', ok: 200,
    request: (caller) => ({ url: `/api/v1/tokens/${caller === 'admin' ? t.running.tokens.create({ role: 'viewer', name: `gone-${++spareTokens}` }).info.name : 'viewer'}` }),
    bad: () => [['/api/v1/tokens/nobody', undefined, 404, 'TOKEN_NOT_FOUND'], ['/api/v1/tokens/%20viewer', undefined, 400, 'VALIDATION_FAILED']],
  },
  {
    method: 'DELETE', path: '/api/v1/licenses/:ref', access: 'admin', ok: 200,
    request: (caller) => ({
      url: `/api/v1/licenses/${caller === 'admin' ? t.running.licenses.add(freshKey()).fingerprint : t.running.licenses.list()[0]!.fingerprint}`,
    }),
    bad: () => [['/api/v1/licenses/ffffffff', undefined, 404, 'LICENSE_NOT_FOUND'], ['/api/v1/licenses/not%21ok', undefined, 400, 'VALIDATION_FAILED']],
  },
  { method: 'GET', path: '/api/v1/thresholds', access: 'read', ok: 200, bad: 'no input' },
  {
    method: 'POST', path: '/api/v1/thresholds', access: 'admin', ok: 201,
    request: (caller) => ({ payload: rowThreshold(caller === 'admin' ? `row-${++spareThresholds}` : 'never') }),
    bad: () => [
      ['/api/v1/thresholds', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/thresholds', rowThreshold('x', { below: 10 }), 400, 'VALIDATION_FAILED'],
      ['/api/v1/thresholds', rowThreshold('x', { reading: 'batteryCharge' }), 400, 'THRESHOLD_INVALID'],
      ['/api/v1/thresholds', { profile: 'netbotz', reading: 'humidity', level: 'critical', below: 5 }, 409, 'THRESHOLD_EXISTS'],
    ],
  },
  {
    method: 'PATCH', path: '/api/v1/thresholds/:id', access: 'admin', ok: 200,
    request: () => ({ url: `/api/v1/thresholds/${patchedThreshold}`, payload: { above: 40 + ++spareThresholds } }),
    bad: () => [
      ['/api/v1/thresholds/config-0', { outside: [5, 95] }, 409, 'THRESHOLD_FROM_CONFIG'],
      ['/api/v1/thresholds/999999', { above: 41 }, 404, 'THRESHOLD_NOT_FOUND'],
      ['/api/v1/thresholds/abc', { above: 41 }, 400, 'VALIDATION_FAILED'],
      [`/api/v1/thresholds/${patchedThreshold}`, { above: 41, below: 5 }, 400, 'THRESHOLD_INVALID'],
    ],
  },
  {
    method: 'DELETE', path: '/api/v1/thresholds/:id', access: 'admin', ok: 200,
    request: (caller) => ({ url: `/api/v1/thresholds/${caller === 'admin' ? t.running.thresholds.add(thresholdOverrideSchema.parse(rowThreshold(`gone-${++spareThresholds}`))).id : patchedThreshold}` }),
    bad: () => [
      ['/api/v1/thresholds/config-0', undefined, 409, 'THRESHOLD_FROM_CONFIG'],
      ['/api/v1/thresholds/999999', undefined, 404, 'THRESHOLD_NOT_FOUND'],
      ['/api/v1/thresholds/config-x', undefined, 400, 'VALIDATION_FAILED'],
    ],
  },
  {
    method: 'GET', path: '/api/v1/devices/:id/thresholds', access: 'read', partners: 'device-data', ok: 200,
    request: () => ({ url: `/api/v1/devices/${simId}/thresholds` }),
    bad: () => [['/api/v1/devices/abc/thresholds', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/devices/999999/thresholds', undefined, 404, 'DEVICE_NOT_FOUND']],
  },
  { method: 'GET', path: '/api/v1/partners', access: 'admin', ok: 200, bad: 'no input' },
  {
    method: 'POST', path: '/api/v1/partners', access: 'admin', ok: 201,
    request: (caller) => ({ payload: { name: caller === 'admin' ? `Partner ${++spare}, Inc.` : 'Never, Inc.' } }),
    bad: () => [
      ['/api/v1/partners', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/partners', { name: 'Acme', partnerId: 'acme inc' }, 400, 'PARTNER_ID_INVALID'],
      ['/api/v1/partners', { name: '--- ---' }, 400, 'PARTNER_ID_INVALID'],
      ['/api/v1/partners', { name: 'Acme', scope: 'rack' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/partners', { name: 'Acme', scope: { sites: [] } }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/partners', { name: 'Acme', scope: { sites: ['nowhere'] } }, 400, 'PARTNER_SCOPE_UNKNOWN'],
      ['/api/v1/partners', { name: 'Acme', administrator: 'yes' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/partners', { name: 'Fixture!' }, 409, 'PARTNER_ID_TAKEN'],
    ],
  },
  {
    method: 'GET', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200,
    request: () => ({ url: '/api/v1/partners/FIXTURE' }),
    bad: () => [['/api/v1/partners/fixture', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/partners/NOBODY', undefined, 404, 'PARTNER_NOT_FOUND']],
  },
  {
    method: 'PATCH', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200,
    request: () => ({ url: '/api/v1/partners/FIXTURE', payload: { name: `Fixture ${++spare}` } }),
    bad: () => [
      ['/api/v1/partners/FIXTURE', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/partners/FIXTURE', { partnerId: 'FIX TURE' }, 400, 'PARTNER_ID_INVALID'],
      ['/api/v1/partners/FIXTURE', { partnerId: 'LEGACY_PARTNER' }, 409, 'PARTNER_ID_TAKEN'],
      ['/api/v1/partners/FIXTURE', { scope: { sites: ['DC9'] } }, 400, 'PARTNER_SCOPE_UNKNOWN'],
      ['/api/v1/partners/NOBODY', { name: 'x' }, 404, 'PARTNER_NOT_FOUND'],
    ],
  },
  ...(['PUT', 'DELETE'] as const).map((method): RouteCase => ({
    method, path: '/api/v1/partners/:partnerId/grants/:grant', access: 'admin', ok: 200,
    request: () => ({ url: '/api/v1/partners/FIXTURE/grants/administrator' }),
    bad: () => [['/api/v1/partners/FIXTURE/grants/root', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/partners/NOBODY/grants/device-data', undefined, 404, 'PARTNER_NOT_FOUND']],
  })),
  {
    method: 'DELETE', path: '/api/v1/partners/:partnerId', access: 'admin', ok: 200,
    request: (caller) => ({
      url: `/api/v1/partners/${caller === 'admin' ? t.running.partners.create({ name: `Gone ${++spare}` }, 'host').partnerId : 'FIXTURE'}`,
    }),
    bad: () => [['/api/v1/partners/a-b', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/partners/NOBODY', undefined, 404, 'PARTNER_NOT_FOUND']],
  },
  {
    method: 'GET', path: '/api/v1/audit', access: 'admin', ok: 200,
    bad: () => [['/api/v1/audit?limit=0', undefined, 400, 'VALIDATION_FAILED'], ['/api/v1/audit?partner=NOBODY', undefined, 404, 'PARTNER_NOT_FOUND']],
  },
  { method: 'GET', path: '/api/v1/registration', access: 'admin', ok: 200, bad: 'no input' },
  // A single server: the cluster routes say so. test/integration/cluster-api.test.ts runs them on a cluster.
  // Collector addresses are the installation's network: not for partners.
  { method: 'GET', path: '/api/v1/cluster', access: 'read', ok: 200, bad: 'no input' },
  { method: 'GET', path: '/api/v1/cluster/prometheus-sd', access: 'read', ok: 404, bad: 'no input' },
  {
    method: 'POST', path: '/api/v1/registration', access: 'admin', ok: 201,
    request: async (caller) => ({ payload: { code: caller === 'admin' ? await freshCode() : 'never' } }),
    bad: () => [
      ['/api/v1/registration', {}, 400, 'VALIDATION_FAILED'],
      ['/api/v1/registration', { code: 'not a code' }, 400, 'REGISTRATION_CODE_INVALID'],
      ['/api/v1/registration', { code: appliedCodes[0], kind: 'reassociation' }, 400, 'REGISTRATION_CODE_INVALID'],
      ['/api/v1/registration', { code: appliedCodes[0]!.toLowerCase() }, 409, 'REGISTRATION_ALREADY_APPLIED'],
    ],
  },
];

/** A discovery that ran (for GET /api/v1/discovery/:id), started once by an admin. */
let discoveryId: string | undefined;
const discoveryIdle = () => until('no discovery running', () => !t.running.discovery.busy);
const discoveryBody = (targets: string, extra: Record<string, unknown> = {}) => ({ targets, port: PORT, ...extra });
async function aDiscovery(): Promise<string> {
  if (!discoveryId) {
    await discoveryIdle();
    discoveryId = (await call('POST', '/api/v1/discovery', 'admin', discoveryBody(`${NET}1`))).body.id as string;
    await discoveryIdle();
  }
  return discoveryId;
}

ROUTES.push(
  {
    method: 'POST', path: '/api/v1/discovery', access: 'admin', ok: 202,
    request: async (caller) => {
      if (caller === 'admin') await discoveryIdle();
      return { payload: discoveryBody(`${NET}1-${NET}2`) };
    },
    bad: () => {
      // Silent addresses at 50 a second: this one runs for a while, so the next POST finds it running.
      t.running.discovery.begin({ targets: `${NET}200-${NET}230`, port: PORT, add: false });
      return [
        ['/api/v1/discovery', discoveryBody(`${NET}1`), 409, 'DISCOVERY_RUNNING'],
        ['/api/v1/discovery', {}, 400, 'VALIDATION_FAILED'],
        ['/api/v1/discovery', discoveryBody(`${NET}1`, { community: READ }), 400, 'VALIDATION_FAILED'],
        ['/api/v1/discovery', discoveryBody('10.0.0.0/8'), 400, 'DISCOVERY_TARGETS_INVALID'],
        ['/api/v1/discovery', discoveryBody(`${NET}1`, { credentials: ['nope'] }), 400, 'DISCOVERY_CREDENTIAL_UNKNOWN'],
      ];
    },
  },
  {
    method: 'GET', path: '/api/v1/discovery/:id', access: 'admin', ok: 200,
    request: async () => ({ url: `/api/v1/discovery/${await aDiscovery()}` }),
    bad: () => [
      ['/api/v1/discovery/abc', undefined, 400, 'VALIDATION_FAILED'],
      ['/api/v1/discovery/00000000-0000-4000-8000-000000000000', undefined, 404, 'DISCOVERY_NOT_FOUND'],
    ],
  },
);

const docPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');
let doc: { paths: Record<string, Record<string, { security?: unknown[]; parameters: unknown[]; requestBody?: unknown; responses: Record<string, { description: string }> }>> };
const operation = (route: { method: string; path: string }) => doc.paths[docPath(route.path)]?.[route.method.toLowerCase()];

/** What the configuration and the store say, without the scan state (or a token's last use) that changes by itself. */
const changeable = () =>
  JSON.stringify([
    t.running.store.devices.list().map(({ state: _state, ...rest }) => rest),
    t.running.licenses.list(),
    t.running.tokens.list().map(({ lastUsedAt: _lastUsed, ...rest }) => rest),
    t.running.thresholds.overrides(),
    t.running.partners.list(),
    t.running.registration.history(),

    // Acknowledgements only: scans raise and clear alarms by themselves.
    t.running.store.alarms.active().flatMap((a) => (a.acknowledgement ? [[a.key, a.acknowledgement]] : [])),
    t.running.store.maintenance.list({ now: 0, limit: 1000 }),
  ]);

beforeAll(async () => {
  t = await startTestDaemon(
    {
      discovery: { credentials: [{ name: 'sims', snmp: { readCommunity: READ, writeCommunity: WRITE, notifyCommunity: NOTIFY } }], timeoutMs: 200, retries: 0 },
      thresholds: [{ profile: 'netbotz', reading: 'humidity', level: 'critical', outside: [10, 90] }],
    },
    { licensedNodes: 20 },
  );
  tokens.admin = t.adminToken;
  patchedThreshold = t.running.thresholds.add(thresholdOverrideSchema.parse(rowThreshold('patched'))).id;
  tokens.viewer = t.running.tokens.create({ role: 'viewer', name: 'viewer' }).token;
  tokens.partner = t.running.tokens.create({ role: 'partner', name: 'partner' }).token;
  t.running.partners.create({ name: 'Fixture' }, 'host');
  tokens.revoked = t.running.tokens.create({ role: 'admin', name: 'gone' }).token;
  t.running.tokens.revoke('gone');
  // An admin token that expires at once: refused like a revoked one.
  tokens.expired = t.running.tokens.create({ role: 'admin', name: 'expired', expiresAt: Date.now() + 50 }).token;
  await until('the token expired', () => t.running.tokens.authenticate(tokens.expired!) === null);
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }], baseAddress: `${NET}1`, port: PORT, readCommunity: READ, writeCommunity: WRITE, apcTrapPort: t.running.intake.port });
  await fleet.start();
  simId = (await call('POST', '/api/v1/devices', 'admin', deviceBody('sim-1', `${NET}1`))).body.id as number;
  deadId = (await call('POST', '/api/v1/devices', 'admin', deviceBody('dead-1', `${NET}250`))).body.id as number;
  await until('sim-1 registered', () => t.running.store.devices.get(simId)?.state.registration === 'registered');
  windowId = freshWindow();
  // Readings a profile with sensors would store (the sim profile has none); one row's label names
  // the device's address, as device text may: partners must see it masked there too.
  t.running.store.readings.record(simId, [
    { reading: 'inletTemperature', instance: '1', label: `Inlet of ${NET}1`, unit: 'celsius', value: 22.5, state: null },
    { reading: 'inletTemperature', instance: '2', label: 'Outlet', unit: 'celsius', value: 31, state: null },
  ], Date.now());
  doc = (await call('GET', '/docs/json', 'none')).body as typeof doc;
});

afterAll(async () => {
  try {
    // No credential in any response of this file: communities, the installation's notification
    // community, tokens (even revoked), the issuer secret, license key texts.
    const secrets = [READ, WRITE, NOTIFY, ISSUER_TEXT, t.running.store.settings.get('notification-community'), ...installedKeys];
    secrets.push(...CALLERS.map((c) => tokens[c]).filter((token): token is string => Boolean(token)));
    expect(seen.length).toBeGreaterThan(100);
    for (const secret of secrets) {
      expect(secret).toBeTruthy();
      const leaks = seen.filter((r) => r.body.includes(secret!)).map((r) => `${r.method} ${r.path} (${r.caller})`);
      expect(leaks, `a response held ${secret!.slice(0, 5)}…`).toEqual([]);
    }
  } finally {
    await fleet?.stop();
    await t?.stop();
  }
});

describe('the route table', () => {
  it('covers every documented route, and only those', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(ROUTES.map((r) => `${r.method} ${docPath(r.path)}`).sort()).toEqual(documented.sort());
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s is documented with its access and inputs', (_name, route) => {
    const op = operation(route)!;
    expect(op.security === undefined, 'needs a token').toBe(route.access !== 'public');
    expect((op as { 'x-partners'?: string })['x-partners'], 'what partners may do').toBe(route.access === 'public' ? undefined : (route.partners ?? 'none'));
    expect('403' in op.responses, 'admin only, or not for every partner').toBe(route.access === 'admin' || (route.access !== 'public' && route.partners !== 'installation'));
    if (route.bad === 'no input') expect([op.parameters, op.requestBody]).toEqual([[], undefined]);
  });

  it('knows the issuer secret text the credential check looks for', async () => {
    const secret = IssuerSecret.fromText(ISSUER_TEXT, 'test');
    const key = issueKey({ secret, mac: TEST_MAC, nodes: 1, passcode: `api-access-${process.pid}`, edition: 'standard', issuedOn: new Date() }).key;
    installedKeys.push(key);
    expect((await call('POST', '/api/v1/licenses', 'admin', { key })).status).toBe(201);
  });
});

describe('access', () => {
  const expected = (route: RouteCase, caller: Caller) => {
    if (route.access === 'public') return route.ok;
    if (caller === 'none' || caller === 'malformed' || caller === 'revoked' || caller === 'expired') return 401;
    // The implicit partner: read-only, with API device data.
    if (caller === 'partner') return route.partners === 'installation' || route.partners === 'device-data' ? route.ok : 403;
    return route.access === 'admin' && caller !== 'admin' ? 403 : route.ok;
  };

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    const before = changeable();
    for (const caller of CALLERS) {
      if (caller === 'admin') expect(changeable(), 'refused calls change nothing').toBe(before);
      const { url = route.path, payload } = (await route.request?.(caller)) ?? {};
      const status = route.stream ? await openStream(caller) : (await call(route.method, url, caller, payload, route.path)).status;
      expect(status, caller).toBe(expected(route, caller));
      const last = seen.at(-1)!;
      if (status === 401 || status === 403) expect(JSON.parse(last.body).error.code, caller).toBe(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
    }
  });

  it('puts /metrics behind a token when the config says so', async () => {
    const locked = await startTestDaemon({ http: { listen: { address: '127.0.0.1', port: 0 }, metricsRequireToken: true } });
    try {
      const viewer = locked.running.tokens.create({ role: 'viewer', name: 'v' }).token;
      const get = async (headers: Record<string, string>) => (await locked.running.http.inject({ method: 'GET', url: '/metrics', headers })).statusCode;
      expect(await get({})).toBe(401);
      expect(await get({ authorization: `Bearer ${tokens.viewer}` })).toBe(401);
      expect(await get({ authorization: `Bearer ${viewer}` })).toBe(200);
      expect(await get({ authorization: `Bearer ${locked.adminToken}` })).toBe(200);
      expect((await locked.running.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await locked.stop();
    }
  });
});

describe('bad input', () => {
  const routesWithInput = ROUTES.filter((r) => r.bad !== 'no input');
  it.each(routesWithInput.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    for (const [url, payload, status, code] of (route.bad as () => BadCase[])()) {
      const before = changeable();
      const res = await call(route.method, url, 'admin', payload, route.path);
      expect(res.status, url).toBe(status);
      expect(res.body, url).toMatchObject({ error: { code, message: expect.stringMatching(/\w{3}/) } });
      expect(changeable(), `${url} changed something`).toBe(before);
    }
  });

  it('says why a key is refused', async () => {
    const refusal = async (key: string) => {
      const res = await call('POST', '/api/v1/licenses', 'admin', { key });
      expect(res.body).toMatchObject({ error: { code: 'LICENSE_KEY_INVALID' } });
      return (res.body.error as { message: string }).message;
    };
    const otherMac = issueKey({ secret: TEST_ISSUER_SECRET, mac: '02:00:5e:99:99:99', nodes: 1, passcode: `other-${process.pid}`, edition: 'standard', issuedOn: new Date() });
    expect(await refusal(otherMac.key)).toMatch(`does not verify for this server (MAC ${TEST_MAC})`);
    const key = testLicenseKey(1);
    expect(await refusal(key.slice(0, -1) + (key.endsWith('0') ? '1' : '0'))).toMatch(/altered or mistyped/);
    expect(await refusal(key.slice(1))).toMatch(/has 64 characters .*this one has 63/);
  });
});

describe('partners', () => {
  it('see every device address masked, no SNMP settings, and masked addresses in error texts', async () => {
    await call('POST', `/api/v1/devices/${deadId}/scan`);
    await until('dead-1 scanned', () => t.running.store.devices.get(deadId)?.state.lastError);
    expect((await call('GET', `/api/v1/devices/${deadId}`, 'admin')).body.state).toMatchObject({ lastError: expect.stringContaining(`${NET}250`) });
    const devices = (await call('GET', '/api/v1/devices', 'partner')).body.devices as Array<Record<string, unknown>>;
    expect(devices.length).toBeGreaterThan(2);
    for (const device of devices) {
      expect(device.address).toMatch(/^x\.x\.57\.\d+$/);
      for (const hidden of ['port', 'snmp', 'timeoutMs', 'retries']) expect(device, String(device.name)).not.toHaveProperty(hidden);
    }
    const dead = (await call('GET', `/api/v1/devices/${deadId}`, 'partner')).body;
    expect(dead).toMatchObject({ address: 'x.x.57.250', state: { lastError: expect.stringContaining('x.x.57.250') } });
  });

  it('were never shown a full device address by any route', () => {
    const partnerBodies = seen.filter((r) => r.caller === 'partner' && r.status < 300);
    expect(partnerBodies.length).toBeGreaterThan(10);
    expect(partnerBodies.filter((r) => r.body.includes(NET)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});

describe('error codes', () => {
  it('every code answered is in the catalogue and documented for its route', () => {
    const answered = seen.filter((r) => r.status >= 400);
    expect(new Set(answered.map((r) => r.status))).toEqual(new Set([400, 401, 403, 404, 409]));
    for (const { method, path, status, body } of answered) {
      const code = (JSON.parse(body) as { error: { code: keyof typeof API_ERROR_STATUS } }).error.code;
      expect(API_ERROR_STATUS[code], code).toBe(status);
      const documented = operation({ method, path })?.responses[String(status)]?.description.split(', ') ?? [];
      expect(documented, `${method} ${path} answered ${code}`).toContain(code);
    }
  });
});
