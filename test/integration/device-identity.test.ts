// Device identity (issue 12) end to end: the daemon against simulated devices. One device per
// address whatever the spelling (API, config, CLI), notifications credited to that device, a new
// address without the old one's errors, and start-up refusing a config device an API device shadows.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devicesCommand } from '../../src/cli/commands/devices.js';
import { SqliteStore } from '../../src/store/store.js';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { runTool, until } from '../helpers/tools.js';

// This file's devices live on 127.0.175.0/24.
const PORT = 16175;
const ADDR = { a: '127.0.175.1', config: '127.0.175.2', moved: '127.0.175.3', cli: '127.0.175.4', dead: '127.0.175.9' };
const SNMP = { version: '2c', readCommunity: 'public', writeCommunity: 'private' };
const CLI = resolve(import.meta.dirname, '../../dist/src/cli/priscan.js');

let t: TestDaemon;
let fleet: Fleet;

beforeAll(async () => {
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 4 }], baseAddress: ADDR.a, port: PORT });
  await fleet.start();
  // The config spells its device's address IPv4-mapped.
  t = await startTestDaemon({ devices: [{ name: 'sim-config', address: `::ffff:${ADDR.config}`, port: PORT, timeoutMs: 500, retries: 0, snmp: SNMP }] });
});

afterAll(async () => {
  await t?.stop();
  await fleet?.stop();
});

const add = (name: string, address: string, extra: Record<string, unknown> = {}) =>
  t.api('POST', '/api/v1/devices', { name, address, port: PORT, timeoutMs: 500, retries: 0, snmp: SNMP, ...extra });
const errorOf = (body: Record<string, unknown>) => body.error as { code: string; message: string };

