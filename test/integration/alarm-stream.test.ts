// The live alarm stream (Server-Sent Events) over a real HTTP connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.41.0/24.
const PORT = 16185;
let t: TestDaemon;
let fleet: Fleet;
let viewer = '';

interface StreamEvent { id: number; event: string; data: { kind: string; device: string; code: string } }

/**
 * Reads events from the stream until `want` of them arrived or the deadline passed. `onOpen` runs
 * once the response has begun: the server subscribes before it sends anything, so nothing is missed.
 */
async function readEvents(headers: Record<string, string>, want: number, timeoutMs = 5000, query = '', onOpen?: () => void): Promise<StreamEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const res = await fetch(`${t.running.httpUrl}/api/v1/alarms/stream${query}`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  onOpen?.();
  const events: StreamEvent[] = [];
  let buffer = '';
  try {
    for await (const chunk of res.body!) {
      buffer += Buffer.from(chunk as Uint8Array).toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        if (field('data')) events.push({ id: Number(field('id')), event: field('event')!, data: JSON.parse(field('data')!) });
      }
      if (events.length >= want) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

beforeAll(async () => {
  t = await startTestDaemon();
  viewer = t.running.tokens.create({ role: 'viewer', name: 'dashboard' }).token;
  fleet = new Fleet({ devices: [{ kind: 'ups', count: 1 }], baseAddress: '127.0.41.1', port: PORT });
  await fleet.start();
  await t.api('POST', '/api/v1/devices', { name: 'ups-1', address: '127.0.41.1', port: PORT, timeoutMs: 500, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
  await until('registered', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable));
});

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('GET /api/v1/alarms/stream', () => {
  it('delivers a raise as it is stored', async () => {
    const [event] = await readEvents({ authorization: `Bearer ${viewer}` }, 1, 5000, '', () => fleet.devices[0]!.raise('onBattery'));
    expect(event).toMatchObject({ event: 'raise', data: { kind: 'raise', device: 'ups-1', code: 'ups.onBattery' } });
    expect(event!.id).toBeGreaterThan(0);
  });

  it('replays what was missed after Last-Event-ID, then goes on live', async () => {
    const before = t.running.store.alarms.lastEventId();
    fleet.devices[0]!.clear('onBattery');
    await until('the clear stored', () => t.running.store.alarms.lastEventId() > before);
    const events = await readEvents({ authorization: `Bearer ${viewer}`, 'last-event-id': String(before - 1) }, 2);
    expect(events.map((e) => [e.id, e.event])).toEqual([
      [before, 'raise'],
      [before + 1, 'clear'],
    ]);
  });

  it('still delivers new events to a client resuming from an id the log never reached (a replaced database)', async () => {
    const headers = { authorization: `Bearer ${viewer}`, 'last-event-id': '999999' };
    const [event] = await readEvents(headers, 1, 5000, '', () => fleet.devices[0]!.raise('onBattery'));
    expect(event).toMatchObject({ event: 'raise', data: { device: 'ups-1', code: 'ups.onBattery' } });
  });

  it('needs a token', async () => {
    const res = await fetch(`${t.running.httpUrl}/api/v1/alarms/stream`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  it('lets the daemon stop while a stream is open', async () => {
    const res = await fetch(`${t.running.httpUrl}/api/v1/alarms/stream`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(res.status).toBe(200);
    const started = Date.now();
    await t.daemon.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    await res.body?.cancel().catch(() => undefined);
  });
});
