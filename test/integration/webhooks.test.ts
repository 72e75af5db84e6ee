// Webhooks end to end: simulated devices raise and clear, an admin acknowledges, and a real HTTP
// receiver on loopback gets each event as a signed POST, in log order. Its outages (503 answers,
// the server stopped, answers slower than the timeout) and a restart of priscan with deliveries
// still queued lose nothing; repeats are only of one delivery id (at least once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import type { WebhookPayload } from '../../src/webhooks/payload.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// This file's devices and receiver live on 127.0.235.0/24.
const PORT = 16235;
const SECRET = 'webhook-test-secret-0123456789abcdef';
const SECRET_ENV = 'PRISCAN_TEST_WEBHOOK_SECRET';

interface LoggedEvent { id: number; kind: string; deviceId: number; key: string; by: string | null }

let t: TestDaemon;
let fleet: Fleet;
let receiver: WebhookReceiver;
const ids: number[] = [];

const webhookConfig = () => ({
  webhooks: [{ name: 'noc', url: receiver.url, secretEnv: SECRET_ENV, timeoutMs: 400, retryInitialMs: 100, retryMaxMs: 400 }],
});

async function history(after: number): Promise<LoggedEvent[]> {
  return ((await t.api('GET', `/api/v1/alarms/history?after=${after}&limit=1000`)).body as { events: LoggedEvent[] }).events;
}

/** Waits until the receiver holds every event logged after `after` (deduplicated); returns both. */
async function delivered(after: number, count: number): Promise<{ logged: LoggedEvent[]; received: WebhookPayload[] }> {
  const logged = await until(`${count} events logged`, async () => {
    const events = await history(after);
    return events.length >= count && events;
  }, 10_000);
  const received = await until(`${logged.length} events delivered`, () => {
    const payloads = receiver.deduplicated().filter((p) => p.eventId > after);
    return payloads.length >= logged.length && payloads;
  }, 15_000);
  return { logged, received };
}

/** The receiver saw exactly the log, in its order, each delivery once after dedupe, every POST signed. */
function expectExactly(logged: LoggedEvent[], received: WebhookPayload[]): void {
  expect(received.map((p) => `${p.eventId} ${p.kind} ${p.key}`)).toEqual(logged.map((e) => `${e.id} ${e.kind} ${e.key}`));
  expect(receiver.posts.every((p) => p.verified)).toBe(true);
}

const lastId = async () => ((await t.api('GET', '/api/v1/alarms/history?after=0&limit=1000')).body as { lastId: number }).lastId;

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  receiver = new WebhookReceiver('127.0.235.200', SECRET);
  await receiver.start();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 2 }], baseAddress: '127.0.235.1', port: PORT });
  await fleet.start();
  t = await startTestDaemon(webhookConfig());
  for (const [i, device] of fleet.devices.entries()) {
    const res = await t.api('POST', '/api/v1/devices', { name: `sim-${i + 1}`, address: device.address, port: PORT, timeoutMs: 500, retries: 0, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
    expect(res.status).toBe(201);
    ids.push(res.body.id as number);
    await untilRegistered(t, res.body.id as number);
  }
}, 30_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
  await receiver?.stop();
  delete process.env[SECRET_ENV];
});

