// The Alertmanager sender with a fake fetch and a fake clock (batching, resend, backoff, bounds),
// then against a local node:http server with the real fetch (500s, refused connections, timeouts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import type { ActiveAlarm, AlarmEvent, ClearReason, Severity } from '../../src/alarms/model.js';
import { AlertmanagerSender, type AlertingTuning } from '../../src/alerting/alertmanager.js';
import { alertName, type AlertDevice, type PostableAlert } from '../../src/alerting/alerts.js';
import { alertmanagerConfigSchema } from '../../src/alerting/config.js';
import type { AlertmanagerObserver } from '../../src/alerting/delivery.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/tools.js';

const AM1 = 'http://am-1.test:9093';
const AM2 = 'http://am-2.test:9093/prefix';
const silent = { warn: () => undefined, info: () => undefined };
const iso = (ms: number) => new Date(ms).toISOString();

/** Lets the sender's promise callbacks (fetch, body reads) run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

interface Post {
  url: string;
  alerts: PostableAlert[];
}

function harness(options: { urls?: string[]; tuning?: Partial<AlertingTuning>; fetch?: typeof fetch; clock?: Clock; timeoutMs?: number } = {}) {
  const clock = options.clock ?? new FakeClock();
  const bus = new AlarmEventBus((error) => {
    throw error;
  });
  const devices = new Map<number, AlertDevice>([
    [1, { name: 'ups-1', address: '127.0.40.1', profile: 'auto', resolvedProfile: 'rfc1628-ups' }],
    [2, { name: 'pdu-1', address: '127.0.40.2', profile: 'apc-rpdu', resolvedProfile: 'apc-rpdu' }],
  ]);
  const active: ActiveAlarm[] = [];
  const posts: Post[] = [];
  /** Per endpoint: an HTTP status to answer, or an error to throw (a refused connection). */
  const answers = new Map<string, number | Error>();
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    posts.push({ url, alerts: JSON.parse(String(init?.body)) as PostableAlert[] });
    const answer = answers.get(url) ?? 200;
    if (answer instanceof Error) throw answer;
    return new Response(answer >= 400 ? 'invalid alerts' : '', { status: answer });
  }) as typeof fetch;
  const seen = { sent: 0, failed: [] as string[], dropped: [] as string[], queue: new Map<string, number>() };
  const observer: AlertmanagerObserver = {
    sent: (_url, n) => (seen.sent += n),
    failed: (url, reason) => seen.failed.push(`${url} ${reason}`),
    dropped: (url, n, reason) => seen.dropped.push(`${url} ${n} ${reason}`),
    queueSize: (url, size) => seen.queue.set(url, size),
  };
  const config = alertmanagerConfigSchema.parse({
    urls: options.urls ?? [AM1],
    site: 'dc-east',
    labels: { team: 'facilities' },
    externalUrl: 'https://priscan.example.net/',
    timeoutMs: options.timeoutMs ?? 5000,
  });
  const sender = new AlertmanagerSender({
    config: config!,
    bus,
    alarms: { active: () => active },
    devices: { get: (id) => devices.get(id) },
    clock,
    log: silent,
    observer,
    fetch: options.fetch ?? fakeFetch,
    tuning: options.tuning,
  });
  let nextId = 1;
  /** Changes the store's active set, then publishes, as the scanner does. */
  const publish = (kind: AlarmEvent['kind'], deviceId: number, code: string, severity: Severity = 'warning', reason: ClearReason | null = null) => {
    const key = `src:1:${code}`;
    const at = clock.now();
    const index = active.findIndex((a) => a.deviceId === deviceId && a.key === key);
    if (kind === 'raise' && index < 0) active.push({ deviceId, key, code, severity, description: `alarm ${code}`, raisedAt: at });
    if (kind === 'clear' && index >= 0) active.splice(index, 1);
    const deviceName = devices.get(deviceId)?.name ?? 'gone';
    bus.publish([{ id: nextId++, deviceId, deviceName, kind, key, code, severity, description: `alarm ${code}`, at, reason }], { trigger: 'trap', requestedAt: at, storedAt: at });
  };
  const alertsTo = (url: string) => posts.filter((p) => p.url === `${url}/api/v2/alerts`).flatMap((p) => p.alerts);
  return { clock, bus, devices, active, posts, answers, seen, sender, publish, alertsTo, endpoint: (url: string) => `${url}/api/v2/alerts` };
}

type Harness = ReturnType<typeof harness>;
let current: Harness | undefined;
afterEach(async () => {
  await current?.sender.stop();
  current = undefined;
});
const started = (options?: Parameters<typeof harness>[0]) => {
  current = harness(options);
  current.sender.start();
  return current;
};
const advance = async (h: Harness, ms: number) => {
  (h.clock as FakeClock).advance(ms);
  await settle();
};

