// Webhooks without sockets: the config's rules, secrets that never print, the signature a receiver
// checks, and the sink's filters, bound, rejections and order against a fake fetch, a fake clock
// and the real on-disk queue (an in-memory store).
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEvent, Severity } from '../../src/alarms/model.js';
import type { DeliveryObserver } from '../../src/alerting/delivery-engine.js';
import { SqliteStore } from '../../src/store/store.js';
import { webhookConfigSchema, webhooksConfigSchema } from '../../src/webhooks/config.js';
import { verifyWebhook, WEBHOOK_HEADERS, type WebhookPayload } from '../../src/webhooks/payload.js';
import { loadWebhookSecret, WebhookSecret } from '../../src/webhooks/secret.js';
import { WebhookSink } from '../../src/webhooks/sink.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SECRET = 'a-shared-secret-of-32-characters';
const URL_A = 'http://hooks.test/a';

describe('webhook config', () => {
  const ok = { name: 'noc', url: URL_A, secretEnv: 'PRISCAN_WEBHOOK' };

  it('applies defaults and refuses what cannot work or would leak', () => {
    expect(webhookConfigSchema.parse(ok)).toEqual({ ...ok, timeoutMs: 5000, maxQueued: 10_000, retryInitialMs: 1000, retryMaxMs: 60_000 });
    const bad = [
      { ...ok, secretEnv: undefined },
      { ...ok, secretFile: '/etc/secret' },
      { ...ok, url: 'ftp://hooks.test/a' },
      { ...ok, url: 'http://user:pw@hooks.test/a' },
      { ...ok, url: 'http://hooks.test/a#frag' },
      { ...ok, name: 'Has Space' },
      { ...ok, severities: ['loud'] },
      { ...ok, severities: [] },
      { ...ok, retryInitialMs: 5000, retryMaxMs: 1000 },
      { ...ok, extra: true },
    ];
    for (const config of bad) expect(webhookConfigSchema.safeParse(config).success, JSON.stringify(config)).toBe(false);
    expect(webhooksConfigSchema.safeParse([ok, { ...ok, url: 'http://hooks.test/b' }]).error?.issues[0]?.message).toMatch(/duplicates webhooks\.0\.name/);
  });
});

describe('webhook secrets', () => {
  it('load from a file or the environment, and never print', () => {
    const fromFile = loadWebhookSecret({ secretFile: '/secret' }, { readFile: () => Buffer.from(`${SECRET}\n`) });
    const fromEnv = loadWebhookSecret({ secretEnv: 'HOOK' }, { environment: { HOOK: SECRET } });
    expect(fromFile.sign(1, 'body')).toBe(fromEnv.sign(1, 'body'));
    for (const shown of [String(fromFile), JSON.stringify({ fromFile }), inspect(fromFile), `${fromEnv}`]) expect(shown).not.toContain('secret-of');
  });

  it('say what is wrong without the content', () => {
    expect(() => loadWebhookSecret({ secretEnv: 'HOOK' }, { environment: {} })).toThrow('the environment variable HOOK is not set');
    expect(() => loadWebhookSecret({ secretEnv: 'HOOK' }, { environment: { HOOK: 'short-one' } })).toThrow(/too short \(9 bytes\)/);
    const missing = Object.assign(new Error('gone'), { code: 'ENOENT' });
    expect(() => loadWebhookSecret({ secretFile: '/nope' }, { readFile: () => { throw missing; } })).toThrow('cannot read the secret file /nope (ENOENT)');
    try {
      WebhookSecret.fromText('tiny-secret', 'test');
    } catch (error) {
      expect((error as Error).message).not.toContain('tiny-secret');
    }
  });
});

describe('the signature', () => {
  const secret = WebhookSecret.fromText(SECRET, 'test');
  const body = JSON.stringify({ kind: 'raise', device: 'ups-1' });
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const signed = { body, timestamp: ts, signature: `sha256=${secret.sign(now / 1000, body)}` };

  it('verifies with the shared secret over the timestamp and the raw body', () => {
    expect(verifyWebhook(signed, SECRET, now)).toEqual({ ok: true });
    expect(verifyWebhook({ ...signed, body: Buffer.from(body) }, SECRET, now + 299_000)).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, a moved timestamp and an old one (a replay)', () => {
    expect(verifyWebhook({ ...signed, body: body.replace('ups-1', 'ups-2') }, SECRET, now)).toMatchObject({ ok: false, why: 'signature does not match' });
    expect(verifyWebhook(signed, `${SECRET}x`, now)).toMatchObject({ ok: false });
    expect(verifyWebhook({ ...signed, timestamp: String(now / 1000 + 1) }, SECRET, now)).toMatchObject({ ok: false, why: 'signature does not match' });
    expect(verifyWebhook(signed, SECRET, now + 301_000)).toMatchObject({ ok: false, why: /replay/ });
    expect(verifyWebhook({ ...signed, signature: undefined }, SECRET, now)).toMatchObject({ ok: false });
  });
});

