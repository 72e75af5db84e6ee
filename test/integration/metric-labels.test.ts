// A lying NetBotz: hundreds of error conditions whose type and sensor texts are 3,000 characters
// long. Metric labels stay a closed set: series and label lengths are bounded, the text is kept in
// each alarm's description, and what was folded is counted. The whole daemon runs (scanner, store,
// API, /metrics); its SNMP requests are answered in-process from the simulated NetBotz's MIB (the
// fake client), as 3,000-byte values over UDP would also exercise the BER writer, tested elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETBOTZ } from '../../src/profiles/oids.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { startTestDaemon, untilRegistered, type TestDaemon } from '../helpers/daemon.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { until } from '../helpers/tools.js';

// This file's device lives on 127.0.186.0/24 (nothing is sent to it: the fake client answers).
const ADDRESS = '127.0.186.1';
const PORT = 16186;
const CONDITIONS = 300;
const LONG = 3000;
let t: TestDaemon;
let netbotz: NetBotzDevice;
let id = 0;

interface Series {
  name: string;
  labels: Record<string, string>;
}

/** Every sample line of /metrics with its labels (label values are quoted strings without escaped quotes here). */
async function scrape(): Promise<{ text: string; series: Series[] }> {
  const res = await t.running.http.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const series = res.body
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name, labels };
    });
  return { text: res.body, series };
}

beforeAll(async () => {
  netbotz = new NetBotzDevice({
    address: ADDRESS,
    port: PORT,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => Date.now() },
    apcTrapPort: 162,
    onBatteryRepeatMs: 60_000,
  });
  t = await startTestDaemon({}, { snmp: () => ({ open: () => new FakeSnmpClient(netbotz.mib) }) });
  const added = await t.api('POST', '/api/v1/devices', {
    name: 'nb-1',
    address: ADDRESS,
    port: PORT,
    profile: 'netbotz',
    timeoutMs: 2000,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  expect(added.status).toBe(201);
  id = added.body.id as number;
  await untilRegistered(t, id);
});

afterAll(async () => {
  await t?.stop();
});

describe('a NetBotz reporting hundreds of conditions with 3,000-character type names', () => {
  it('adds a bounded number of series with bounded label values, keeps the text in descriptions, and counts what it folded', async () => {
    const capped = async () => t.metric('priscan_alarm_labels_capped_total', { reason: 'code' });
    const cappedBefore = await capped();
    const severities = [NETBOTZ.errorStatus.warning, NETBOTZ.errorStatus.error, NETBOTZ.errorStatus.info];
    for (let i = 0; i < CONDITIONS; i++) {
      const text = `nbErrorType_Lie${i}_${'x'.repeat(LONG)}`;
      netbotz.addErrorCondition({ typeId: text, severity: severities[i % 3]!, sensorId: `sensor${i}_${'y'.repeat(LONG)}` });
    }
    // Two conditions the profile knows, spelled as BotzWare spells them: they keep their own codes.
    netbotz.addErrorCondition({ typeId: 'nbErrorType_toohigh', severity: NETBOTZ.errorStatus.error, sensorId: 'nbHawkEnc_0_TEMP1' });
    netbotz.addErrorCondition({ typeId: 'nbErrorType_podunpluggedsensor', severity: NETBOTZ.errorStatus.critical, sensorId: 'nbHawkEnc_0_HUMI1' });

    expect((await t.api('POST', `/api/v1/devices/${id}/scan`)).status).toBe(202);
    const alarms = await until('every condition stored', async () => {
      const listed = (await t.api('GET', '/api/v1/alarms?device=nb-1')).body.alarms as Array<{ key: string; code: string; description: string }>;
      return listed.length === CONDITIONS + 2 ? listed : undefined;
    }, 20_000);

    // Codes: the two the profile knows, and one for everything else.
    expect(new Set(alarms.map((a) => a.code))).toEqual(new Set(['netbotz.other', 'netbotz.valueTooHigh', 'netbotz.sensorUnplugged']));
    // Each description keeps the start of the device's texts (which tells the conditions apart), shortened.
    for (let i = 0; i < CONDITIONS; i++) {
      const alarm = alarms.find((a) => a.description.includes(`"nbErrorType_Lie${i}_x`));
      expect(alarm, `condition ${i}`).toMatchObject({ code: 'netbotz.other', description: expect.stringContaining(`on sensor sensor${i}_yyyy`) });
      expect(alarm!.description.length).toBeLessThanOrEqual(300);
    }
    for (const a of alarms) expect(a.key.length).toBeLessThanOrEqual(200);

    const { text, series } = await scrape();
    const mine = series.filter((s) => s.labels.device === 'nb-1');
    const active = mine.filter((s) => s.name === 'priscan_alarm_active');
    // One series per severity and code: 3 severities of netbotz.other and the two known codes.
    expect(active.map((s) => `${s.labels.severity} ${s.labels.code}`).sort()).toEqual([
      'critical netbotz.other',
      'critical netbotz.sensorUnplugged',
      'critical netbotz.valueTooHigh',
      'info netbotz.other',
      'warning netbotz.other',
    ]);
    // No label value anywhere in the exposition is long, and the device's text is nowhere in it.
    const longest = Math.max(...series.flatMap((s) => Object.values(s.labels).map((v) => v.length)));
    expect(longest).toBeLessThanOrEqual(100);
    expect(text).not.toContain('xxxxxxxxxx');
    expect(text).not.toContain('Lie1');
    expect(await capped()).toBe(cappedBefore + CONDITIONS);
    const summed = series.filter((s) => s.name === 'priscan_alarms_active').length;
    expect(summed).toBe(3);
  });
});