describe('one device per address, whatever the spelling', () => {
  it('admits one device per address through the API, and credits its notifications to it', async () => {
    const first = await add('sim-a', ADDR.a);
    expect(first.status).toBe(201);
    const id = first.body.id as number;

    for (const [name, spelling, canonical] of [
      ['sim-a-mapped', `::ffff:${ADDR.a}`, ADDR.a],
      ['sim-a-hex', '::FFFF:7f00:af01', ADDR.a],
      ['sim-config-again', ADDR.config, ADDR.config],
    ]) {
      const refused = await add(name!, spelling!);
      expect(refused.status, spelling).toBe(409);
      expect(errorOf(refused.body)).toEqual({
        code: 'DEVICE_EXISTS',
        message: `a device with address "${canonical}" already exists (one device per address: notifications are matched by their source address)`,
      });
    }
    const patched = await t.api('PATCH', `/api/v1/devices/${id}`, { address: `::ffff:${ADDR.config}` });
    expect(patched.status).toBe(409);
    const listed = (await t.api('GET', '/api/v1/devices')).body.devices as Array<{ name: string; address: string }>;
    expect(listed.map((d) => [d.name, d.address])).toEqual([
      ['sim-config', ADDR.config],
      ['sim-a', ADDR.a],
    ]);

    // The device's own alert-present notification scans it (not another device, not the safety net).
    await untilRegistered(t, id);
    await until('the scan after registration', () => t.running.scheduler.queued + t.running.scheduler.running === 0);
    const trapScans = await t.metric('priscan_scans_total', { trigger: 'trap' });
    fleet.get(ADDR.a)!.raise('onBattery');
    const alarm = await until('the alarm stored', () => t.running.store.alarms.active().find((a) => a.code === 'sim.2'));
    expect(alarm.deviceId).toBe(id);
    expect(await t.metric('priscan_scans_total', { trigger: 'trap' })).toBeGreaterThan(trapScans);
    expect(await t.metric('priscan_scans_total', { trigger: 'periodic' })).toBe(0);
    fleet.get(ADDR.a)!.clear('onBattery');
  });

  it('takes a config device spelled IPv4-mapped as its dotted quad, and matches its notifications', async () => {
    const device = t.running.store.devices.getByName('sim-config')!;
    expect(device.address).toBe(ADDR.config);
    await untilRegistered(t, device.id);
    fleet.get(ADDR.config)!.raise('fanFailure');
    const alarm = await until('the alarm stored', () => t.running.store.alarms.active().find((a) => a.code === 'sim.16'));
    expect(alarm.deviceId).toBe(device.id);
    fleet.get(ADDR.config)!.clear('fanFailure');
  });

  it('devices add --address sends the canonical spelling, and refuses a non-address before calling the daemon', async () => {
    const api = ['--url', t.running.httpUrl, '--token', t.adminToken, '--read-community', 'public', '--write-community', 'private'];
    let out = '';
    const sink = { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WritableStream;
    expect(await devicesCommand(['add', '--name', 'sim-cli', '--address', `::ffff:${ADDR.cli}`, '--port', String(PORT), ...api], sink)).toBe(0);
    expect(out).toMatch(new RegExp(`^added device \\d+ sim-cli \\(${ADDR.cli.replaceAll('.', '\\.')}\\)`));

    // Nothing listens on this URL: a usage error must come first.
    const bad = ['add', '--name', 'sim-bad', '--address', '127.0.175.300', '--url', 'http://127.0.175.1:9', '--read-community', 'public'];
    const error = await devicesCommand(bad, sink).then(() => undefined, (e: unknown) => e as { message: string; exitCode: number });
    expect(error).toMatchObject({ exitCode: 2, message: '--address must be an IPv4 or IPv6 address, e.g. 10.1.2.3 or 2001:db8::1, got "127.0.175.300"' });
  });
});

describe('a new address', () => {
  it('leaves the old address\'s errors and registration state behind', async () => {
    const added = await add('sim-moving', ADDR.dead, { timeoutMs: 200 });
    expect(added.status).toBe(201);
    const id = added.body.id as number;
    await until('the dead address failed', () => {
      const state = t.running.store.devices.get(id)?.state;
      return state?.lastError && state.registration === 'failed';
    });
    const moved = await t.api('PATCH', `/api/v1/devices/${id}`, { address: ADDR.moved });
    expect(moved.status).toBe(200);
    expect(moved.body.state).toMatchObject({ reachable: null, lastError: null, registration: 'pending', registrationError: null, registeredAt: null });
    const registered = await untilRegistered(t, id);
    expect(JSON.stringify(registered.state)).not.toContain(ADDR.dead);
  });
});

describe('start-up with a config device an API device shadows', () => {
  it('exits 2 with one line naming the key and the API device, and changes nothing', async () => {
    const dataDir = join(t.dataDir, 'shadowed');
    const store = SqliteStore.open(join(dataDir, 'priscan.db'), new FakeClock());
    const api = store.devices.insert(newDevice({ name: 'ups-a1', address: '127.0.175.60', origin: 'api' }));
    store.close();
    const config = join(dataDir, 'priscan.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir,
        log: { level: 'silent' },
        notifications: { listen: { address: '127.0.0.1', port: 0 } },
        http: { listen: { address: '127.0.0.1', port: 0 } },
        devices: [{ name: 'ups-a1', address: '127.0.175.61', snmp: SNMP }],
      }),
    );
    const run = await runTool(process.execPath, [CLI, 'serve', '--config', config], { timeoutMs: 15_000 });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `priscan: devices.0.name: ups-a1 is already the name of device ${api.id} (ups-a1, address 127.0.175.60, added through the API); ` +
        `a config device never replaces it: change devices.0.name, or remove device ${api.id} first (priscan devices remove ${api.id})`,
    ]);
    const after = SqliteStore.open(join(dataDir, 'priscan.db'), new FakeClock());
    expect(after.devices.list().map((d) => [d.name, d.address, d.origin])).toEqual([['ups-a1', '127.0.175.60', 'api']]);
    after.close();
  });
});
