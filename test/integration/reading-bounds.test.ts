// A lying NetBotz: 400 temperature sensors whose labels are 3,000 characters of text a label
// should never hold. What is stored and what /metrics shows stay bounded: series per device,
// label lengths and characters, and what was left out is counted. The whole daemon runs; its
// SNMP requests are answered in-process from the simulated NetBotz's MIB (the fake client).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LABEL_LENGTH } from '../../src/app/readings-service.js';
import { MAX_READINGS_PER_DEVICE, MAX_ROW_LABEL_LENGTH } from '../../src/metrics/readings.js';
import { NETBOTZ } from '../../src/profiles/oids.js';
import { DEFAULT_HISTORY_POLICY } from '../../src/store/readings.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { until } from '../helpers/tools.js';

// This file's device lives on 127.0.216.0/24 (nothing is sent to it: the fake client answers).
const ADDRESS = '127.0.216.1';
const SENSORS = 400;
const LONG = 3000;
let t: TestDaemon;
let id = 0;

beforeAll(async () => {
  const netbotz = new NetBotzDevice({ address: ADDRESS, port: 161, readCommunity: 'public', writeCommunity: 'private', clock: { now: () => Date.now() }, apcTrapPort: 162, onBatteryRepeatMs: 60_000 });
  // Any OID under the entry finds its table.
  const temperatures = netbotz.mib.tableAt(`${NETBOTZ.tempSensorEntry}.1`.split('.').map(Number))!;
  const col = NETBOTZ.sensorCol;
  for (let i = 0; i < SENSORS; i++) {
    // Quotes, braces, newlines and a label far too long: device text, as a faulty appliance may send it.
    temperatures.setRow([1000 + i], { [col.id]: Buffer.from(`s${i}`), [col.value]: 200 + (i % 50), [col.errorStatus]: 0, [col.label]: Buffer.from(`"Sensor ${i}"\n{${'x'.repeat(LONG)}}`) });
  }
  t = await startTestDaemon({}, { snmp: () => ({ open: () => new FakeSnmpClient(netbotz.mib) }) });
  const added = await t.api('POST', '/api/v1/devices', { name: 'nb-liar', address: ADDRESS, profile: 'netbotz', site: 'lab', timeoutMs: 2000, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
  expect(added.status).toBe(201);
  id = added.body.id as number;
  await untilRegistered(t, id);
});

afterAll(async () => {
  await t?.stop();
});

describe('a NetBotz reporting 400 sensors with 3,000-character labels', () => {
  it('stores at most the series limit, each label bounded', async () => {
    const stored = await until('readings stored', () => {
      const last = t.running.store.readings.last(id);
      return last.length > 0 ? last : undefined;
    }, 20_000);
    expect(stored).toHaveLength(DEFAULT_HISTORY_POLICY.maxSeriesPerDevice);
    for (const r of stored) {
      expect(r.label.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
      expect(r.label).not.toContain('\n');
    }
  });

  it('shows at most 128 readings of the device in /metrics, with bounded label values, and counts the rest', async () => {
    const text = (await t.running.http.inject({ method: 'GET', url: '/metrics' })).body;
    const lines = text.split('\n').filter((line) => line.startsWith('priscan_reading{') && line.includes('device="nb-liar"'));
    expect(lines).toHaveLength(MAX_READINGS_PER_DEVICE);
    const rows = lines.map((line) => /row="((?:[^"\\]|\\.)*)"/.exec(line)![1]!);
    expect(new Set(rows).size).toBe(rows.length);
    for (const row of rows) {
      expect([...row].length).toBeLessThanOrEqual(MAX_ROW_LABEL_LENGTH);
      expect(row).toMatch(/^[\p{L}\p{N} ._:/#()+,%@~-]*$/u);
    }
    expect(text).not.toContain('x'.repeat(MAX_ROW_LABEL_LENGTH));
    // Its 400 sensors, the appliance's own temperature and humidity sensors and its door.
    expect(await t.metric('priscan_readings_capped', { device: 'nb-liar' })).toBe(SENSORS + 3 - MAX_READINGS_PER_DEVICE);
  });
});