interface Post { url: string; headers: Record<string, string>; payload: WebhookPayload }

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function harness(webhooks: Array<Record<string, unknown>>, sites: Record<number, string> = {}) {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:', clock);
  stores.push(store);
  const ups = store.devices.insert(newDevice({ name: 'ups-1', address: '127.0.236.1' }));
  const pdu = store.devices.insert(newDevice({ name: 'pdu-1', address: '127.0.236.2' }));
  const posts: Post[] = [];
  const answers: number[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    posts.push({ url: String(input), headers: init?.headers as Record<string, string>, payload: JSON.parse(String(init?.body)) as WebhookPayload });
    return new Response('', { status: answers.shift() ?? 200 });
  }) as typeof fetch;
  const seen = { sent: 0, failed: [] as string[], dropped: [] as string[], queue: new Map<string, number>() };
  const observer: DeliveryObserver = {
    sent: (_name, n) => (seen.sent += n),
    failed: (name, reason) => seen.failed.push(`${name} ${reason}`),
    dropped: (name, n, reason) => seen.dropped.push(`${name} ${n} ${reason}`),
    queueSize: (name, n) => seen.queue.set(name, n),
  };
  const warnings: string[] = [];
  const sink = new WebhookSink({
    webhooks: webhooks.map((w) => ({ config: webhookConfigSchema.parse({ secretEnv: 'X', ...w }), secret: WebhookSecret.fromText(SECRET, 'test') })),
    queue: store.webhookQueue,
    // A device's site, faked: main's device records have none yet.
    devices: { get: (id) => { const d = store.devices.get(id); return d && { ...d, site: sites[id] ?? null }; } },
    clock,
    log: { warn: (_f, m) => warnings.push(m), info: () => undefined },
    observer,
    userAgent: 'priscan/test',
    fetch: fakeFetch,
  });
  let id = 0;
  const event = (deviceId: number, kind: AlarmEvent['kind'], code: string, severity: Severity = 'critical'): AlarmEvent => ({
    id: ++id, deviceId, deviceName: store.devices.get(deviceId)!.name, kind, key: `k:${code}`, code, severity, description: code, at: clock.now(), reason: null,
    ...(kind === 'ack' ? { by: 'ops', comment: 'on it' } : {}),
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return { clock, store, ups, pdu, posts, answers, seen, warnings, sink, event, settle };
}

describe('WebhookSink', () => {
  it('posts each event, signed, one per POST, in order, and empties its queue', async () => {
    const h = harness([{ name: 'noc', url: URL_A }]);
    h.sink.start();
    h.sink.deliver([h.event(h.ups.id, 'raise', 'ups.onBattery'), h.event(h.ups.id, 'ack', 'ups.onBattery'), h.event(h.ups.id, 'clear', 'ups.onBattery')]);
    await h.settle();
    expect(h.posts.map((p) => `${p.payload.kind} ${p.payload.eventId}`)).toEqual(['raise 1', 'ack 2', 'clear 3']);
    const [first, second] = h.posts;
    expect(first!.payload).toMatchObject({ device: 'ups-1', deviceId: h.ups.id, deviceAddress: '127.0.236.1', site: null, code: 'ups.onBattery', severity: 'critical', by: null, maintenanceWindowId: null });
    expect(second!.payload).toMatchObject({ kind: 'ack', by: 'ops', comment: 'on it' });
    expect(first!.headers[WEBHOOK_HEADERS.delivery]).toBe(first!.payload.deliveryId);
    expect(first!.headers[WEBHOOK_HEADERS.event]).toBe('raise');
    const body = JSON.stringify(first!.payload);
    expect(verifyWebhook({ body, timestamp: first!.headers[WEBHOOK_HEADERS.timestamp], signature: first!.headers[WEBHOOK_HEADERS.signature] }, SECRET, h.clock.now())).toEqual({ ok: true });
    expect(h.seen.queue.get('noc')).toBe(0);
    expect(h.store.webhookQueue.pending()).toEqual(new Map());
  });

  it('filters by severity and by site; a deleted device\'s events go to every webhook its severity fits', async () => {
    const h = harness(
      [
        { name: 'critical-only', url: URL_A, severities: ['critical'] },
        { name: 'east', url: 'http://hooks.test/east', sites: ['dc-east'] },
      ],
      { 1: 'dc-east', 2: 'dc-west' },
    );
    h.sink.start();
    h.sink.deliver([h.event(h.ups.id, 'raise', 'east-warning', 'warning'), h.event(h.pdu.id, 'raise', 'west-critical'), h.event(h.ups.id, 'raise', 'east-critical')]);
    await h.settle();
    const to = (url: string) => h.posts.filter((p) => p.url === url).map((p) => p.payload.code);
    expect(to(URL_A)).toEqual(['west-critical', 'east-critical']);
    expect(to('http://hooks.test/east')).toEqual(['east-warning', 'east-critical']);
    expect(h.posts.find((p) => p.payload.code === 'east-warning')!.payload.site).toBe('dc-east');
    const gone = h.event(h.pdu.id, 'clear', 'west-critical');
    h.store.devices.delete(h.pdu.id);
    h.sink.deliver([gone]);
    await h.settle();
    expect(to('http://hooks.test/east').at(-1)).toBe('west-critical');
    expect(h.posts.at(-1)!.payload).toMatchObject({ kind: 'clear', site: null, deviceAddress: null });
  });

  it('retries a receiver that fails with backoff, then delivers in order; drops what it rejects (4xx)', async () => {
    const h = harness([{ name: 'noc', url: URL_A, retryInitialMs: 1000, retryMaxMs: 4000 }]);
    h.sink.start();
    h.answers.push(503, 503, 503, 200, 200, 422, 200);
    h.sink.deliver([h.event(h.ups.id, 'raise', 'a'), h.event(h.ups.id, 'raise', 'b')]);
    await h.settle();
    expect(h.posts.map((p) => p.payload.code)).toEqual(['a']);
    for (const wait of [1000, 2000]) {
      h.clock.advance(wait - 1);
      await h.settle();
      const before = h.posts.length;
      h.clock.advance(1);
      await h.settle();
      expect(h.posts.length).toBe(before + 1);
    }
    h.clock.advance(4000);
    await h.settle();
    expect(h.posts.map((p) => p.payload.code)).toEqual(['a', 'a', 'a', 'a', 'b']);
    // One delivery, one id, however many attempts.
    expect(new Set(h.posts.slice(0, 4).map((p) => p.headers[WEBHOOK_HEADERS.delivery])).size).toBe(1);
    h.sink.deliver([h.event(h.ups.id, 'raise', 'refused'), h.event(h.ups.id, 'raise', 'after')]);
    await h.settle();
    expect(h.posts.map((p) => p.payload.code).slice(-2)).toEqual(['refused', 'after']);
    expect(h.seen.failed).toEqual(['noc unavailable', 'noc unavailable', 'noc unavailable', 'noc rejected']);
    expect(h.seen.dropped).toEqual(['noc 1 rejected']);
    expect(h.seen.sent).toBe(3);
    expect(h.store.webhookQueue.pending()).toEqual(new Map());
  });

  it('bounds its queue: past maxQueued the oldest are dropped, counted and logged', async () => {
    const h = harness([{ name: 'noc', url: URL_A, maxQueued: 3 }]);
    h.sink.start();
    h.answers.push(503);
    h.sink.deliver([h.event(h.ups.id, 'raise', 'first')]);
    await h.settle();
    h.sink.deliver(['second', 'third', 'fourth', 'fifth'].map((code) => h.event(h.ups.id, 'raise', code)));
    expect(h.seen.dropped).toEqual(['noc 2 queue_full']);
    expect(h.warnings).toEqual(expect.arrayContaining(['webhook queue full: dropped its oldest deliveries']));
    expect(h.seen.queue.get('noc')).toBe(3);
    h.clock.advance(1000);
    await h.settle();
    expect(h.posts.map((p) => p.payload.code)).toEqual(['first', 'third', 'fourth', 'fifth']);
    expect(h.seen.queue.get('noc')).toBe(0);
  });

  it('keeps undelivered deliveries on disk across a stop, and drops those of a webhook no longer configured', async () => {
    const h = harness([{ name: 'noc', url: URL_A }, { name: 'old', url: 'http://hooks.test/old' }]);
    h.sink.start();
    h.answers.push(503, 503);
    h.sink.deliver([h.event(h.ups.id, 'raise', 'kept')]);
    await h.settle();
    await h.sink.stop();
    expect(h.store.webhookQueue.pending()).toEqual(new Map([['noc', 1], ['old', 1]]));
    const next = new WebhookSink({
      webhooks: [{ config: webhookConfigSchema.parse({ name: 'noc', url: URL_A, secretEnv: 'X' }), secret: WebhookSecret.fromText(SECRET, 'test') }],
      queue: h.store.webhookQueue,
      devices: h.store.devices,
      clock: h.clock,
      log: { warn: (_f, m) => h.warnings.push(m), info: () => undefined },
      observer: { sent: () => undefined, failed: () => undefined, dropped: (name, n, reason) => h.seen.dropped.push(`${name} ${n} ${reason}`), queueSize: () => undefined },
      userAgent: 'priscan/test',
      fetch: async (input, init) => {
        h.posts.push({ url: String(input), headers: init?.headers as Record<string, string>, payload: JSON.parse(String(init?.body)) as WebhookPayload });
        return new Response('', { status: 200 });
      },
    });
    next.start();
    await h.settle();
    expect(h.seen.dropped).toEqual(['old 1 unconfigured']);
    expect(h.posts.at(-1)).toMatchObject({ url: URL_A, payload: { code: 'kept' } });
    expect(h.store.webhookQueue.pending()).toEqual(new Map());
    await next.stop();
  });
});
