import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FUZZ_V3_USER, pickCategory, Rng, wrongCommunity } from '../helpers/notification-fuzz.js';
import { LoopbackSender, socketDrops, udpReceiveBufferErrors } from '../helpers/notifications.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.31.0/24.
const PORT = 16172;
const DEVICE = '127.0.31.1';
const STRANGERS = ['127.0.31.200', '127.0.31.201', '127.0.31.202'];
/** 20,000 in `npm test` (a few seconds); `npm run test:fuzz` sends 100,000, or PRISCAN_FUZZ_TOTAL. */
const TOTAL = process.env.PRISCAN_FUZZ_TOTAL ? Number(process.env.PRISCAN_FUZZ_TOTAL) : 20_000;
if (!Number.isSafeInteger(TOTAL) || TOTAL < 1_000) throw new Error(`PRISCAN_FUZZ_TOTAL must be an integer of at least 1000, not ${process.env.PRISCAN_FUZZ_TOTAL}`);
const BATCH = 1_000;
/** Sent but not yet counted before the sender waits: far inside the intake's 4 MiB receive buffer. */
const MAX_IN_FLIGHT = 4_000;
const SEED = process.env.PRISCAN_FUZZ_SEED ? Number(process.env.PRISCAN_FUZZ_SEED) >>> 0 : Math.floor(Math.random() * 2 ** 32);
const NOTIFICATIONS = 'priscan_notifications_received_total';
const RESULTS = ['accepted', 'unknown_source', 'bad_community', 'malformed', 'unexpected_pdu', 'bad_auth'] as const;

// --- the test -------------------------------------------------------------------------------------

let d: TestDaemon;
let fleet: Fleet;
let deviceId: number;
let community: Buffer;

const sim = () => fleet.devices[0]!;

async function activeCodes(): Promise<string[]> {
  const { status, body } = await d.api('GET', '/api/v1/alarms');
  expect(status).toBe(200);
  return (body.alarms as Array<{ deviceId: number; code: string }>).filter((a) => a.deviceId === deviceId).map((a) => a.code);
}

async function healthy(): Promise<void> {
  const res = await d.api('GET', '/healthz');
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('ok');
}

beforeAll(async () => {
  d = await startTestDaemon();
  // A v3 device that notifies with its registration's community: real v2c and v3 notifications are both its own.
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }], baseAddress: DEVICE, port: PORT, v3User: FUZZ_V3_USER });
  await fleet.start();
  const res = await d.api('POST', '/api/v1/devices', {
    name: 'fuzz-sim',
    address: DEVICE,
    port: PORT,
    profile: 'auto',
    timeoutMs: 500,
    retries: 1,
    snmp: { version: '3', user: FUZZ_V3_USER.name, level: FUZZ_V3_USER.level, authProtocol: FUZZ_V3_USER.authProtocol, authPassword: FUZZ_V3_USER.authPassword, privProtocol: FUZZ_V3_USER.privProtocol, privPassword: FUZZ_V3_USER.privPassword },
  });
  expect(res.status).toBe(201);
  deviceId = res.body.id as number;
  await until('registration', () => d.running.store.devices.get(deviceId)?.state.registration === 'registered', 10_000);
  community = Buffer.from(sim().status().managers[0]!.community!);
});

afterAll(async () => {
  await fleet?.stop();
  await d?.stop();
});