describe('alertmanagerConfigSchema', () => {
  it('is optional, applies defaults and refuses what Alertmanager or a log must not see', () => {
    expect(alertmanagerConfigSchema.parse(undefined)).toBeUndefined();
    expect(alertmanagerConfigSchema.parse({ urls: ['http://127.0.0.1:9093'] })).toEqual({ urls: ['http://127.0.0.1:9093'], resendIntervalSeconds: 60, timeoutMs: 5000 });
    const bad = [
      { urls: [] },
      { urls: ['ftp://am:9093'] },
      { urls: ['not a url'] },
      { urls: ['http://user:pw@am:9093'] },
      { urls: ['http://am:9093', 'http://am:9093/'] },
      { urls: ['http://am:9093'], labels: { site: 'x' } },
      { urls: ['http://am:9093'], labels: { 'bad-name': 'x' } },
      { urls: ['http://am:9093'], resendIntervalSeconds: 0 },
      { urls: ['http://am:9093'], url: 'http://am:9093' },
    ];
    for (const config of bad) expect(alertmanagerConfigSchema.safeParse(config).success, JSON.stringify(config)).toBe(false);
  });

  it('names alerts after their code', () => {
    expect(alertName('ups.onBattery')).toBe('UpsOnBattery');
    expect(alertName('priscan.communicationLost')).toBe('PriscanCommunicationLost');
  });
});

