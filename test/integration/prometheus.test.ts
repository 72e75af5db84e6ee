// priscan's /metrics as Prometheus sees it: promtool's lint on a live scrape of a daemon
// watching a simulated fleet with active alarms, and a real Debian prometheus scraping it.
// Needs `apt-get install prometheus`; skipped with a warning without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { findTool, runTool, until, warnSkipped } from '../helpers/tools.js';

// This file's devices live on 127.0.30.0/24; Prometheus listens on 127.0.0.1:16171.
const PORT = 16170;
const PROMETHEUS_PORT = 16171;
const promtool = findTool('promtool');
const prometheus = findTool('prometheus');
if (!promtool) warnSkipped('test/integration/prometheus.test.ts (promtool lint)', 'promtool', 'prometheus');
if (!prometheus) warnSkipped('test/integration/prometheus.test.ts (live Prometheus)', 'prometheus', 'prometheus');

let t: TestDaemon;
let fleet: Fleet;
let server: ChildProcess | undefined;
let scratch = '';

const scrape = async () => (await fetch(`${t.running.httpUrl}/metrics`)).text();

beforeAll(async () => {
  t = await startTestDaemon();
  fleet = new Fleet({ devices: [{ kind: 'ups', count: 1 }, { kind: 'pdu', count: 1 }], baseAddress: '127.0.30.1', port: PORT, apcTrapPort: t.running.intake.port });
  await fleet.start();
  for (const device of fleet.devices) {
    const res = await t.api('POST', '/api/v1/devices', {
      name: `${device.kind}-1`,
      address: device.address,
      port: PORT,
      timeoutMs: 500,
      snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
    });
    expect(res.status).toBe(201);
  }
  await until('registration', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered'));
});

afterAll(async () => {
  server?.kill('SIGKILL');
  await fleet?.stop();
  await t?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('/metrics', () => {
  it('shows alarm, device and pipeline state', async () => {
    fleet.devices.find((d) => d.kind === 'ups')!.raise('onBattery');
    await until('the alarm', async () => (await scrape()).includes('priscan_alarm_active{device="ups-1",severity="warning",code="ups.onBattery"} 1'));
    await until('both devices scanned', () => t.running.store.devices.list().every((d) => d.state.reachable === true));
    // A scan already running when the notification came (registration's) may store the alarm first;
    // the notification's own scan follows it.
    await until('the notification-triggered scan counted', async () => /^priscan_scans_total\{trigger="trap",result="ok"\} [1-9]/m.test(await scrape()));
    const text = await scrape();
    expect(text).toMatch(/^priscan_alarms_active\{severity="warning"\} 1$/m);
    expect(text).toMatch(/^priscan_alarms_active\{severity="critical"\} 0$/m);
    expect(text).toMatch(/^priscan_device_up\{device="pdu-1",profile="apc-rpdu"\} 1$/m);
    expect(text).toMatch(/^priscan_device_registered\{device="ups-1",method="rfc3413"\} 1$/m);
    expect(text).toMatch(/^priscan_scans_total\{trigger="trap",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^priscan_notification_to_stored_seconds_count [1-9]/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/public|private/);
  });

  it.skipIf(!promtool)('passes promtool check metrics on a live scrape with active alarms', async () => {
    const text = await scrape();
    expect(text).toContain('priscan_alarm_active{');
    // The PDU's phase currents and load states: reading gauges and a state set are linted too.
    expect(text).toMatch(/^priscan_reading\{device="pdu-1",site="",reading="phaseCurrent",unit="amperes",row="1"\} \d/m);
    expect(text).toMatch(/^priscan_reading_state\{device="pdu-1",site="",reading="phaseLoadState",row="1",state="normal"\} 1$/m);
    const lint = await runTool(promtool!, ['check', 'metrics'], { input: text });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  });

  it.skipIf(!prometheus)('is scraped by a real Prometheus, which then answers queries for an alarm', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'priscan-prometheus-'));
    const target = new URL(t.running.httpUrl).host;
    writeFileSync(
      join(scratch, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: priscan\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    server = spawn(
      prometheus!,
      [`--config.file=${join(scratch, 'prometheus.yml')}`, `--storage.tsdb.path=${join(scratch, 'data')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`],
      { stdio: 'ignore' },
    );
    fleet.devices.find((d) => d.kind === 'pdu')!.raise('overload');
    const query = encodeURIComponent('priscan_alarm_active{code="pdu.phaseOverload"}');
    const result = await until(
      'Prometheus to hold the alarm',
      async () => {
        try {
          const body = (await (await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${query}`)).json()) as {
            data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
          };
          return body.data?.result?.[0];
        } catch {
          return undefined; // not listening yet
        }
      },
      30_000,
    );
    expect(result.metric).toMatchObject({ job: 'priscan', device: 'pdu-1', severity: 'critical' });
    expect(result.value[1]).toBe('1');
    // A reading keeps its row label as exported: `row`, not `instance`, which Prometheus would
    // take for its own target label and rename to exported_instance.
    const reading = (await (await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent('priscan_reading{reading="phaseCurrent"}')}`)).json()) as {
      data: { result: Array<{ metric: Record<string, string> }> };
    };
    expect(reading.data.result.map((r) => r.metric.row).sort()).toEqual(['1', '2', '3']);
    expect(reading.data.result[0]!.metric).toMatchObject({ device: 'pdu-1', unit: 'amperes', instance: target });
    expect(reading.data.result[0]!.metric).not.toHaveProperty('exported_instance');
  }, 40_000);
});