describe('notification intake under hostile input', () => {
  it(`stays up, keeps scanning and counts every one of ${TOTAL} hostile datagrams`, { timeout: 120_000 }, async () => {
    console.log(`fuzz-intake: seed ${SEED} (replay with PRISCAN_FUZZ_SEED=${SEED})`);
    const rng = new Rng(SEED);
    const port = d.running.intake.port;
    const device = await LoopbackSender.open(DEVICE);
    const strangers = await Promise.all(STRANGERS.map((a) => LoopbackSender.open(a)));
    const received = () => d.metric(NOTIFICATIONS);
    // Linux shows each socket's drops in /proc/net/udp; elsewhere the pacing alone has to keep them at 0.
    if (existsSync('/proc/net/udp')) expect(socketDrops(port), 'the intake socket in /proc/net/udp').toBeDefined();
    const drops = () => socketDrops(port) ?? 0;
    const sentByDevice = () => sim().status().counters.notificationsSent;
    const start = { received: await received(), drops: drops(), rcvbuf: udpReceiveBufferErrors(), device: sentByDevice(), scans: await d.metric('priscan_scans_total', { result: 'ok' }) };
    /** Datagrams that reached the intake's socket: ours and the simulated device's own notifications. */
    const arrived = (sent: number) => sent + sentByDevice() - start.device;
    const categories = new Map<string, number>();
    let sent = 0;
    let midFuzz: Promise<void> | undefined;
    const began = performance.now();
    try {
      for (let batch = 0; sent < TOTAL; batch++) {
        const fromDevice: Buffer[] = [];
        const fromStrangers: Buffer[][] = strangers.map(() => []);
        for (let i = 0; i < BATCH; i++) {
          const [name, , make] = pickCategory(rng);
          const own = rng.chance(0.5);
          const withCommunity = own ? (rng.chance(0.85) ? community : wrongCommunity(rng, community)) : rng.chance(0.3) ? community : wrongCommunity(rng, community);
          (own ? fromDevice : fromStrangers[rng.int(strangers.length)]!).push(make(rng, withCommunity));
          categories.set(name, (categories.get(name) ?? 0) + 1);
        }
        const counts = await Promise.all([device.send(fromDevice, port), ...strangers.map((s, i) => s.send(fromStrangers[i]!, port))]);
        sent += counts.reduce((a, b) => a + b, 0);
        if (batch === Math.floor(TOTAL / BATCH / 2)) {
          // Half-way: a real alarm must still be scanned and stored while the storm goes on.
          sim().raise('fanFailure');
          midFuzz = until('fan failure stored mid-fuzz', async () => (await activeCodes()).includes('sim.16'), 20_000).then(() => undefined);
          midFuzz.catch(() => undefined); // awaited after the storm; not an unhandled rejection meanwhile
        }
        if (batch % 20 === 0) await healthy();
        // Pace the storm so the kernel has no reason to drop: wait while too much is queued unread.
        await until('the intake to keep up', async () => (await received()) - start.received + drops() - start.drops >= arrived(sent) - MAX_IN_FLIGHT, 20_000);
      }
      const sendSeconds = (performance.now() - began) / 1000;
      let counted = 0;
      let dropped = 0;
      await until('every datagram counted or dropped', async () => {
        counted = (await received()) - start.received;
        dropped = drops() - start.drops;
        return counted + dropped >= arrived(sent);
      }, 20_000).catch(() => undefined);
      const seconds = (performance.now() - began) / 1000;
      const byResult = Object.fromEntries(await Promise.all(RESULTS.map(async (r) => [r, await d.metric(NOTIFICATIONS, { result: r })] as const)));
      console.log(
        JSON.stringify({
          test: 'fuzz-intake',
          seed: SEED,
          sent,
          fromDevice: arrived(sent) - sent,
          counted,
          socketDrops: dropped,
          rcvbufErrors: start.rcvbuf === undefined ? null : (udpReceiveBufferErrors() ?? 0) - start.rcvbuf,
          sentPerSecond: Math.round(sent / sendSeconds),
          countedPerSecond: Math.round(counted / seconds),
          byResult,
          categories: Object.fromEntries(categories),
        }),
      );
      expect(sent).toBeGreaterThanOrEqual(TOTAL);
      expect(counted).toBe(arrived(sent) - dropped);
      for (const result of RESULTS) expect(byResult[result], result).toBeGreaterThan(0);
      await midFuzz;
    } finally {
      device.close();
      for (const s of strangers) s.close();
    }

    await healthy();
    expect(await d.metric('priscan_scans_total', { result: 'ok' })).toBeGreaterThan(start.scans);
    sim().clear('fanFailure');
    await until('fan failure cleared after the fuzz', async () => !(await activeCodes()).includes('sim.16'), 10_000);
    sim().raise('onBattery');
    await until('on battery stored after the fuzz', async () => (await activeCodes()).includes('sim.2'), 10_000);
    sim().clear('onBattery');
    await until('on battery cleared', async () => !(await activeCodes()).includes('sim.2'), 10_000);
    const state = (await d.api('GET', `/api/v1/devices/${deviceId}`)).body.state as { reachable: boolean; lastError: string | null };
    expect(state).toMatchObject({ reachable: true, lastError: null });
  });
});