describe('AlertmanagerSender with a fake Alertmanager', () => {
  it('sends a raise as a firing alert after the batching delay', async () => {
    const h = started();
    const raisedAt = h.clock.now();
    h.publish('raise', 1, 'ups.onBattery');
    await advance(h, 99);
    expect(h.posts).toHaveLength(0);
    await advance(h, 1);
    expect(h.posts).toHaveLength(1);
    expect(h.posts[0]!.url).toBe('http://am-1.test:9093/api/v2/alerts');
    expect(h.posts[0]!.alerts).toEqual([
      {
        labels: { alertname: 'UpsOnBattery', device: 'ups-1', severity: 'warning', code: 'ups.onBattery', profile: 'rfc1628-ups', site: 'dc-east', team: 'facilities', alarm_key: 'src:1:ups.onBattery' },
        annotations: {
          description: 'alarm ups.onBattery',
          summary: 'ups-1: alarm ups.onBattery',
          device_address: '127.0.40.1',
          priscan_url: 'https://priscan.example.net/api/v1/alarms?device=ups-1',
        },
        startsAt: iso(raisedAt),
        endsAt: iso(raisedAt + 100 + 4 * 60_000),
        generatorURL: 'https://priscan.example.net/api/v1/alarms?device=ups-1',
      },
    ]);
    expect(h.seen.sent).toBe(1);
  });

  it('batches events: one POST per flush, at most 64 alerts each, a full batch at once', async () => {
    const h = started();
    h.publish('raise', 1, 'a');
    await advance(h, 50);
    h.publish('raise', 2, 'b');
    h.publish('raise', 1, 'c');
    await advance(h, 50);
    expect(h.posts.map((p) => p.alerts.length)).toEqual([3]);
    for (let i = 0; i < 130; i++) h.publish('raise', 2, `code${i}`);
    await advance(h, 0); // 64 waiting: no 100 ms delay
    expect(h.posts.map((p) => p.alerts.length)).toEqual([3, 64, 64, 2]);
  });

  it('sends a clear as the same alert with endsAt, even after the device is gone', async () => {
    const h = started();
    const raisedAt = h.clock.now();
    h.publish('raise', 1, 'ups.onBattery');
    await advance(h, 100);
    await advance(h, 5000);
    h.devices.delete(1);
    h.publish('clear', 1, 'ups.onBattery');
    await advance(h, 100);
    const [firing, resolved] = h.alertsTo(AM1);
    expect(resolved!.labels).toEqual(firing!.labels);
    expect(resolved!.startsAt).toBe(iso(raisedAt));
    expect(resolved!.endsAt).toBe(iso(raisedAt + 5100));
  });

  it('resolves the alert at once when priscan ends the alarm itself, saying why (a device removed)', async () => {
    const h = started();
    h.publish('raise', 1, 'ups.onBattery');
    h.publish('raise', 1, 'ups.lowBattery');
    await advance(h, 100);
    h.devices.delete(1);
    h.publish('clear', 1, 'ups.onBattery', 'warning', 'device removed');
    h.publish('clear', 1, 'ups.lowBattery');
    await advance(h, 100);
    const resolved = h.posts.at(-1)!.alerts;
    expect(resolved.map((a) => [a.labels.code, a.endsAt, a.annotations.resolved_reason])).toEqual([
      ['ups.onBattery', iso(h.clock.now() - 100), 'device removed'],
      ['ups.lowBattery', iso(h.clock.now() - 100), undefined],
    ]);
    // The firing alert and its resolution are one label set; the firing one carries no reason.
    expect(resolved[0]!.labels).toEqual(h.posts[0]!.alerts.find((a) => a.labels.code === 'ups.onBattery')!.labels);
    expect(h.posts[0]!.alerts.every((a) => a.annotations.resolved_reason === undefined)).toBe(true);
  });

  it('sends only the newest state of an alarm', async () => {
    const h = started();
    h.publish('raise', 1, 'x');
    h.publish('clear', 1, 'x');
    await advance(h, 100);
    expect(h.posts).toHaveLength(1);
    expect(h.posts[0]!.alerts).toHaveLength(1);
    expect(Date.parse(h.posts[0]!.alerts[0]!.endsAt)).toBeLessThanOrEqual(h.clock.now());
  });

  it('re-sends active alarms each interval with a fresh endsAt, and resolves alarms that vanished', async () => {
    const h = started();
    h.publish('raise', 1, 'kept');
    h.publish('raise', 2, 'deleted-device');
    await advance(h, 100);
    h.active.splice(h.active.findIndex((a) => a.deviceId === 2), 1); // a device delete cascades without events
    await advance(h, 60_000 - 100);
    const resend = h.posts.at(-1)!.alerts;
    expect(resend.map((a) => [a.labels.code, a.endsAt])).toEqual([
      ['deleted-device', iso(h.clock.now())],
      ['kept', iso(h.clock.now() + 240_000)],
    ]);
    await advance(h, 60_000);
    expect(h.posts.at(-1)!.alerts.map((a) => a.labels.code)).toEqual(['kept']);
  });

  it('sends alarms already active when it starts', async () => {
    current = harness();
    const h = current;
    h.active.push({ deviceId: 2, key: 'k', code: 'pdu.phaseOverload', severity: 'critical', description: 'Phase overload', raisedAt: h.clock.now() - 3_600_000 });
    h.sender.start();
    await settle();
    expect(h.posts[0]!.alerts[0]).toMatchObject({ labels: { device: 'pdu-1', code: 'pdu.phaseOverload' }, startsAt: iso(h.clock.now() - 3_600_000) });
  });

  it('retries with capped exponential backoff and then delivers the current state', async () => {
    const h = started();
    h.answers.set(h.endpoint(AM1), 500);
    h.publish('raise', 1, 'first');
    await advance(h, 100);
    const attemptTimes = [h.clock.now()];
    for (let i = 0; i < 9; i++) {
      const before = h.posts.length;
      for (let waited = 0; h.posts.length === before; waited += 100) {
        expect(waited).toBeLessThan(60_000);
        await advance(h, 100);
      }
      attemptTimes.push(h.clock.now());
    }
    const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
    expect(gaps).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(h.seen.failed).toHaveLength(10);
    expect(h.seen.failed[0]).toBe(`${AM1} unavailable`);

    // Meanwhile: a second alarm, and a clear. A refused connection is retried too.
    h.publish('raise', 1, 'second');
    h.publish('raise', 2, 'brief');
    h.publish('clear', 2, 'brief');
    h.answers.set(h.endpoint(AM1), new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }));
    await advance(h, 30_000);
    expect(h.seen.failed.at(-1)).toBe(`${AM1} network`);
    h.answers.delete(h.endpoint(AM1));
    await advance(h, 30_000);
    const delivered = h.posts.at(-1)!.alerts;
    expect(delivered.map((a) => a.labels.code).sort()).toEqual(['brief', 'first', 'second']);
    expect(delivered.every((a) => Date.parse(a.endsAt) >= h.clock.now() || a.labels.code === 'brief')).toBe(true);
    expect(h.seen.queue.get(AM1)).toBe(0);
    // Back to normal: the next event goes out after the usual 100 ms.
    h.publish('clear', 1, 'first');
    await advance(h, 100);
    expect(h.posts.at(-1)!.alerts.map((a) => a.labels.code)).toEqual(['first']);
  });

  it('drops alerts Alertmanager rejects (4xx) instead of retrying them', async () => {
    const h = started();
    h.answers.set(h.endpoint(AM1), 400);
    h.publish('raise', 1, 'x');
    await advance(h, 100);
    await advance(h, 30_000);
    expect(h.posts).toHaveLength(1);
    expect(h.seen.failed).toEqual([`${AM1} rejected`]);
    expect(h.seen.dropped).toEqual([`${AM1} 1 rejected`]);
  });

  it('bounds the queue per URL, dropping the oldest resolved alerts first', async () => {
    const h = started({ tuning: { maxPending: 5 } });
    h.answers.set(h.endpoint(AM1), 503);
    for (const code of ['r1', 'r2', 'f1', 'f2', 'f3']) h.publish('raise', 1, code);
    await advance(h, 100); // fails: all 5 go back to the queue
    h.publish('clear', 1, 'r1');
    h.publish('clear', 1, 'r2');
    for (const code of ['f4', 'f5']) h.publish('raise', 1, code);
    await advance(h, 100);
    expect(h.seen.queue.get(AM1)).toBe(5);
    expect(h.seen.dropped).toEqual([`${AM1} 2 queue_full`]);
    h.answers.delete(h.endpoint(AM1));
    await advance(h, 500);
    expect(h.posts.at(-1)!.alerts.map((a) => a.labels.code).sort()).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('keeps each URL apart: one Alertmanager down never delays the other', async () => {
    const h = started({ urls: [AM1, AM2] });
    h.answers.set(h.endpoint(AM1), 503);
    h.publish('raise', 1, 'x');
    await advance(h, 100);
    expect(h.alertsTo(AM2)).toHaveLength(1);
    h.publish('raise', 2, 'y');
    await advance(h, 100);
    expect(h.alertsTo(AM2).map((a) => a.labels.code)).toEqual(['x', 'y']);
    expect(h.alertsTo(AM1).map((a) => a.labels.code)).toEqual(['x']); // waiting for its retry
    h.answers.delete(h.endpoint(AM1));
    await advance(h, 400);
    expect(h.posts.at(-1)).toMatchObject({ url: h.endpoint(AM1) });
    expect(h.posts.at(-1)!.alerts.map((a) => a.labels.code).sort()).toEqual(['x', 'y']);
    expect(h.seen.queue.get(AM1)).toBe(0);
  });

  it('sends what is queued when stopped, and leaves no timer behind', async () => {
    const h = started();
    h.publish('raise', 1, 'x');
    await h.sender.stop();
    expect(h.posts).toHaveLength(1);
    expect((h.clock as FakeClock).pendingTimers).toBe(0);
    h.publish('raise', 1, 'after-stop');
    await advance(h, 1000);
    expect(h.posts).toHaveLength(1);
  });
});

