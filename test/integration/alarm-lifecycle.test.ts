// What happens to a device's alarms when priscan stops watching them: a key removed (the device
// goes unlicensed), licensed again, a profile changed, the device deleted. After each, replaying
// the event log (GET /api/v1/alarms/history) gives exactly the active set (GET /api/v1/alarms).
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { alarmsCommand } from '../../src/cli/commands/alarms.js';
import { AlarmStreamClient } from '../helpers/alarm-stream.js';
import { startTestDaemon, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';
import { apiLogMismatches } from '../helpers/event-replay.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.180.0/24.
const PORT = 16280;
let t: TestDaemon;
let fleet: Fleet;
let stream: AlarmStreamClient;

interface Event { id: number; kind: string; deviceId: number; device: string; key: string; code: string; reason: string | null }
interface Schema { properties: Record<string, Schema>; items: Schema; anyOf?: Schema[]; enum?: string[] }
interface DeviceView { id: number; name: string; monitoring: string; unmonitoredReason: string | null; state: { registration: string } }

const sim = (i: number) => fleet.devices[i - 1]!;
const idOf = (name: string) => t.running.store.devices.getByName(name)!.id;
const add = async (i: number, priorityScanning = true) => {
  const res = await t.api('POST', '/api/v1/devices', {
    name: `sim-${i}`,
    address: sim(i).address,
    port: PORT,
    timeoutMs: 500,
    retries: 0,
    priorityScanning,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(res.status).toBe(201);
  return (res.body as { id: number }).id;
};
const device = async (name: string) => (await t.api('GET', `/api/v1/devices/${idOf(name)}`)).body as unknown as DeviceView;
const active = async (name: string) =>
  ((await t.api('GET', `/api/v1/alarms?device=${name}`)).body as { alarms: Array<{ code: string }> }).alarms.map((a) => a.code).sort();
const history = async (after: number) => ((await t.api('GET', `/api/v1/alarms/history?after=${after}&limit=1000`)).body as { events: Event[] }).events;
const idle = () => until('queue idle', () => t.running.scheduler.queued + t.running.scheduler.running === 0);
/** Waits for `name` to have exactly these active alarm codes. */
const activeBecomes = (name: string, codes: string[], timeoutMs = 5000) =>
  until(`${name} active: ${codes.join(', ') || 'none'}`, async () => JSON.stringify(await active(name)) === JSON.stringify(codes), timeoutMs);

let keyFingerprint = '';

beforeAll(async () => {
  t = await startTestDaemon();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 7 }], baseAddress: '127.0.180.1', port: PORT });
  await fleet.start();
  stream = await AlarmStreamClient.open(t.running.httpUrl, t.adminToken);
  for (let i = 1; i <= 5; i++) await add(i);
  const license = await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(2) });
  expect(license.status).toBe(201);
  keyFingerprint = (license.body.license as { fingerprint: string }).fingerprint;
  await add(6);
  // No priority scanning: only the safety net (about 5 minutes out here) or a request scans it.
  await add(7, false);
  await until('registered', () => t.running.store.devices.list().every((d) => !d.priorityScanning || d.state.registration === 'registered'), 10_000);
}, 20_000);

afterAll(async () => {
  await stream?.close();
  await fleet?.stop();
  await t?.stop();
});

