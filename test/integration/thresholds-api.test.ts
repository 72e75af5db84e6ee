// Operator thresholds through the API: listing (config and API ones), setting, changing and
// removing them (admin only; config ones read-only), bad input refused with one message and no
// change, a device's effective thresholds with where each came from, its scan interval, and the
// scans a change asks for. No device answers here: what is checked is the API and the store.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/api-client.js';
import { thresholdsCommand } from '../../src/cli/commands/thresholds.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// This file's devices are 127.0.220.1-9; nothing answers there.
// The check-config test runs the CLI as shipped (dist/, built by npm test).
const SNMP = { readCommunity: 'rd', writeCommunity: 'wr' };
const device = (name: string, address: string, extra: Record<string, unknown> = {}) => ({
  name, address, profile: 'netbotz', priorityScanning: false, timeoutMs: 100, retries: 0, snmp: SNMP, ...extra,
});

let t: TestDaemon;
let nb1 = 0;
let nb2 = 0;
let viewer = '';
let partner = '';

type Threshold = Record<string, unknown> & { id: string };
const list = async () => ((await t.api('GET', '/api/v1/thresholds')).body.thresholds as Threshold[]);
const effective = async (id: number) => (await t.api('GET', `/api/v1/devices/${id}/thresholds`)).body as {
  profile: string | null; intervalSeconds: number; scanIntervalSeconds: number;
  thresholds: Array<Record<string, unknown>>;
};
const warningOf = async (id: number) => (await effective(id)).thresholds.filter((th) => th.reading === 'temperature' && th.level === 'warning');
const manualRequests = () => t.metric('priscan_scan_requests_total', { trigger: 'manual' });

beforeAll(async () => {
  t = await startTestDaemon({
    thresholds: [
      { profile: 'netbotz', reading: 'humidity', level: 'critical', outside: [10, 90] },
      { device: 'nb-2', reading: 'temperature', level: 'critical', above: 35, intervalSeconds: 120 },
    ],
  });
  nb1 = (await t.api('POST', '/api/v1/devices', device('nb-1', '127.0.220.1', { site: 'dc-east' }))).body.id as number;
  nb2 = (await t.api('POST', '/api/v1/devices', device('nb-2', '127.0.220.2'))).body.id as number;
  viewer = t.running.tokens.create({ role: 'viewer', name: 'viewer' }).token;
  partner = t.running.tokens.create({ role: 'partner', name: 'partner' }).token;
});

afterAll(async () => {
  await t?.stop();
});

