import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultMode } from '../../simulators/devices/device.js';
import { Fleet } from '../../simulators/fleet.js';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { NetSnmpClient } from '../../src/snmp/net-snmp-client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.32.0/24.
const PORT = 16173;
const FAULTY = '127.0.32.1';
const HEALTHY = '127.0.32.2';
/** The faulty device's per-request timeout; with one retry a silent device fails a scan in about 1 s. */
const TIMEOUT_MS = 500;
/** Longer than the faulty device's timeout, so a `slow` answer always comes too late. */
const SLOW_MS = 1_500;
/** How soon the healthy device's alarm must show while the faulty device is failing its scans. */
const PROMPTLY_MS = 3_000;

let d: TestDaemon;
let fleet: Fleet;
const ids = { faulty: 0, healthy: 0 };

const faulty = () => fleet.get(FAULTY)!;
const healthy = () => fleet.get(HEALTHY)!;

interface DeviceState {
  reachable: boolean | null;
  lastScanAt: string | null;
  lastError: string | null;
}

async function deviceState(id: number): Promise<DeviceState> {
  const res = await d.api('GET', `/api/v1/devices/${id}`);
  expect(res.status).toBe(200);
  return res.body.state as DeviceState;
}

async function activeCodes(id: number): Promise<string[]> {
  const { status, body } = await d.api('GET', '/api/v1/alarms');
  expect(status).toBe(200);
  return (body.alarms as Array<{ deviceId: number; code: string }>).filter((a) => a.deviceId === id).map((a) => a.code);
}

/** Requests a scan and waits for it to be recorded (lastScanAt moves on). */
async function scanNow(id: number, timeoutMs = 20_000): Promise<DeviceState> {
  const before = (await deviceState(id)).lastScanAt;
  d.running.scheduler.requestScan(id, 'manual');
  return until(`a new scan of device ${id} recorded`, async () => {
    const state = await deviceState(id);
    return state.lastScanAt !== before && state;
  }, timeoutMs);
}

/** Raises an alarm on the healthy device and waits for it, then clears it again. */
async function healthyAlarmShowsPromptly(): Promise<void> {
  healthy().raise('fanFailure');
  await until('the healthy device\'s fan failure stored', async () => (await activeCodes(ids.healthy)).includes('sim.16'), PROMPTLY_MS);
  healthy().clear('fanFailure');
  await until('the healthy device\'s fan failure cleared', async () => !(await activeCodes(ids.healthy)).includes('sim.16'), PROMPTLY_MS);
}

beforeAll(async () => {
  d = await startTestDaemon();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 2 }], baseAddress: FAULTY, port: PORT });
  await fleet.start();
  for (const [key, address] of [['faulty', FAULTY], ['healthy', HEALTHY]] as const) {
    const res = await d.api('POST', '/api/v1/devices', {
      name: key,
      address,
      port: PORT,
      profile: 'auto',
      timeoutMs: TIMEOUT_MS,
      retries: 1,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
    ids[key] = res.body.id as number;
  }
  await until('both registered', () => [ids.faulty, ids.healthy].every((id) => d.running.store.devices.get(id)?.state.registration === 'registered'), 10_000);
  // An alarm the faulty device holds throughout: no broken answer may clear it.
  faulty().raise('onBattery');
  await until('the faulty device\'s on-battery alarm stored', async () => (await activeCodes(ids.faulty)).includes('sim.2'), 5_000);
});

afterAll(async () => {
  await fleet?.stop();
  await d?.stop();
});

