// The polling baseline operators would otherwise run: Debian's prometheus-snmp-exporter (0.21)
// with a module for the simulators' priority-scanning table, scraped by a real Prometheus
// (2.42) through the usual /snmp?target=&module= relabelling. Processes on loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { findTool } from '../../test/helpers/tools.js';

export const SNMP_EXPORTER_MODULE = 'priscan_sim';

/** The table above the entry: what `walk: [priscanAlarmTable]` in a generator.yml resolves to. */
const alarmTable = PRISCAN_SIM.alarmEntry.replace(/\.1$/, '');
const metricName = (column: string) => `priscanAlarm${column[0]?.toUpperCase()}${column.slice(1)}`;
/** How snmp_exporter renders each accessible column of priscanAlarmEntry (the MIB's SYNTAX, as the generator maps it). */
const COLUMN_TYPES: Record<Exclude<keyof typeof PRISCAN_SIM.alarmCol, 'index'>, string> = {
  severity: 'gauge',
  code: 'gauge',
  descr: 'DisplayString',
  raisedAt: 'gauge',
};

/**
 * The snmp.yml module the generator would write for PRISCAN-SIM-MIB's alarm table (0.21 format:
 * walk, metrics with name/oid/type/indexes, version, auth), built from the project's OID
 * constants so it cannot drift from what the simulators serve.
 */
export function priscanSimModule(community = 'public'): Record<string, unknown> {
  const indexes = [{ labelname: metricName('index'), type: 'gauge' }];
  return {
    [SNMP_EXPORTER_MODULE]: {
      walk: [alarmTable],
      metrics: Object.entries(COLUMN_TYPES).map(([column, type]) => ({
        name: metricName(column),
        oid: `${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol[column as keyof typeof COLUMN_TYPES]}`,
        type,
        help: `PRISCAN-SIM-MIB ${metricName(column)}`,
        indexes,
      })),
      version: 2,
      max_repetitions: 25,
      retries: 3,
      timeout: '5s',
      auth: { community },
    },
  };
}

/** The metric whose value is the alarm's code: one series per active alarm row. */
export const ALARM_CODE_METRIC = metricName('code');

export function pollingToolsMissing(): string[] {
  return (['prometheus-snmp-exporter', 'prometheus'] as const).filter((tool) => !findTool(tool));
}

/** Runs `command` on one core when `core` is given (taskset), else anywhere. */
function spawnOn(core: number | undefined, command: string, args: string[]): ChildProcess {
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  return core === undefined ? spawn(command, args, { stdio }) : spawn('taskset', ['-c', String(core), command, ...args], { stdio });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200; fails with the process's stderr if it exits or the time runs out. */
async function untilAnswering(url: string, child: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s: ${stderr}`);
}

export interface RunningTool {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Debian's snmp_exporter with the generated module, listening on `listen` (host:port). */
export async function startSnmpExporter(options: { listen: string; core?: number }): Promise<RunningTool> {
  const binary = findTool('prometheus-snmp-exporter');
  if (!binary) throw new Error('prometheus-snmp-exporter is not installed (apt-get install prometheus-snmp-exporter)');
  const scratch = mkdtempSync(join(tmpdir(), 'priscan-snmp-exporter-'));
  const configFile = join(scratch, 'snmp.yml');
  // No YAML anchors: the file reads like a generated snmp.yml.
  writeFileSync(configFile, stringify(priscanSimModule(), { aliasDuplicateObjects: false }));
  const child = spawnOn(options.core, binary, [`--config.file=${configFile}`, `--web.listen-address=${options.listen}`, '--log.level=warn']);
  const url = `http://${options.listen}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await untilAnswering(`${url}/metrics`, child, 'snmp_exporter');
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid ?? NaN, stop };
}

/** One scrape as Prometheus makes it: GET /snmp?target=&module=; the exposition text. */
export async function scrapeDevice(exporterUrl: string, target: string): Promise<string> {
  const res = await fetch(`${exporterUrl}/snmp?target=${encodeURIComponent(target)}&module=${SNMP_EXPORTER_MODULE}`);
  if (!res.ok) throw new Error(`snmp_exporter answered ${res.status} for ${target}`);
  return res.text();
}

export interface Sample {
  /** Milliseconds since the epoch: Prometheus stamps a sample with the time its scrape started. */
  atMs: number;
  value: number;
}

export interface Series {
  labels: Record<string, string>;
  samples: Sample[];
}

export interface RunningPrometheus extends RunningTool {
  /** Every raw sample of `selector` in the `windowS` seconds before now (a range-vector query). */
  samples(selector: string, windowS: number): Promise<Series[]>;
  /** An instant query's value (e.g. a count), NaN when empty. */
  scalar(query: string): Promise<number>;
}

export interface PrometheusOptions {
  listen: string;
  exporter: string;
  /** Device addresses as host:port: the static targets relabelled into `target=`. */
  targets: readonly string[];
  intervalS: number;
  core?: number;
}

/** A real Prometheus scraping every target through the exporter, with the relabelling snmp_exporter's README gives. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = findTool('prometheus');
  if (!binary) throw new Error('prometheus is not installed (apt-get install prometheus)');
  const scratch = mkdtempSync(join(tmpdir(), 'priscan-prometheus-'));
  const configFile = join(scratch, 'prometheus.yml');
  const config = {
    global: { scrape_interval: `${options.intervalS}s`, scrape_timeout: `${Math.min(10, options.intervalS)}s` },
    scrape_configs: [
      {
        job_name: 'snmp',
        metrics_path: '/snmp',
        params: { module: [SNMP_EXPORTER_MODULE] },
        static_configs: [{ targets: [...options.targets] }],
        relabel_configs: [
          { source_labels: ['__address__'], target_label: '__param_target' },
          { source_labels: ['__param_target'], target_label: 'instance' },
          { target_label: '__address__', replacement: options.exporter },
        ],
      },
    ],
  };
  writeFileSync(configFile, stringify(config));
  const child = spawnOn(options.core, binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(scratch, 'data')}`,
    `--web.listen-address=${options.listen}`,
    '--log.level=warn',
  ]);
  const url = `http://${options.listen}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(scratch, { recursive: true, force: true });
  };
  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus query ${expr} failed: ${body.error ?? res.status}`);
    return body.data;
  };
  try {
    await untilAnswering(`${url}/-/ready`, child, 'prometheus');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    pid: child.pid ?? NaN,
    stop,
    async samples(selector, windowS) {
      const data = await query(`${selector}[${Math.ceil(windowS)}s]`);
      return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((s) => ({
        labels: s.metric,
        samples: s.values.map(([at, value]) => ({ atMs: Math.round(at * 1000), value: Number(value) })),
      }));
    },
    async scalar(expr) {
      const result = (await query(expr)).result as Array<{ value: [number, string] }>;
      return Number(result[0]?.value[1] ?? NaN);
    },
  };
}
