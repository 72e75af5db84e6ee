// Tokens managed over the API (admin only), and a token's end ending everything it opened: an
// event stream of a revoked or expired token closes within a second, over a real HTTP connection.
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens } from '../../src/access/tokens.js';
import { systemClock } from '../../src/clock.js';
import { SqliteStore } from '../../src/store/store.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's listener and its one (silent) device live on 127.0.185.0/24.
const HOST = '127.0.185.20';
let t: TestDaemon;
let deviceId = 0;
let raised = 0;

beforeAll(async () => {
  t = await startTestDaemon({ http: { listen: { address: HOST, port: 0 } } });
  const added = await t.api('POST', '/api/v1/devices', {
    name: 'quiet-1',
    address: '127.0.185.21',
    port: 16185,
    priorityScanning: false,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(added.status).toBe(201);
  deviceId = added.body.id as number;
});

afterAll(async () => {
  await t?.stop();
});

/** Stores a raise and publishes it, as a scan would: every open stream of a valid token gets it. */
function raiseOne(): void {
  const at = Date.now();
  const event = t.running.store.alarms.raise(deviceId, { key: `test:${++raised}`, severity: 'warning', code: 'test.event', description: `event ${raised}` }, at);
  t.running.bus.publish([event!], { trigger: 'manual', requestedAt: at, storedAt: at });
}

interface OpenedStream {
  /** Event ids received, in order. */
  events: number[];
  text: () => string;
  /** Resolves when the server ends the response (or the connection closes). */
  ended: Promise<void>;
  destroy: () => void;
}

/** Opens the alarm stream with `token` over a real connection; resolves once the server has answered 200. */
function openStream(token: string): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const request = get(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
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
      resolve({ events, text: () => text, ended, destroy: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

/** Resolves true when `promise` settles within `ms`, false if not (the stream still open). */
const within = (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

async function createToken(body: Record<string, unknown>): Promise<{ token: string; info: Record<string, unknown> }> {
  const res = await t.api('POST', '/api/v1/tokens', body);
  expect(res.status).toBe(201);
  return res.body as { token: string; info: Record<string, unknown> };
}

describe('a token that stops working ends its event streams', () => {
  it('ends the stream at once when an admin revokes the token through the API, and nothing more arrives', async () => {
    const { token } = await createToken({ name: 'dashboard', role: 'viewer' });
    const stream = await openStream(token);
    try {
      raiseOne();
      await until('the first event streamed', () => stream.events.length === 1);
      expect((await t.api('DELETE', '/api/v1/tokens/dashboard')).status).toBe(200);
      expect(await within(stream.ended, 5000), 'the stream ended').toBe(true);
      raiseOne();
      raiseOne();
      // Still exactly the one event from before the revocation, and the last words say why.
      expect(stream.events).toHaveLength(1);
      expect(stream.text()).toMatch(/: closed: the API token was revoked or has expired\n\n$/);
      expect((await t.api('GET', '/api/v1/alarms', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
    } finally {
      stream.destroy();
    }
  });

  it('ends the stream when the token is revoked on the host (priscan token revoke: another process, the same database)', async () => {
    const { token } = t.running.tokens.create({ name: 'wallboard', role: 'partner' });
    const stream = await openStream(token);
    const host = SqliteStore.open(join(t.dataDir, 'priscan.db'), systemClock);
    try {
      expect(new ApiTokens({ repository: host.tokens }).revoke('wallboard')?.name).toBe('wallboard');
      expect(await within(stream.ended, 5000), 'the stream ended').toBe(true);
      raiseOne();
      expect(stream.events).toEqual([]);
    } finally {
      host.close();
      stream.destroy();
    }
  });

  it('ends the stream when the token expires, with nobody doing anything', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { token, info } = await createToken({ name: 'temporary', role: 'viewer', expiresAt });
    expect(info).toMatchObject({ expiresAt, expired: false });
    const stream = await openStream(token);
    try {
      expect(await within(stream.ended, 10_000), 'the stream ended').toBe(true);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      raiseOne();
      expect(stream.events).toEqual([]);
      // Listed as expired until revoked; refused like a revoked token.
      const listed = (await t.api('GET', '/api/v1/tokens')).body.tokens as Array<Record<string, unknown>>;
      expect(listed.find((l) => l.name === 'temporary')).toMatchObject({ expired: true, expiresAt });
      const refused = await t.api('GET', '/api/v1/about', undefined, { authorization: `Bearer ${token}` });
      expect(refused).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    } finally {
      stream.destroy();
    }
  });

  it('keeps the stream of a token that still works', async () => {
    const { token } = await createToken({ name: 'steady', role: 'viewer' });
    const stream = await openStream(token);
    try {
      await t.api('DELETE', '/api/v1/tokens/dashboard-other').then((res) => expect(res.status).toBe(404));
      // Three recheck periods pass; the stream is still open and still delivers.
      expect(await within(stream.ended, 1600)).toBe(false);
      raiseOne();
      await until('the event streamed', () => stream.events.length === 1);
    } finally {
      stream.destroy();
    }
  });
});

describe('tokens over the API', () => {
  it('creates a token shown once; listings never hold the token or its hash', async () => {
    const { token, info } = await createToken({ name: 'automation', role: 'admin' });
    expect(token).toMatch(/^psk_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ name: 'automation', role: 'admin', prefix: token.slice(0, 12), lastUsedAt: null, expiresAt: null, expired: false });
    // The new token works, with its role.
    expect((await t.api('GET', '/api/v1/tokens', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);

    const list = await t.running.http.inject({ method: 'GET', url: '/api/v1/tokens', headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(token.slice(12));
    const hashes = ((t.running.store as SqliteStore).db.prepare('SELECT token_sha256 FROM api_tokens').pluck().all() as Buffer[]).flatMap((h) => [h.toString('hex'), h.toString('base64'), h.toString('base64url')]);
    for (const hash of hashes) expect(list.body).not.toContain(hash);
    const listed = (JSON.parse(list.body) as { tokens: Array<Record<string, unknown>> }).tokens.find((l) => l.name === 'automation')!;
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'expired', 'expiresAt', 'id', 'lastUsedAt', 'name', 'partner', 'prefix', 'role']);
    expect(listed.lastUsedAt).toEqual(expect.any(String));
  });

  it('refuses a second token of the same name, and revokes by exact name only', async () => {
    await createToken({ name: 'ci', role: 'viewer' });
    expect(await t.api('POST', '/api/v1/tokens', { name: 'ci', role: 'admin' })).toMatchObject({ status: 409, body: { error: { code: 'TOKEN_NAME_TAKEN' } } });
    const id = (t.running.tokens.list().find((l) => l.name === 'ci')!.id);
    // An id is not a name here: the number of a token that has a name is refused.
    expect(await t.api('DELETE', `/api/v1/tokens/${id}`)).toMatchObject({ status: 404, body: { error: { code: 'TOKEN_NOT_FOUND' } } });
    expect(await t.api('DELETE', '/api/v1/tokens/ci')).toMatchObject({ status: 200, body: { revoked: { name: 'ci' } } });
    expect(await t.api('DELETE', '/api/v1/tokens/ci')).toMatchObject({ status: 404, body: { error: { code: 'TOKEN_NOT_FOUND' } } });
  });
});
