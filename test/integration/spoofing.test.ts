import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { encodeNotification, LoopbackSender, type NotificationShape } from '../helpers/notifications.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.33.0/24.
const PORT = 16174;
const DEVICE = '127.0.33.1';
/** Loopback addresses no device has: as good as any other host on the network. */
const STRANGER = '127.0.33.200';
const IMPOSTOR = '127.0.33.201';
const NOTIFICATIONS = 'priscan_notifications_received_total';

let d: TestDaemon;
let fleet: Fleet;
let deviceId: number;
let community: string;

const device = () => fleet.devices[0]!;

/** Everything a notification could change: scans, requests, registrations, events, device state. */
async function snapshot() {
  const events = await d.api('GET', '/api/v1/events?after=0&limit=1000');
  expect(events.status).toBe(200);
  const { state } = d.running.store.devices.get(deviceId)!;
  return {
    scans: await d.metric('priscan_scans_total'),
    scanRequests: await d.metric('priscan_scan_requests_total'),
    registrations: await d.metric('priscan_registration_attempts_total'),
    lastEventId: events.body.lastId,
    lastScanAt: state.lastScanAt,
    registration: state.registration,
    managers: device().status().managers,
    queue: d.running.scheduler.queued + d.running.scheduler.running,
  };
}

beforeAll(async () => {
  d = await startTestDaemon();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }], baseAddress: DEVICE, port: PORT });
  await fleet.start();
  const res = await d.api('POST', '/api/v1/devices', {
    name: 'spoof-target',
    address: DEVICE,
    port: PORT,
    profile: 'auto',
    timeoutMs: 500,
    retries: 1,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(res.status).toBe(201);
  deviceId = res.body.id as number;
  await until('registration', () => d.running.store.devices.get(deviceId)?.state.registration === 'registered', 10_000);
  await until('the registration scan done', () => d.running.store.devices.get(deviceId)?.state.lastScanAt != null && d.running.scheduler.queued + d.running.scheduler.running === 0, 10_000);
  community = device().status().managers[0]!.community!;
});

afterAll(async () => {
  await fleet?.stop();
  await d?.stop();
});

type Reason = 'unknown_source' | 'bad_community';

interface Spoof {
  what: string;
  from: string;
  shape: NotificationShape;
  community: () => string | Buffer;
  trapOid?: string;
  reason: Reason;
}

const swapCase = (text: string) => [...text].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');

const SPOOFS: Spoof[] = [
  { what: 'an unknown address with a guessed community', from: STRANGER, shape: 'v2c-trap', community: () => 'public', reason: 'unknown_source' },
  { what: 'an unknown address with no community', from: STRANGER, shape: 'v1-trap', community: () => '', reason: 'unknown_source' },
  ...(['v1-trap', 'v2c-trap', 'v2c-inform'] as const).map(
    (shape): Spoof => ({ what: `another loopback address with the right community (${shape})`, from: IMPOSTOR, shape, community: () => community, reason: 'unknown_source' }),
  ),
  { what: 'another address claiming to be a rebooted device (coldStart)', from: IMPOSTOR, shape: 'v2c-trap', community: () => community, trapOid: SNMPV2.coldStart, reason: 'unknown_source' },
  { what: 'the device\'s address with the read community', from: DEVICE, shape: 'v2c-trap', community: () => 'public', reason: 'bad_community' },
  { what: 'the device\'s address with the write community', from: DEVICE, shape: 'v2c-inform', community: () => 'private', reason: 'bad_community' },
  { what: 'the device\'s address with an empty community', from: DEVICE, shape: 'v1-trap', community: () => '', reason: 'bad_community' },
  { what: 'the device\'s address with the community cut short', from: DEVICE, shape: 'v2c-trap', community: () => community.slice(0, -1), reason: 'bad_community' },
  { what: 'the device\'s address with the community and one more byte', from: DEVICE, shape: 'v2c-trap', community: () => `${community}x`, reason: 'bad_community' },
  { what: 'the device\'s address with a NUL after the community', from: DEVICE, shape: 'v2c-trap', community: () => Buffer.concat([Buffer.from(community), Buffer.from([0])]), reason: 'bad_community' },
  { what: 'the device\'s address with the community in the other case', from: DEVICE, shape: 'v2c-trap', community: () => swapCase(community), reason: 'bad_community' },
  { what: 'the device\'s address, wrong community, claiming a reboot', from: DEVICE, shape: 'v1-trap', community: () => 'private', trapOid: SNMPV2.coldStart, reason: 'bad_community' },
];

describe('spoofed notifications', () => {
  it.each(SPOOFS.map((s) => [s.what, s] as const))('from %s: no scan, no state change, counted as the reason', async (_what, spoof) => {
    // v1 traps say which agent sent them: an impostor claims to be the device (the field is never trusted).
    const datagram = encodeNotification(spoof.shape, { community: spoof.community(), agentAddr: DEVICE, trapOid: spoof.trapOid, requestId: 77 });
    const version = spoof.shape === 'v1-trap' ? 'v1' : 'v2c';
    const kind = spoof.shape === 'v2c-inform' ? 'inform' : 'trap';
    const before = await snapshot();
    const counted = await d.metric(NOTIFICATIONS, { version, kind, result: spoof.reason });
    const otherResults = (await d.metric(NOTIFICATIONS)) - counted;

    const sender = await LoopbackSender.open(spoof.from);
    try {
      const replies = sender.receiveFor(300);
      expect(await sender.send([datagram, datagram, datagram], d.running.intake.port)).toBe(3);
      await until(`three ${spoof.reason} notifications counted`, async () => (await d.metric(NOTIFICATIONS, { version, kind, result: spoof.reason })) === counted + 3);
      // An inform that is not believed is not acknowledged either: an ack would confirm the guess.
      expect(await replies).toEqual([]);
    } finally {
      sender.close();
    }
    expect((await d.metric(NOTIFICATIONS)) - counted - 3, 'counted under no other result').toBe(otherResults);
    expect(await snapshot()).toEqual(before);
  });

  it('the same notification from the device with its community is believed (the control)', async () => {
    const before = await snapshot();
    const accepted = await d.metric(NOTIFICATIONS, { result: 'accepted' });
    const sender = await LoopbackSender.open(DEVICE);
    try {
      const acks = sender.receiveFor(500);
      await sender.send([encodeNotification('v2c-inform', { community, requestId: 78 })], d.running.intake.port);
      await until('accepted', async () => (await d.metric(NOTIFICATIONS, { result: 'accepted' })) === accepted + 1);
      expect(await acks).toHaveLength(1);
    } finally {
      sender.close();
    }
    await until('a trap-triggered scan', async () => (await d.metric('priscan_scans_total', { trigger: 'trap' })) > 0);
    expect((await snapshot()).scans).toBeGreaterThan(before.scans);
  });
});