describe('alarms priscan stops watching', () => {
  it('a key removed: the unlicensed devices\' alarms end with a clear saying they are no longer monitored; they show unmonitored and their registration removed', async () => {
    sim(6).raise('onBattery');
    sim(6).raise('doorOpen');
    await activeBecomes('sim-6', ['sim.2', 'sim.201']);
    sim(7).raise('tempHigh');
    expect((await t.api('POST', `/api/v1/devices/${idOf('sim-7')}/scan`)).status).toBe(202);
    await activeBecomes('sim-7', ['sim.101']);
    await idle();
    const before = t.running.store.alarms.lastEventId();

    expect((await t.api('DELETE', `/api/v1/licenses/${keyFingerprint}`)).status).toBe(200);

    const reason = 'device unlicensed: no longer monitored';
    expect((await history(before)).map((e) => [e.kind, e.device, e.code, e.reason]).sort()).toEqual([
      ['clear', 'sim-6', 'sim.2', reason],
      ['clear', 'sim-6', 'sim.201', reason],
      ['clear', 'sim-7', 'sim.101', reason],
    ]);
    expect(await active('sim-6')).toEqual([]);
    expect(await active('sim-7')).toEqual([]);
    await until('the clears on the stream', () => stream.events.filter((e) => e.id > before && e.event === 'clear' && e.data.reason === reason).length === 3);
    for (const name of ['sim-6', 'sim-7']) expect(await device(name)).toMatchObject({ monitoring: 'unmonitored', unmonitoredReason: 'unlicensed' });
    expect(await device('sim-5')).toMatchObject({ monitoring: 'monitored', unmonitoredReason: null });
    expect(await t.metric('priscan_device_monitored', { device: 'sim-6' })).toBe(0);
    expect(await t.metric('priscan_device_monitored', { device: 'sim-5' })).toBe(1);
    await until('sim-6 registration removed', async () => (await device('sim-6')).state.registration === 'removed');
    expect(sim(6).status().managers).toEqual([]);
    // Never registered (no priority scanning): nothing was removed from it.
    expect((await device('sim-7')).state.registration).toBe('pending');
    expect(await apiLogMismatches(t)).toEqual([]);
  });

  it('licensed again: scanned at once (not at its next safety-net scan) and registered again', async () => {
    sim(7).raise('lowBattery');
    const license = await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(2) });
    expect(license.status).toBe(201);
    keyFingerprint = (license.body.license as { fingerprint: string }).fingerprint;
    // sim-7 has no registration to trigger a scan: only the scan requested on its return finds these.
    await activeBecomes('sim-7', ['sim.101', 'sim.3']);
    await activeBecomes('sim-6', ['sim.2', 'sim.201']);
    await until('sim-6 registered again', async () => (await device('sim-6')).state.registration === 'registered');
    expect(sim(6).status().managers).toHaveLength(1);
    for (const name of ['sim-6', 'sim-7']) expect(await device(name)).toMatchObject({ monitoring: 'monitored', unmonitoredReason: null });
    expect(await t.metric('priscan_device_monitored', { device: 'sim-6' })).toBe(1);
    await idle();
    expect(await apiLogMismatches(t)).toEqual([]);
  });

  it('a scan still running when its device goes unlicensed stores nothing: no alarm comes back on an unmonitored device', async () => {
    sim(6).setFault('slow', { delayMs: 200 });
    expect((await t.api('POST', `/api/v1/devices/${idOf('sim-6')}/scan`)).status).toBe(202);
    await until('the scan running', () => t.running.scheduler.running === 1);
    expect((await t.api('DELETE', `/api/v1/licenses/${keyFingerprint}`)).status).toBe(200);
    expect(await active('sim-6')).toEqual([]);
    await idle();
    expect(await active('sim-6')).toEqual([]);
    expect(await apiLogMismatches(t)).toEqual([]);

    sim(6).setFault('none');
    expect((await t.api('POST', '/api/v1/licenses', { key: testLicenseKey(2) })).status).toBe(201);
    await activeBecomes('sim-6', ['sim.2', 'sim.201']);
    await idle();
  });

  it('a profile changed: whatever the scans after it find, the log replays to the active set', async () => {
    const id = idOf('sim-6');
    const scans = await t.metric('priscan_scans_total');
    // The UPS-MIB profile reads tables a sim device does not have: its alarms are gone from what priscan reads.
    expect((await t.api('PATCH', `/api/v1/devices/${id}`, { profile: 'rfc1628-ups' })).status).toBe(200);
    await until('a scan with the new profile', async () => (await t.metric('priscan_scans_total')) > scans);
    await idle();
    expect(await active('sim-6')).not.toContain('sim.2');
    expect(await apiLogMismatches(t)).toEqual([]);

    expect((await t.api('PATCH', `/api/v1/devices/${id}`, { profile: 'auto' })).status).toBe(200);
    await activeBecomes('sim-6', ['sim.2', 'sim.201']);
    await idle();
    expect(await apiLogMismatches(t)).toEqual([]);
  });

  it('a device deleted: each active alarm ends with a "device removed" clear in the log, on the stream and in the history', async () => {
    sim(2).raise('overload');
    sim(2).raise('fanFailure');
    await activeBecomes('sim-2', ['sim.16', 'sim.8']);
    await idle();
    const id = idOf('sim-2');
    const before = t.running.store.alarms.lastEventId();
    // priscan alarms --follow, in-process, prints what the stream delivers.
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const stopFollowing = new AbortController();
    const following = alarmsCommand(['--follow', '--url', t.running.httpUrl, '--token', t.adminToken], out, stopFollowing.signal);
    await until('the CLI listing, then following', () => printed.includes('DESCRIPTION'));

    const res = await t.api('DELETE', `/api/v1/devices/${id}`);
    expect(res.status).toBe(200);

    // Stored with the delete: in the log as soon as DELETE answers.
    expect((await history(before)).map((e) => [e.kind, e.deviceId, e.device, e.code, e.reason]).sort()).toEqual([
      ['clear', id, 'sim-2', 'sim.16', 'device removed'],
      ['clear', id, 'sim-2', 'sim.8', 'device removed'],
    ]);
    await until('the clears on the stream', () => stream.events.filter((e) => e.id > before && e.data.deviceId === id && e.data.reason === 'device removed').length === 2);
    expect(t.running.store.alarms.active({ deviceId: id })).toEqual([]);
    expect(await apiLogMismatches(t)).toEqual([]);
    await until('the CLI printing both clears', () => printed.includes('CLEAR  sim-2  warning  Fan failure  (device removed)') && printed.includes('CLEAR  sim-2  critical  Output overloaded  (device removed)'));
    stopFollowing.abort();
    expect(await following).toBe(0);
  });

  it('the OpenAPI document names the reasons, the unmonitored state and the removed registration', async () => {
    const doc = (await t.api('GET', '/docs/json')).body as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: Schema }> }> } }> };
    const ok = (path: string) => doc.paths[path]!.get.responses['200']!.content['application/json']!.schema;
    expect(ok('/api/v1/alarms/history').properties.events!.items.properties.reason!.anyOf?.[0]?.enum).toEqual(['device removed', 'device unlicensed: no longer monitored']);
    const view = ok('/api/v1/devices/{id}');
    expect(view.properties.monitoring!.enum).toEqual(['monitored', 'unmonitored']);
    expect(view.properties.state!.properties.registration!.enum).toEqual(['pending', 'registered', 'failed', 'removed', 'manual']);
  });

  it('the whole stream carried what the log holds, event for event', async () => {
    const logged = await history(0);
    await until('the stream caught up', () => stream.events.at(-1)?.id === logged.at(-1)?.id);
    expect(stream.events.map((e) => [e.id, e.event, e.data.key, e.data.reason])).toEqual(logged.map((e) => [e.id, e.kind, e.key, e.reason]));
  });
});
