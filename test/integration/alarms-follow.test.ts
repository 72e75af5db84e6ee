// `priscan alarms --follow` (the shipped command, a child process) across a daemon restart on
// the same data directory and port: it reconnects with Last-Event-ID and prints every event
// of the log exactly once, in order; it gives up only when the daemon stays away too long.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_ALARMS } from '../../simulators/devices/sim.js';
import { Fleet } from '../../simulators/fleet.js';
import { Daemon, type RunningDaemon } from '../../src/app/daemon.js';
import { packageFile } from '../../src/cli/version.js';
import { parseConfig } from '../../src/config/load.js';
import { TEST_INTERFACES, TEST_ISSUER_SECRET } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices and daemon live on 127.0.191.0/24.
const CLI = packageFile('dist/src/cli/priscan.js');
const DEVICE_PORT = 16191;
const DAEMON_ADDRESS = '127.0.191.100';
const NOTIFY_PORT = 16291;
const HTTP_PORT = 17191;
const URL = `http://${DAEMON_ADDRESS}:${HTTP_PORT}`;

let dataDir = '';
let fleet: Fleet;
let daemon: Daemon | undefined;
let token = '';

/** A daemon on the same data directory, addresses and ports every time, as after a restart. */
async function startDaemon(httpPort = HTTP_PORT): Promise<RunningDaemon> {
  const config = parseConfig(
    {
      dataDir,
      manager: { address: DAEMON_ADDRESS },
      notifications: { listen: { address: DAEMON_ADDRESS, port: NOTIFY_PORT } },
      http: { listen: { address: DAEMON_ADDRESS, port: httpPort } },
      devices: fleet.devices.map((d, i) => ({ name: `sim-${i + 1}`, address: d.address, port: DEVICE_PORT, timeoutMs: 500, retries: 0, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } })),
    },
    'test',
  );
  daemon = new Daemon({ config, log: pino({ level: 'silent' }), random: () => 0.99, interfaces: TEST_INTERFACES, issuerSecret: TEST_ISSUER_SECRET });
  const running = await daemon.start();
  await until('every device registered', () => running.store.devices.list().every((d) => d.state.registration === 'registered'), 10_000);
  return running;
}

async function stopDaemon(): Promise<void> {
  await daemon?.stop();
  daemon = undefined;
}

interface Follower { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

function follow(extra: string[] = []): Follower {
  const child = spawn(process.execPath, [CLI, 'alarms', '--follow', '--json', ...extra], { env: { PATH: process.env.PATH, PRISCAN_URL: URL, PRISCAN_TOKEN: token } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

interface Printed { kind: string; id?: number; device?: string; code?: string }
const printed = (f: Follower) => f.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Printed);
const printedEvents = (f: Follower) => printed(f).filter((e) => e.kind !== 'active');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'priscan-follow-'));
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 2 }], baseAddress: '127.0.191.1', port: DEVICE_PORT });
  await fleet.start();
  const running = await startDaemon();
  token = running.tokens.create({ role: 'viewer', name: 'follower' }).token;
});

afterAll(async () => {
  await stopDaemon();
  await fleet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('priscan alarms --follow', () => {
  it('reconnects after a daemon restart and prints every event of the log exactly once, in order', async () => {
    const [sim1, sim2] = fleet.devices;
    let running = daemon!.running;
    sim1!.raise('onBattery');
    await until('the first alarm stored', () => running.store.alarms.active().length === 1);
    const follower = follow();
    try {
      // Listed as active: the follower has its stream open (it subscribes before it lists).
      await until('the active alarm listed', () => printed(follower).some((e) => e.kind === 'active'), 10_000);
      // Stopped before the stream carried any event: the follower resumes from where its stream began.
      await stopDaemon();
      await until('the follower noticed', () => follower.stderr().includes('reconnecting'), 10_000);
      // While the daemon is away: changes it finds by scanning when it is back. It comes back
      // first where the follower cannot see it, so these events are stored before the follower
      // can reconnect: only resuming after the last event it printed brings them.
      sim1!.clear('onBattery');
      sim2!.raise('fanFailure');
      sim2!.raise('doorOpen');
      running = await startDaemon(HTTP_PORT + 1);
      await until('the changes made while away stored', () => running.store.alarms.active().length === 2, 10_000);
      await stopDaemon();
      running = await startDaemon();
      // Right after the restart on its own port: a change reported by notification, followed live.
      sim1!.raise('tempHigh');
      await until('the restarted daemon stored every change', () => running.store.alarms.active().length === 3, 10_000);
      const log = running.store.alarms.events(0, 1000);
      const code = (name: string) => `sim.${SIM_ALARMS[name]!.code}`;
      expect(log.map((e) => `${e.kind} ${e.code}`).sort()).toEqual(
        ['raise onBattery', 'raise fanFailure', 'clear onBattery', 'raise doorOpen', 'raise tempHigh'].map((e) => e.replace(/\w+$/, code)).sort(),
      );
      // Every event after the one listed as active, each once, in the log's order.
      const expected = log.slice(1).map((e) => e.id);
      await until('the follower printed the log', () => printedEvents(follower).length >= expected.length, 10_000);
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show
      expect(printedEvents(follower).map((e) => e.id)).toEqual(expected);
      expect(follower.stderr()).toMatch(/reconnected; resuming after event \d+/);
      expect(follower.child.exitCode).toBeNull();
    } finally {
      follower.child.kill('SIGINT');
    }
    expect(await follower.exited).toBe(0);
  });

  it('gives up with exit 3 and a message only when the daemon stays away past --reconnect-timeout', async () => {
    const follower = follow(['--reconnect-timeout', '1']);
    try {
      await until('the active alarms listed', () => printed(follower).some((e) => e.kind === 'active'), 10_000);
      await stopDaemon();
      expect(await follower.exited).toBe(3);
      expect(follower.stderr()).toContain(`priscan: priscan at ${URL} has been unreachable for 1 s`);
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('refuses a --reconnect-timeout that is not a number of seconds, or without --follow', async () => {
    for (const args of [['--follow', '--reconnect-timeout', 'soon'], ['--reconnect-timeout', '5']]) {
      const child = spawn(process.execPath, [CLI, 'alarms', ...args], { env: { PATH: process.env.PATH, PRISCAN_URL: URL } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      expect(await new Promise((r) => child.once('close', r))).toBe(2);
      expect(stderr).toMatch(/--reconnect-timeout/);
    }
  });
});