describe('AlertmanagerSender with a local HTTP server and the real fetch', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await current?.sender.stop();
    current = undefined;
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  /** Records each POST body; `answer` decides the status (or 0: never answer). */
  async function listen(answer: (n: number) => number, port = 0) {
    const bodies: PostableAlert[][] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as PostableAlert[]);
        const status = answer(bodies.length);
        if (status === 0) return;
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '' : '{"error":"down"}');
      });
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    return { bodies, url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}` };
  }
  const fast = { flushDelayMs: 10, backoffInitialMs: 20, backoffMaxMs: 100 };

  it('posts JSON, and retries after 500s until accepted', async () => {
    const am = await listen((n) => (n <= 2 ? 500 : 200));
    const h = started({ urls: [am.url], clock: systemClock, fetch: globalThis.fetch, tuning: fast });
    h.publish('raise', 1, 'ups.onBattery');
    await until('an accepted POST', () => h.seen.sent === 1);
    expect(am.bodies).toHaveLength(3);
    expect(am.bodies[2]![0]!.labels.code).toBe('ups.onBattery');
    expect(h.seen.failed).toEqual([`${am.url} unavailable`, `${am.url} unavailable`]);
  });

  it('retries a refused connection until the server is there', async () => {
    const probe = await listen(() => 200);
    const url = probe.url;
    const port = Number(new URL(url).port);
    await new Promise((r) => server!.close(r));
    const h = started({ urls: [url], clock: systemClock, fetch: globalThis.fetch, tuning: fast });
    h.publish('raise', 1, 'x');
    await until('refused connections', () => h.seen.failed.length >= 2);
    expect(h.seen.failed[0]).toBe(`${url} network`);
    const am = await listen(() => 200, port);
    await until('delivery after the server came back', () => am.bodies.length > 0);
    expect(am.bodies[0]!.map((a) => a.labels.code)).toEqual(['x']);
  });

  it('gives up a POST that gets no answer within timeoutMs, and retries it', async () => {
    const am = await listen(() => 0);
    const h = started({ urls: [am.url], clock: systemClock, fetch: globalThis.fetch, tuning: fast, timeoutMs: 200 });
    h.publish('raise', 1, 'x');
    await until('a timed-out POST', () => h.seen.failed.length >= 1, 3000);
    expect(h.seen.failed[0]).toBe(`${am.url} timeout`);
  });
});