describe('thresholds through the API', () => {
  it('lists the config file\'s thresholds, read-only, with ids config-N', async () => {
    expect(await list()).toEqual([
      { id: 'config-0', origin: 'config', profile: 'netbotz', reading: 'humidity', level: 'critical', outside: [10, 90] },
      { id: 'config-1', origin: 'config', device: 'nb-2', reading: 'temperature', level: 'critical', above: 35, intervalSeconds: 120 },
    ]);
    expect((await t.api('PATCH', '/api/v1/thresholds/config-0', { outside: [5, 95] })).body).toMatchObject({
      error: { code: 'THRESHOLD_FROM_CONFIG', message: 'threshold config-0 is thresholds.0 in the config file; change it there' },
    });
    expect((await t.api('DELETE', '/api/v1/thresholds/config-1')).status).toBe(409);
  });

  it("shows a device's effective thresholds with where each came from, and the interval it is scanned at", async () => {
    const nb2View = await effective(nb2);
    expect(nb2View).toMatchObject({ profile: 'netbotz', intervalSeconds: 300, scanIntervalSeconds: 120 });
    expect(nb2View.thresholds).toEqual([
      { reading: 'temperature', level: 'warning', above: 27, hysteresis: 1, forSeconds: 0, scope: 'profile-default', origin: 'profile-file', override: null },
      { reading: 'humidity', level: 'warning', outside: [20, 80], hysteresis: 2, forSeconds: 0, scope: 'profile-default', origin: 'profile-file', override: null },
      { reading: 'humidity', level: 'critical', outside: [10, 90], hysteresis: 0, forSeconds: 0, scope: 'profile', origin: 'config', override: 'config-0' },
      { reading: 'temperature', level: 'critical', above: 35, hysteresis: 1, forSeconds: 0, intervalSeconds: 120, scope: 'device', origin: 'config', override: 'config-1' },
    ]);
    expect((await effective(nb1)).scanIntervalSeconds).toBe(300);
  });

  it('sets a site threshold: it applies to the devices there, which are scanned at once', async () => {
    const before = await manualRequests();
    const res = await t.api('POST', '/api/v1/thresholds', { site: 'dc-east', reading: 'temperature', level: 'warning', above: 29, intervalSeconds: 30 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^\d+$/), origin: 'api', site: 'dc-east', reading: 'temperature', level: 'warning', above: 29, intervalSeconds: 30 });
    // nb-1 stands at dc-east; nb-2 has no site.
    expect(await manualRequests()).toBe(before + 1);
    expect(await warningOf(nb1)).toEqual([{ reading: 'temperature', level: 'warning', above: 29, hysteresis: 1, forSeconds: 0, intervalSeconds: 30, scope: 'site', origin: 'api', override: res.body.id }]);
    expect((await effective(nb1)).scanIntervalSeconds).toBe(30);
    expect((await warningOf(nb2))[0]).toMatchObject({ above: 27, scope: 'profile-default' });

    // A device that moves to another site leaves the site's threshold behind.
    await t.api('PATCH', `/api/v1/devices/${nb1}`, { site: 'dc-west' });
    expect((await warningOf(nb1))[0]).toMatchObject({ above: 27, scope: 'profile-default' });
    expect((await effective(nb1)).scanIntervalSeconds).toBe(300);
    await t.api('PATCH', `/api/v1/devices/${nb1}`, { site: 'dc-east' });
    expect((await effective(nb1)).scanIntervalSeconds).toBe(30);
  });

  it('changes what a threshold sets, keeping the rest, and a new limit replaces the old direction', async () => {
    const created = (await t.api('POST', '/api/v1/thresholds', { device: 'nb-1', reading: 'humidity', level: 'warning', above: 70, hysteresis: 3, forSeconds: 60 })).body;
    expect(created).toMatchObject({ device: 'nb-1', deviceId: nb1 });
    const before = await manualRequests();
    const changed = await t.api('PATCH', `/api/v1/thresholds/${created.id}`, { outside: [25, 75], hysteresis: null });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ id: created.id, origin: 'api', device: 'nb-1', deviceId: nb1, reading: 'humidity', level: 'warning', outside: [25, 75], forSeconds: 60 });
    expect(await manualRequests()).toBe(before + 1);
    // Hysteresis taken back: inherited from the profile's humidity warning again.
    expect((await effective(nb1)).thresholds.find((th) => th.override === created.id)).toMatchObject({ outside: [25, 75], hysteresis: 2, forSeconds: 60 });
  });

  it('removes a threshold: what it replaced applies again', async () => {
    const created = (await t.api('POST', '/api/v1/thresholds', { device: 'nb-2', reading: 'temperature', level: 'warning', disabled: true })).body;
    expect(await warningOf(nb2)).toEqual([]);
    const removed = await t.api('DELETE', `/api/v1/thresholds/${created.id}`);
    expect(removed.body).toEqual({ deleted: created });
    expect((await warningOf(nb2))[0]).toMatchObject({ above: 27, scope: 'profile-default' });
    expect((await t.api('DELETE', `/api/v1/thresholds/${created.id}`)).body).toMatchObject({ error: { code: 'THRESHOLD_NOT_FOUND' } });
  });

  it.each<[string, 'POST' | 'PATCH', Record<string, unknown>, number, string, string | RegExp]>([
    ['a reading the device\'s profile lacks', 'POST', { device: 'nb-1', reading: 'batteryCharge', level: 'warning', below: 50 }, 400, 'THRESHOLD_INVALID',
      'body.reading: profile netbotz (device nb-1\'s) has no reading "batteryCharge"; its readings: temperature, humidity'],
    ['a state reading', 'POST', { profile: 'netbotz', reading: 'door', level: 'warning', above: 0 }, 400, 'THRESHOLD_INVALID',
      'body.reading: reading door is a state (open, closed): thresholds compare numbers'],
    ['a profile not loaded', 'POST', { profile: 'acme', reading: 'temperature', level: 'warning', above: 1 }, 400, 'THRESHOLD_INVALID', /^body\.profile: unknown profile "acme"/],
    ['a device that does not exist', 'POST', { device: 'nb-9', reading: 'temperature', level: 'warning', above: 1 }, 400, 'THRESHOLD_INVALID', 'body.device: no device named nb-9'],
    ['two directions', 'POST', { profile: 'netbotz', reading: 'temperature', level: 'warning', above: 30, below: 10 }, 400, 'VALIDATION_FAILED',
      'body: (top level): give exactly one of above, below, outside, or disabled: true'],
    ['a band upside down', 'POST', { site: 'dc-east', reading: 'humidity', level: 'warning', outside: [80, 20] }, 400, 'VALIDATION_FAILED',
      'body: outside: outside needs [low, high] with low < high'],
    ['a negative hysteresis', 'POST', { site: 'dc-east', reading: 'humidity', level: 'warning', above: 80, hysteresis: -2 }, 400, 'VALIDATION_FAILED',
      "body: hysteresis: must be 0 or more (in the reading's unit)"],
    ['a second threshold for one target and key', 'POST', { site: 'dc-east', reading: 'temperature', level: 'warning', above: 31 }, 409, 'THRESHOLD_EXISTS', /^threshold \d+ already sets temperature warning on site dc-east/],
    ['a twin of a config threshold', 'POST', { profile: 'netbotz', reading: 'humidity', level: 'critical', below: 5 }, 409, 'THRESHOLD_EXISTS',
      'threshold config-0 already sets humidity critical on profile netbotz: it is in the config file'],
    ['a change to two directions', 'PATCH', { above: 30, below: 10 }, 400, 'THRESHOLD_INVALID', 'body: as changed, give exactly one of above, below, outside, or disabled: true'],
    ['a change to a state reading', 'PATCH', { reading: 'door' }, 400, 'THRESHOLD_INVALID', 'body.reading: reading door is a state (open, closed): thresholds compare numbers'],
    ['a change of what it is set on', 'PATCH', { site: 'dc-west' }, 400, 'VALIDATION_FAILED', /^body: \(top level\): Unrecognized key: "site"/],
    ['an empty change', 'PATCH', {}, 400, 'VALIDATION_FAILED', 'body: (top level): send at least one setting to change'],
  ])('refuses %s, with one message, changing nothing', async (_name, method, body, status, code, message) => {
    const target = (await list()).find((th) => th.origin === 'api' && th.site === 'dc-east')!;
    const before = JSON.stringify([await list(), await effective(nb1), await effective(nb2)]);
    const requests = await manualRequests();
    const res = await t.api(method, method === 'POST' ? '/api/v1/thresholds' : `/api/v1/thresholds/${target.id}`, body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message: expect.stringMatching(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message) } });
    expect(JSON.stringify([await list(), await effective(nb1), await effective(nb2)])).toBe(before);
    expect(await manualRequests()).toBe(requests);
  });

  it('lets viewers and partners read, and only admins change', async () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await t.api('GET', '/api/v1/thresholds', undefined, as(viewer))).status).toBe(200);
    const partnerView = await t.api('GET', `/api/v1/devices/${nb1}/thresholds`, undefined, as(partner));
    expect(partnerView.status).toBe(200);
    expect(JSON.stringify(partnerView.body)).not.toContain('127.0.220');
    const body = { profile: 'netbotz', reading: 'temperature', level: 'critical', above: 50 };
    expect((await t.api('POST', '/api/v1/thresholds', body, as(viewer))).body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await t.api('POST', '/api/v1/thresholds', body, {})).body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await list()).some((th) => th.above === 50)).toBe(false);
  });

  it("a device's thresholds go with it", async () => {
    const nb3 = (await t.api('POST', '/api/v1/devices', device('nb-3', '127.0.220.3'))).body.id as number;
    const own = (await t.api('POST', '/api/v1/thresholds', { device: 'nb-3', reading: 'temperature', level: 'warning', above: 26 })).body;
    expect((await list()).map((th) => th.id)).toContain(own.id);
    await t.api('DELETE', `/api/v1/devices/${nb3}`);
    expect((await list()).map((th) => th.id)).not.toContain(own.id);
    expect(t.running.store.thresholds.get(Number(own.id))).toBeUndefined();
  });

  it('answers 404 for a device it does not know', async () => {
    expect((await t.api('GET', '/api/v1/devices/999999/thresholds')).body).toMatchObject({ error: { code: 'DEVICE_NOT_FOUND' } });
  });
});