describe('a device that answers like a broken agent', () => {
  const where = `${FAULTY}:${PORT}`;
  it.each<[FaultMode, RegExp, 'unreachable' | 'failed']>([
    ['garbage', new RegExp(`no answer from ${where} within ${TIMEOUT_MS} ms .*datagrams that are not valid SNMP`), 'unreachable'],
    ['wrong-request-id', new RegExp(`no answer from ${where} within ${TIMEOUT_MS} ms`), 'unreachable'],
    ['slow', new RegExp(`no answer from ${where} within ${TIMEOUT_MS} ms`), 'unreachable'],
    ['silent', new RegExp(`no answer from ${where} within ${TIMEOUT_MS} ms`), 'unreachable'],
    ['endless-walk', new RegExp(`${where}: walk of ${PRISCAN_SIM.alarmEntry}\\.\\d+ returned more than 10000 values without leaving the subtree`), 'failed'],
    ['non-increasing-walk', new RegExp(`${where}: walk of ${PRISCAN_SIM.alarmEntry}\\.\\d+ is not increasing`), 'failed'],
  ])('%s: the scan fails with a clear error, the daemon and the healthy device carry on', async (mode, error, result) => {
    const failedBefore = await d.metric('priscan_scans_total', { result });
    faulty().setFault(mode, { delayMs: SLOW_MS });
    try {
      const scanned = scanNow(ids.faulty);
      scanned.catch(() => undefined); // awaited below, after the healthy device's check
      // While the faulty device's scan is failing, the healthy one is scanned as promptly as ever.
      await healthyAlarmShowsPromptly();
      const state = await scanned;
      expect(state.lastError).toMatch(error);
      expect(await d.metric('priscan_scans_total', { result })).toBeGreaterThan(failedBefore);
      const codes = await activeCodes(ids.faulty);
      expect(codes, 'a broken answer never clears an alarm').toContain('sim.2');
      if (result === 'unreachable') {
        expect(state.reachable).toBe(false);
        expect(codes).toContain('priscan.communicationLost');
      }
      expect((await d.api('GET', '/healthz')).status).toBe(200);
    } finally {
      faulty().setFault('none');
    }

    const recovered = await scanNow(ids.faulty);
    expect(recovered).toMatchObject({ reachable: true, lastError: null });
    expect((await activeCodes(ids.faulty)).sort()).toEqual(['sim.2']);
  });

  // A wrongly typed cell fails the scan: read as "no value" it would clear the device's alarms.
  it('wrong-types: the scan fails naming the wrongly typed cell, and keeps the alarms', async () => {
    faulty().setFault('wrong-types');
    try {
      const scanned = scanNow(ids.faulty);
      scanned.catch(() => undefined);
      await healthyAlarmShowsPromptly();
      const state = await scanned;
      expect((await d.api('GET', '/healthz')).status).toBe(200);
      expect(await activeCodes(ids.faulty)).toContain('sim.2');
      expect(await activeCodes(ids.faulty), 'the failure is itself an alarm').toContain('priscan.scanFailed');
      expect(state.lastError).toMatch(/wrong type: column \d+ of row \d+/);
    } finally {
      faulty().setFault('none');
      await scanNow(ids.faulty);
      await until('the faulty device\'s alarm back', async () => (await activeCodes(ids.faulty)).includes('sim.2'), 5_000);
    }
  });

  it('wrong-types: the scan invents no alarm from wrongly typed cells', async () => {
    faulty().setFault('wrong-types');
    try {
      await scanNow(ids.faulty);
      expect((await activeCodes(ids.faulty)).filter((code) => code !== 'sim.2' && !code.startsWith('priscan.'))).toEqual([]);
      expect((await d.api('GET', '/healthz')).status).toBe(200);
    } finally {
      faulty().setFault('none');
      await scanNow(ids.faulty);
    }
    expect(await activeCodes(ids.faulty)).toEqual(['sim.2']);
  });
});

describe('the SNMP client bounds every walk', () => {
  const client = () =>
    new NetSnmpClient({ address: FAULTY, port: PORT, version: '2c', community: 'public', timeoutMs: TIMEOUT_MS, retries: 0 });
  const column = `${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.code}`;

  it.each<['2c' | '1', FaultMode, RegExp]>([
    ['2c', 'endless-walk', /returned more than 10000 values without leaving the subtree/],
    ['1', 'endless-walk', /returned more than 10000 values without leaving the subtree/],
    ['2c', 'non-increasing-walk', /is not increasing/],
    ['1', 'non-increasing-walk', /is not increasing/],
  ])('v%s %s: subtree() stops with a protocol error', async (version, mode, error) => {
    const session = new NetSnmpClient({ address: FAULTY, port: PORT, version, community: 'public', timeoutMs: TIMEOUT_MS, retries: 0 });
    faulty().setFault(mode);
    try {
      await expect(session.subtree(column)).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(error) });
    } finally {
      faulty().setFault('none');
      session.close();
    }
  });

  it('a healthy walk is unchanged: every row, in order', async () => {
    const session = client();
    try {
      const rows = await session.subtree(column);
      expect(rows.map((vb) => vb.oid)).toEqual([`${column}.1`]);
    } finally {
      session.close();
    }
  });
});