describe('webhooks', () => {
  it('posts each raise, acknowledgement and clear, signed, in the order of the event log', async () => {
    const after = await lastId();
    fleet.devices[0]!.raise('onBattery');
    const raised = await until('the raise', async () => (await history(after)).find((e) => e.kind === 'raise'));
    const ack = await t.api('POST', '/api/v1/alarms/ack', { deviceId: ids[0], key: raised.key, comment: 'generator test, back by 14:00' });
    expect(ack.status).toBe(200);
    fleet.devices[0]!.clear('onBattery');
    const { logged, received } = await delivered(after, 3);
    expect(logged.map((e) => e.kind)).toEqual(['raise', 'ack', 'clear']);
    expectExactly(logged, received);
    expect(received[1]).toMatchObject({ kind: 'ack', by: 'test-admin', comment: 'generator test, back by 14:00', device: 'sim-1', deviceAddress: '127.0.235.1' });
    const post = receiver.accepted().find((p) => p.payload.kind === 'raise' && p.payload.eventId === logged[0]!.id)!;
    expect(post.headers).toMatchObject({ 'x-priscan-event': 'raise', 'x-priscan-delivery': post.payload.deliveryId, 'user-agent': expect.stringMatching(/^priscan\//) });
    // The receiver has the last POST before its answer reaches priscan.
    await until('three deliveries counted', async () => (await t.metric('priscan_webhook_deliveries_total', { webhook: 'noc', result: 'delivered' })) >= 3);
  });

  it('keeps everything through a receiver answering 503, and delivers it in order once it is back', async () => {
    const after = await lastId();
    receiver.mode = { status: 503 };
    fleet.devices[0]!.raise('lowBattery');
    fleet.devices[1]!.raise('fanFailure');
    await until('two raises logged', async () => (await history(after)).length >= 2, 10_000);
    fleet.devices[1]!.clear('fanFailure');
    await until('refused POSTs', async () => (await t.metric('priscan_webhook_deliveries_total', { webhook: 'noc', result: 'unavailable' })) >= 2, 10_000);
    expect(receiver.posts.filter((p) => p.status === 503).length).toBeGreaterThanOrEqual(2);
    receiver.mode = { status: 200 };
    const { logged, received } = await delivered(after, 3);
    expectExactly(logged, received);
    // Repeats were of the delivery at the head of the queue only, never an accepted one again.
    expect(new Set(receiver.accepted().map((p) => p.payload.deliveryId)).size).toBe(receiver.accepted().length);
    await until('the queue empty', async () => (await t.metric('priscan_webhook_queue_deliveries', { webhook: 'noc' })) === 0);
  });

  it('keeps everything while the receiver is down (connection refused), and delivers it when it is back on its port', async () => {
    const after = await lastId();
    await receiver.stop();
    fleet.devices[1]!.raise('doorOpen');
    fleet.devices[0]!.clear('lowBattery');
    await until('refused connections', async () => (await t.metric('priscan_webhook_deliveries_total', { webhook: 'noc', result: 'network' })) >= 2, 10_000);
    await receiver.start();
    const { logged, received } = await delivered(after, 2);
    expectExactly(logged, received);
  });

  it('sends a delivery again when the answer comes too late, with the same delivery id (at least once)', async () => {
    const after = await lastId();
    receiver.mode = { delayFirstAttemptMs: 800 };
    const before = receiver.posts.length;
    fleet.devices[1]!.clear('doorOpen');
    const { logged, received } = await delivered(after, 1);
    expectExactly(logged, received);
    const attempts = receiver.posts.slice(before).filter((p) => p.payload.eventId === logged[0]!.id);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts.map((p) => p.payload.deliveryId)).size).toBe(1);
    expect(await t.metric('priscan_webhook_deliveries_total', { webhook: 'noc', result: 'timeout' })).toBeGreaterThanOrEqual(1);
    receiver.mode = { status: 200 };
  });

  it('delivers what was still queued when priscan stopped, after its restart on the same data directory', async () => {
    const after = await lastId();
    await receiver.stop();
    fleet.devices[0]!.raise('overload');
    fleet.devices[1]!.raise('tempHigh');
    await until('queued on disk', async () => (await t.metric('priscan_webhook_queue_deliveries', { webhook: 'noc' })) === 2, 10_000);
    const logged = await history(after);
    expect(logged).toHaveLength(2);
    const { dataDir } = t;
    await t.daemon.stop();
    await receiver.start();
    t = await startTestDaemon({ dataDir, ...webhookConfig() });
    const { received } = await delivered(after, 2);
    expectExactly(logged, received.slice(0, 2));
    await until('the queue empty', async () => (await t.metric('priscan_webhook_queue_deliveries', { webhook: 'noc' })) === 0);
  });

  it('queues what the scans still running at shutdown store (sinks stop after the scans drain)', async () => {
    const after = await lastId();
    // Each answer 300 ms late: the scan this notification starts is still running when priscan stops.
    fleet.devices[1]!.setFault('slow', { delayMs: 300 });
    try {
      fleet.devices[1]!.raise('selfTest');
      await until('the scan running', () => t.running.scheduler.running > 0, 5000);
      const { dataDir } = t;
      await t.daemon.stop();
      t = await startTestDaemon({ dataDir, ...webhookConfig() });
      const { logged: stored, received } = await delivered(after, 1);
      expect(stored[0]).toMatchObject({ kind: 'raise' });
      expectExactly(stored.slice(0, 1), received.slice(0, 1));
    } finally {
      fleet.devices[1]!.setFault('none');
    }
  });
});
