// Acknowledgements and maintenance windows as operators use them: the API's alarm views, the event
// log and the live stream (replayed, the log still gives the active set), and the priscan command
// line's alarms and maintenance commands (in-process) against a daemon and simulated devices on loopback.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { EXIT } from '../../src/cli/api-client.js';
import { alarmsCommand } from '../../src/cli/commands/alarms.js';
import { maintenanceCommand } from '../../src/cli/commands/maintenance.js';
import { AlarmStreamClient } from '../helpers/alarm-stream.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { apiLogMismatches } from '../helpers/event-replay.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.237.0/24.
const PORT = 16237;

interface AlarmView { deviceId: number; device: string; key: string; code: string; acknowledgement: { by: string; at: string; comment: string } | null; inMaintenance: boolean }

let t: TestDaemon;
let fleet: Fleet;
let viewer = '';

/** What a command writes. */
class Output extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const target = () => ['--url', t.running.httpUrl, '--token', t.adminToken];
/** Runs a command as `priscan` would (flags for the daemon's address and token); its output, or its CliError. */
async function cli(command: (args: string[], out: NodeJS.WritableStream) => Promise<number>, args: string[]): Promise<string> {
  const out = new Output();
  const [sub, ...rest] = args;
  const withTarget = sub === 'ack' || sub === 'unack' || sub === 'add' || sub === 'list' || sub === 'end' ? [sub, ...rest, ...target()] : [...args, ...target()];
  expect(await command(withTarget, out)).toBe(EXIT.ok);
  return out.text;
}

const alarms = async (token?: string) =>
  ((await t.api('GET', '/api/v1/alarms', undefined, token ? { authorization: `Bearer ${token}` } : undefined)).body as { alarms: AlarmView[] }).alarms;

beforeAll(async () => {
  t = await startTestDaemon();
  viewer = t.running.tokens.create({ role: 'viewer', name: 'wall-screen' }).token;
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 2 }], baseAddress: '127.0.237.1', port: PORT });
  await fleet.start();
  for (const [i, device] of fleet.devices.entries()) {
    const res = await t.api('POST', '/api/v1/devices', { name: `sim-${i + 1}`, address: device.address, port: PORT, timeoutMs: 500, retries: 0, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
    expect(res.status).toBe(201);
    await untilRegistered(t, res.body.id as number);
  }
}, 30_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.stop();
});

describe('acknowledgements', () => {
  it('show in every alarm view, the log and the stream; a raise after the clear starts unacknowledged', async () => {
    const stream = await AlarmStreamClient.open(t.running.httpUrl, viewer);
    try {
      fleet.devices[0]!.raise('onBattery');
      const alarm = await until('the raise on sim-1', async () => (await alarms()).find((a) => a.device === 'sim-1'), 10_000);
      const acked = await t.api('POST', '/api/v1/alarms/ack', { device: 'sim-1', key: alarm.key, comment: 'generator running' });
      expect(acked.status).toBe(200);
      expect(acked.body).toMatchObject({ alarm: { key: alarm.key, acknowledgement: { by: 'test-admin', comment: 'generator running' } }, event: { kind: 'ack', by: 'test-admin' } });
      // A viewer reads it; a viewer cannot acknowledge.
      expect((await alarms(viewer)).find((a) => a.key === alarm.key)!.acknowledgement).toMatchObject({ by: 'test-admin', comment: 'generator running' });
      const refused = await t.api('POST', '/api/v1/alarms/unack', { device: 'sim-1', key: alarm.key }, { authorization: `Bearer ${viewer}` });
      expect(refused.status).toBe(403);

      await until('the ack streamed', () => stream.events.some((e) => e.event === 'ack'));
      const streamed = stream.events.find((e) => e.event === 'ack')!;
      expect(streamed.data).toMatchObject({ kind: 'ack', key: alarm.key, device: 'sim-1' });

      fleet.devices[0]!.clear('onBattery');
      await until('cleared', async () => !(await alarms()).some((a) => a.key === alarm.key), 10_000);
      fleet.devices[0]!.raise('onBattery');
      // The device's new row: a new occurrence of the alarm (its key carries the row index).
      const again = await until('raised again', async () => (await alarms()).find((a) => a.device === 'sim-1' && a.code === alarm.code), 10_000);
      expect(again.acknowledgement).toBeNull();
      const history = (await t.api('GET', '/api/v1/alarms/history?limit=1000')).body.events as Array<{ kind: string; code: string; by: string | null; comment: string | null }>;
      const kinds = (events: Array<{ kind: string; code: string }>) => events.filter((e) => e.code === alarm.code).map((e) => e.kind);
      expect(kinds(history)).toEqual(['raise', 'ack', 'clear', 'raise']);
      expect(history.find((e) => e.kind === 'ack')).toMatchObject({ by: 'test-admin', comment: 'generator running' });
      await until('the stream caught up', () => kinds(stream.events.map((e) => e.data)).length === 4);
      expect(stream.events.filter((e) => e.data.code === alarm.code).map((e) => e.event)).toEqual(['raise', 'ack', 'clear', 'raise']);
      expect(await apiLogMismatches(t)).toEqual([]);
    } finally {
      await stream.close();
    }
  });
});

