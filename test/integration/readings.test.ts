// Sensor readings end to end: a simulated NetBotz and a replayed Eaton recording are scanned by a
// daemon; their readings appear in the API, /metrics and the CLI, and a changed value updates the
// last value and the history. The CLI runs as shipped (dist/, built by npm test).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPriscan, type CliRun } from '../helpers/cli-process.js';
import { CliError } from '../../src/cli/api-client.js';
import { readingsCommand } from '../../src/cli/commands/readings.js';
import { buildControlApp } from '../../simulators/control.js';
import type { SnmprecDevice } from '../../simulators/devices/snmprec-device.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.215.0/24: the NetBotz at .1, the Eaton recording at .2.
const NETBOTZ = '127.0.215.1';
const EATON = '127.0.215.2';
/** The simulated NetBotz's temperature sensor, as its label column names it. */
const INLET = 'Rack inlet temperature';

/** A profile for the Eaton recording with readings only (no registration: scanned on request). */
const EATON_PROFILE = `name: test-xups
description: Eaton XUPS readings, for the readings test
match:
  sysObjectId: [${XUPS.sysObjectId}]
registration: none
readings:
  - { id: batteryCapacity, description: Battery capacity, oid: ${XUPS.battery.capacity}, unit: percent }
  - { id: outputVoltage, description: Output voltage, table: ${XUPS.outputEntry}, column: ${XUPS.outputCol.voltage}, labelColumn: ${XUPS.outputCol.name}, unit: volts }
`;

interface ReadingJson {
  reading: string;
  instance: string;
  label: string;
  unit: string;
  description: string | null;
  value: number;
  state: string | null;
  at: string;
  stale: boolean;
}

let t: TestDaemon;
let fleet: Fleet;
let control: FastifyInstance;
let profileDir = '';
let nbId = 0;
let eatonId = 0;
let partnerToken = '';

const readingsOf = async (id: number, headers?: Record<string, string>) => {
  const res = await t.api('GET', `/api/v1/devices/${id}/readings`, undefined, headers);
  expect(res.status).toBe(200);
  return res.body as { device: { name: string; address: string; site: string | null }; readings: ReadingJson[] };
};
const valueOf = async (id: number, reading: string, label = '') => (await readingsOf(id)).readings.find((r) => r.reading === reading && r.label === label)?.value;
const scrape = async () => (await t.running.http.inject({ method: 'GET', url: '/metrics' })).body;
/** Waits out the history's minimum point interval (1 s here), so the next new value is written as a point. */
const pastPointInterval = (id: number) => until('the point interval passed', () => Date.now() - (t.running.store.devices.get(id)?.state.lastScanAt ?? Date.now()) > 1100, 5000);

function priscan(args: string[]): Promise<CliRun> {
  return runPriscan(args, { PATH: process.env.PATH, PRISCAN_URL: t.running.httpUrl, PRISCAN_TOKEN: t.adminToken }, 20_000);
}