describe('priscan thresholds (the command line, in process) and check-config', () => {
  const cli = async (...args: string[]) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk));
    try {
      const code = await thresholdsCommand([...args, '--url', t.running.httpUrl, '--token', t.adminToken], out);
      return { code, text };
    } catch (error) {
      return { code: error instanceof CliError ? error.exitCode : -1, text: (error as Error).message };
    }
  };

  it('adds, lists, shows a device\'s effective thresholds and removes', async () => {
    const added = await cli('add', '--device', 'nb-2', '--reading', 'humidity', '--level', 'critical', '--instance', 'Rack inlet', '--outside', '15,85', '--interval', '60');
    expect(added).toEqual({ code: 0, text: expect.stringMatching(/^added threshold (\d+): humidity \[Rack inlet\] critical outside 15\.\.85\n$/) });
    const id = /threshold (\d+)/.exec(added.text)![1]!;
    const listed = await cli('list');
    expect(listed.text).toMatch(/^ID\s+ORIGIN\s+ON\s+READING\s+ROW\s+LEVEL\s+LIMIT\s+HYSTERESIS\s+FOR\s+INTERVAL\n/);
    expect(listed.text).toMatch(new RegExp(`\\n${id}\\s+api\\s+device nb-2\\s+humidity\\s+Rack inlet\\s+critical\\s+outside 15\\.\\.85\\s+-\\s+-\\s+60\\n`));
    expect(listed.text).toMatch(/\nconfig-0\s+config\s+profile netbotz\s+humidity\s+-\s+critical\s+outside 10\.\.90/);

    const effective = await cli('effective', 'nb-2');
    expect(effective.text).toMatch(/^device nb-2, profile netbotz: scanned every 60 s \(its own interval: 300 s\)\n/);
    expect(effective.text).toMatch(new RegExp(`\\nhumidity\\s+Rack inlet\\s+critical\\s+outside 15\\.\\.85\\s+0\\s+0\\s+60\\s+device \\(api ${id}\\)\\n`));
    expect(effective.text).toMatch(/\ntemperature\s+-\s+warning\s+> 27\s+1\s+0\s+-\s+profile default\n/);

    expect(await cli('remove', id)).toEqual({ code: 0, text: `removed threshold ${id}\n` });
    expect((await cli('effective', String(nb2))).text).toMatch(/scanned every 120 s \(its own interval: 300 s\)/);
  });

  it('refuses bad flags as usage errors, and passes the daemon\'s refusals on', async () => {
    expect(await cli('add', '--profile', 'netbotz', '--reading', 'temperature', '--level', 'warning', '--above', 'hot')).toEqual({ code: 2, text: '--above must be a number, got "hot"' });
    expect(await cli('add', '--profile', 'netbotz', '--reading', 'temperature', '--level', 'warning', '--outside', '10')).toEqual({ code: 2, text: '--outside takes LOW,HIGH, got "10"' });
    expect(await cli('add', '--profile', 'netbotz', '--level', 'warning', '--above', '1')).toEqual({ code: 2, text: 'thresholds add needs --reading and --level' });
    expect(await cli('add', '--profile', 'netbotz', '--reading', 'voltage', '--level', 'warning', '--above', '1')).toEqual({
      code: 1,
      text: 'body.reading: profile netbotz has no reading "voltage"; its readings: temperature, humidity [THRESHOLD_INVALID]',
    });
    expect(await cli('remove', 'config-0')).toEqual({ code: 1, text: 'threshold config-0 is thresholds.0 in the config file; change it there [THRESHOLD_FROM_CONFIG]' });
    expect(await cli('frobnicate')).toEqual({ code: 2, text: 'unknown thresholds command "frobnicate"' });
  });

  it('check-config refuses a threshold the profiles do not allow, naming the key (exit 2)', async () => {
    const file = join(t.dataDir, 'bad-thresholds.yaml');
    writeFileSync(file, `dataDir: ${t.dataDir}\nthresholds:\n  - { site: dc-east, reading: temperature, level: warning, above: 30 }\n  - { profile: apc-ups, reading: temperature, level: warning, above: 30 }\n`);
    const run = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../dist/src/cli/priscan.js'), 'check-config', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'priscan: thresholds.1.reading: profile apc-ups has no reading "temperature"; its readings: batteryCharge, batteryTemperature, batteryRuntime, inputVoltage, outputLoad\n',
    );
  });
});