describe('the command line', () => {
  it('acknowledges by device and code, marks it in the listing, prints it when following, and takes it back', async () => {
    fleet.devices[1]!.raise('fanFailure');
    const alarm = await until('fan failure', async () => (await alarms()).find((a) => a.device === 'sim-2'), 10_000);
    const follower = new Output();
    const stop = new AbortController();
    const following = alarmsCommand(['--follow', ...target()], follower, stop.signal);
    try {
      await until('the follower listing', () => follower.text.includes('DESCRIPTION'), 10_000);
      await expect(cli(alarmsCommand, ['ack', 'sim-2', alarm.code])).rejects.toMatchObject({ exitCode: EXIT.usage, message: /needs --comment/ });
      expect(await cli(alarmsCommand, ['ack', 'sim-2', alarm.code, '--comment', 'fan ordered'])).toMatch(/^acknowledged: sim-2 /);
      await until('the ack followed', () => / ACK\s+sim-2 .*\(by test-admin: fan ordered\)/.test(follower.text), 10_000);
      const listed = await cli(alarmsCommand, ['--device', 'sim-2']);
      expect(listed).toMatch(/^ACK\s+MAINT\s+RAISED/);
      expect(listed).toMatch(/\ntest-admin\s+-\s+\S+\s+sim-2\s+warning\s/);
      await expect(cli(alarmsCommand, ['ack', 'sim-2', alarm.key, '--comment', 'again'])).rejects.toMatchObject({ exitCode: EXIT.failed, message: /ALARM_ALREADY_ACKNOWLEDGED/ });
      expect(await cli(alarmsCommand, ['unack', String(alarm.deviceId), alarm.key])).toMatch(/^no longer acknowledged: sim-2 /);
      await until('the unack followed', () => / UNACK\s+sim-2 .*\(by test-admin\)/.test(follower.text), 10_000);
      await expect(cli(alarmsCommand, ['ack', 'sim-2', 'no.such.code', '--comment', 'x'])).rejects.toMatchObject({ exitCode: EXIT.failed, message: /no active alarm no\.such\.code on sim-2/ });
    } finally {
      stop.abort();
    }
    expect(await following).toBe(EXIT.ok);
  });

  it('adds, lists and ends maintenance windows; alarms in one are marked MAINT', async () => {
    await expect(cli(maintenanceCommand, ['add', '--reason', 'x', '--duration', '2h', '--site', 'dc1', '--profile', 'apc-ups'])).rejects.toMatchObject({ exitCode: EXIT.usage });
    await expect(cli(maintenanceCommand, ['add', '--device', 'sim-1', '--duration', 'soon', '--reason', 'x'])).rejects.toMatchObject({ exitCode: EXIT.usage });
    const window = JSON.parse(await cli(maintenanceCommand, ['add', '--device', 'sim-1', '--duration', '1h30m', '--reason', 'battery swap', '--json'])) as { id: number; state: string; startsAt: string; endsAt: string };
    expect(window.state).toBe('active');
    expect(Date.parse(window.endsAt) - Date.parse(window.startsAt)).toBe(90 * 60_000);
    fleet.devices[0]!.raise('tempHigh');
    const held = await until('tempHigh on sim-1', async () => (await alarms()).find((a) => a.device === 'sim-1' && a.inMaintenance), 10_000);
    expect(await cli(alarmsCommand, ['--device', 'sim-1'])).toMatch(new RegExp(`\\n-\\s+${window.id}\\s+\\S+\\s+sim-1\\s+warning\\s+${held.code.replace('.', '\\.')}`));
    expect(await cli(maintenanceCommand, ['list', '--state', 'active'])).toMatch(new RegExp(`\\n${window.id}\\s+active\\s+\\S+\\s+\\S+\\s+sim-1\\s+test-admin\\s+battery swap\\n`));
    expect(await cli(maintenanceCommand, ['end', String(window.id)])).toMatch(new RegExp(`maintenance window ${window.id} \\(ended\\): sim-1 from`));
    expect((await alarms()).find((a) => a.key === held.key)!.inMaintenance).toBe(false);
    await expect(cli(maintenanceCommand, ['end', String(window.id)])).rejects.toMatchObject({ exitCode: EXIT.failed, message: /MAINTENANCE_ENDED/ });
  });
});