beforeAll(async () => {
  profileDir = mkdtempSync(join(tmpdir(), 'priscan-readings-profiles-'));
  writeFileSync(join(profileDir, 'test-xups.yaml'), EATON_PROFILE);
  t = await startTestDaemon({ profiles: { directory: profileDir }, readings: { minPointIntervalSeconds: 1 } });
  partnerToken = t.running.tokens.create({ role: 'partner', name: 'partner' }).token;
  fleet = new Fleet({ devices: [{ kind: 'netbotz', count: 1 }, { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups' } }], baseAddress: NETBOTZ, port: 0 });
  await fleet.start();
  control = buildControlApp(fleet);
  const add = async (name: string, address: string, profile: string) => {
    const res = await t.api('POST', '/api/v1/devices', {
      name,
      address,
      port: fleet.get(address)!.agent.port,
      profile,
      site: 'dc-east',
      timeoutMs: 1000,
      retries: 0,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
    return res.body.id as number;
  };
  nbId = await add('nb-1', NETBOTZ, 'netbotz');
  eatonId = await add('eaton-1', EATON, 'test-xups');
  await until('nb-1 scanned', () => t.running.store.readings.last(nbId).length === 3, 10_000);
  expect((await t.api('POST', `/api/v1/devices/${eatonId}/scan`)).status).toBe(202);
  await until('eaton-1 scanned', () => t.running.store.readings.last(eatonId).length === 4, 10_000);
});

afterAll(async () => {
  await control?.close();
  await fleet?.stop();
  await t?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('a simulated NetBotz', () => {
  it('has its temperature, humidity and door in the API, with units, labels and the profile\'s descriptions', async () => {
    const { device, readings } = await readingsOf(nbId);
    expect(device).toEqual({ id: nbId, name: 'nb-1', address: NETBOTZ, site: 'dc-east' });
    expect(readings.map(({ at: _at, instance: _instance, ...r }) => r)).toEqual([
      { reading: 'temperature', label: INLET, unit: 'celsius', description: 'Temperature', value: 21.5, state: null, stale: false },
      { reading: 'humidity', label: 'Rack inlet humidity', unit: 'percent', description: 'Relative humidity', value: 45, state: null, stale: false },
      { reading: 'door', label: 'Rack front door', unit: 'state', description: 'Door', value: 1, state: 'closed', stale: false },
    ]);
    expect(new Date(readings[0]!.at).getTime()).toBe(t.running.store.devices.get(nbId)!.state.lastScanAt);
  });

  it('has them in /metrics: a gauge per reading and row, and the door as a state set', async () => {
    const text = await scrape();
    expect(text).toContain(`priscan_reading{device="nb-1",site="dc-east",reading="temperature",unit="celsius",row="${INLET}"} 21.5`);
    expect(text).toContain('priscan_reading{device="nb-1",site="dc-east",reading="humidity",unit="percent",row="Rack inlet humidity"} 45');
    expect(text).toContain('priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Rack front door",state="closed"} 1');
    expect(text).toContain('priscan_reading_state{device="nb-1",site="dc-east",reading="door",row="Rack front door",state="open"} 0');
  });

  it('shows partners the readings with the device address masked', async () => {
    const { device, readings } = await readingsOf(nbId, { authorization: `Bearer ${partnerToken}` });
    expect(device.address).toBe('x.x.215.1');
    expect(readings).toHaveLength(3);
  });

  it('updates the last value, the history and /metrics when the temperature rises (the trap-triggered scan reads it)', async () => {
    await pastPointInterval(nbId);
    fleet.get(NETBOTZ)!.raise('tempHigh');
    await until('38.5 °C read', async () => (await valueOf(nbId, 'temperature', INLET)) === 38.5, 10_000);
    const history = await t.api('GET', `/api/v1/devices/${nbId}/readings/history?reading=temperature&instance=${encodeURIComponent(INLET)}`);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ reading: 'temperature', label: INLET, unit: 'celsius', description: 'Temperature', next: null });
    expect((history.body.points as Array<{ value: number }>).map((p) => p.value)).toEqual([21.5, 38.5]);
    // Unchanged since: one point.
    const humidity = await t.api('GET', `/api/v1/devices/${nbId}/readings/history?reading=humidity`);
    expect((humidity.body.points as unknown[]).length).toBe(1);
    expect(await scrape()).toContain(`priscan_reading{device="nb-1",site="dc-east",reading="temperature",unit="celsius",row="${INLET}"} 38.5`);
  });

  it('pages the history: a page of one point says where the next begins', async () => {
    const url = `/api/v1/devices/${nbId}/readings/history?reading=temperature&limit=1`;
    const first = await t.api('GET', url);
    expect((first.body.points as Array<{ value: number }>).map((p) => p.value)).toEqual([21.5]);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await t.api('GET', `${url}&since=${encodeURIComponent(first.body.next as string)}`);
    expect((second.body.points as Array<{ value: number }>).map((p) => p.value)).toEqual([38.5]);
    expect(second.body.next).toBeNull();
  });
});

describe('a replayed Eaton recording', () => {
  it('has its scalar and its table rows in the API', async () => {
    const { readings } = await readingsOf(eatonId);
    expect(readings.map((r) => [r.reading, r.instance, r.label, r.value, r.unit])).toEqual([
      ['batteryCapacity', '', '', 100, 'percent'],
      ['outputVoltage', '1', 'L1', 230, 'volts'],
      ['outputVoltage', '2', 'L2', 230, 'volts'],
      ['outputVoltage', '3', 'L3', 230, 'volts'],
    ]);
  });

  it('reads a value changed through the control API at the next scan, into the last value, the history and /metrics', async () => {
    await pastPointInterval(eatonId);
    const changed = await control.inject({ method: 'POST', url: `/devices/${EATON}/changes`, payload: { set: [{ oid: XUPS.battery.capacity, type: 'Integer32', value: 40 }] } });
    expect(changed.statusCode).toBe(200);
    (fleet.get(EATON) as SnmprecDevice).setValue(`${XUPS.outputEntry}.${XUPS.outputCol.voltage}.2`, { type: 'Integer32', value: 212 });
    expect((await t.api('POST', `/api/v1/devices/${eatonId}/scan`)).status).toBe(202);
    await until('40 % read', async () => (await valueOf(eatonId, 'batteryCapacity')) === 40, 10_000);
    expect(await valueOf(eatonId, 'outputVoltage', 'L2')).toBe(212);
    const history = await t.api('GET', `/api/v1/devices/${eatonId}/readings/history?reading=batteryCapacity`);
    expect((history.body.points as Array<{ value: number }>).map((p) => p.value)).toEqual([100, 40]);
    const text = await scrape();
    expect(text).toContain('priscan_reading{device="eaton-1",site="dc-east",reading="batteryCapacity",unit="percent",row=""} 40');
    expect(text).toContain('priscan_reading{device="eaton-1",site="dc-east",reading="outputVoltage",unit="volts",row="L2"} 212');
  });

  it('refuses a history request that names no row of a reading with several, or a reading it does not have', async () => {
    const ambiguous = await t.api('GET', `/api/v1/devices/${eatonId}/readings/history?reading=outputVoltage`);
    expect(ambiguous).toMatchObject({ status: 400, body: { error: { code: 'READING_INSTANCE_REQUIRED', message: expect.stringContaining('1 (L1), 2 (L2), 3 (L3)') } } });
    const missing = await t.api('GET', `/api/v1/devices/${eatonId}/readings/history?reading=temperature`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'READING_NOT_FOUND' } } });
    const row = await t.api('GET', `/api/v1/devices/${eatonId}/readings/history?reading=outputVoltage&instance=L9`);
    expect(row).toMatchObject({ status: 404, body: { error: { code: 'READING_NOT_FOUND' } } });
  });
});

describe('priscan readings', () => {
  /** The command in this process (as the shipped CLI runs it), its output and its exit code or error. */
  async function readings(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    const out = new Writable({ write: (chunk: Buffer, _encoding, done) => ((stdout += chunk.toString()), done()) });
    try {
      const code = await readingsCommand([...args, '--url', t.running.httpUrl, '--token', t.adminToken], out);
      return { code, stdout, stderr: '' };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      return { code: error.exitCode, stdout, stderr: error.message };
    }
  }

  it('explains itself with --help', async () => {
    const help = await readings(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: priscan readings DEVICE/);
    expect(help.stdout).toMatch(/--history READING/);
  });

  it('lists a device\'s readings as a table (the shipped command), or as JSON', async () => {
    const run = await priscan(['readings', 'nb-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^READING\s+ROW\s+VALUE\s+READ AT/);
    expect(run.stdout).toMatch(new RegExp(`temperature\\s+${INLET}\\s+38\\.5 °C\\s+\\d{4}-`));
    expect(run.stdout).toMatch(/door\s+Rack front door\s+closed \(1\)/);
    const json = JSON.parse((await readings([String(eatonId), '--json'])).stdout) as ReadingJson[];
    expect(json.map((r) => r.value)).toEqual([40, 230, 212, 230]);
  });

  it('shows one reading\'s history, picking the row by label', async () => {
    const run = await readings(['eaton-1', '--history', 'outputVoltage', '--instance', 'L2', '--since', '1h']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AT\s+outputVoltage \(L2\)$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(['230 V', '212 V']);
  });

  it('says what is wrong: a row to name (exit 1), a bad time or a stray option (exit 2), an unknown device (exit 1)', async () => {
    const ambiguous = await readings(['eaton-1', '--history', 'outputVoltage']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/name one with instance=.*\[READING_INSTANCE_REQUIRED\]/);
    const badTime = await priscan(['readings', 'eaton-1', '--history', 'batteryCapacity', '--since', 'yesterday']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/--since must be an ISO 8601 time .* got "yesterday"/);
    const stray = await readings(['eaton-1', '--since', '1h']);
    expect(stray).toMatchObject({ code: 2, stderr: '--since goes with --history READING' });
    const nobody = await readings(['nobody']);
    expect(nobody).toMatchObject({ code: 1, stderr: 'no device named nobody' });
  });
});

describe('removing a device', () => {
  it('removes its readings and their history, and keeps its events', async () => {
    const eventsBefore = t.running.store.alarms.events(0, 1000, nbId).length;
    expect(eventsBefore).toBeGreaterThan(0);
    const humidity = (await readingsOf(nbId)).readings.find((r) => r.reading === 'humidity')!;
    const historyOf = () => t.running.store.readings.history({ deviceId: nbId, reading: 'humidity', instance: humidity.instance, since: 0, until: Date.now() + 1, limit: 10 });
    expect(historyOf()).toHaveLength(1);
    expect((await t.api('DELETE', `/api/v1/devices/${nbId}`)).status).toBe(200);
    expect(t.running.store.readings.last(nbId)).toEqual([]);
    expect(historyOf()).toBeUndefined();
    expect((await t.api('GET', `/api/v1/devices/${nbId}/readings`)).status).toBe(404);
    expect(await scrape()).not.toContain('device="nb-1"');
    expect(t.running.store.alarms.events(0, 1000, nbId).length).toBeGreaterThanOrEqual(eventsBefore);
    expect(t.running.store.readings.last(eatonId)).toHaveLength(4);
  });
});
