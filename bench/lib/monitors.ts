// The two monitors the detection benchmark compares, both real in-process priscan daemons:
// one with priority scanning (registered on its devices, scans on their notifications) and
// one that only polls, every device every 15 s, through the same scanner and SNMP client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Daemon, type RunningDaemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/config/load.js';
import type { InterfaceTable } from '../../src/licensing/identity.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import { issueKey } from '../../src/licensing/key.js';
import { ProfileRegistry } from '../../src/profiles/registry.js';
import { readPlan, specOf } from '../../src/scanning/evaluate.js';
import { walkColumns, type SnmpClient, type SnmpClientFactory, type SnmpTarget } from '../../src/snmp/client.js';
import { NetSnmpClientFactory } from '../../src/snmp/net-snmp-client.js';
import type { NewDevice } from '../../src/store/devices.js';

// The benchmark's own licensing identity and issuer, so 1,000 devices are licensed whatever the machine.
const BENCH_MAC = '02:00:5e:10:20:60';
const BENCH_INTERFACES: InterfaceTable = {
  bench0: [{ address: '192.0.2.60', netmask: '255.255.255.0', family: 'IPv4', mac: BENCH_MAC, internal: false, cidr: '192.0.2.60/24' }],
};
const BENCH_ISSUER_SECRET = IssuerSecret.fromText('detection benchmark issuer secret, not for production use', 'bench');
let passcodes = 0;

export interface Monitor {
  running: RunningDaemon;
  /** Scans started per device address (counted at the SNMP client, so every trigger counts). */
  scansByAddress: Map<string, number>;
  idOf: Map<string, number>;
  addressOf: Map<number, string>;
  stop(): Promise<void>;
}

/** The first column a `sim` device's scan walks, from the shipped profile. */
function priscanSimFirstColumn(): string | undefined {
  const profiles = new ProfileRegistry();
  profiles.load();
  return readPlan(specOf(profiles.require('priscan-sim'))).columns[0];
}

/**
 * Counts scans per device: a `sim` device's scan walks the first column of its alarm
 * table exactly once (alone or with the table's other columns), and nothing else walks it. The daemon's metrics count scans by
 * trigger but not by device, and "at most two scans per device per burst" is per device.
 */
export class ScanCountingFactory implements SnmpClientFactory {
  readonly scansByAddress = new Map<string, number>();
  private readonly firstColumn = priscanSimFirstColumn();

  constructor(private readonly inner: SnmpClientFactory) {}

  open(target: SnmpTarget): SnmpClient {
    const client = this.inner.open(target);
    const counts = this.scansByAddress;
    const firstColumn = this.firstColumn;
    return {
      get: (oids) => client.get(oids),
      subtree: (oid) => {
        if (oid === firstColumn) counts.set(target.address, (counts.get(target.address) ?? 0) + 1);
        return client.subtree(oid);
      },
      // A scan walks the table's columns together (one GETBULK per page where the client can).
      columns: (oids) => {
        if (oids.includes(firstColumn!)) counts.set(target.address, (counts.get(target.address) ?? 0) + 1);
        return walkColumns(client, oids);
      },
      set: (varbinds) => client.set(varbinds),
      close: () => client.close(),
    };
  }
}

export interface MonitorOptions {
  /** Device addresses, all answering on `port`. */
  addresses: readonly string[];
  port: number;
  priorityScanning: boolean;
  /** Scan interval; the poller's 15 s is below the config's 60 s floor, so it goes in through the device service. */
  intervalSeconds: number;
  /** Feeds the scheduler: where each device's first periodic scan falls, and the jitter after each scan. */
  random: () => number;
  /** The devices' profile; default priscan-sim (the `sim` kind). */
  profile?: string;
  /** Each device's site, by its index in `addresses` (thresholds can be set per site); default none. */
  siteOf?: (index: number) => string | null;
  /** The config file's `thresholds`, as an operator writes them. */
  thresholds?: ReadonlyArray<Record<string, unknown>>;
}

export async function startMonitor(options: MonitorOptions): Promise<Monitor> {
  const dataDir = mkdtempSync(join(tmpdir(), 'priscan-bench-'));
  const config = parseConfig(
    {
      dataDir,
      log: { level: 'silent' },
      manager: { address: '127.0.0.1' },
      notifications: { listen: { address: '127.0.0.1', port: 0 } },
      http: { listen: { address: '127.0.0.1', port: 0 } },
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    },
    'bench',
  );
  let counting: ScanCountingFactory | undefined;
  const daemon = new Daemon({
    config,
    log: pino({ level: 'silent' }),
    random: options.random,
    interfaces: BENCH_INTERFACES,
    issuerSecret: BENCH_ISSUER_SECRET,
    snmp: (metrics) => (counting = new ScanCountingFactory(new NetSnmpClientFactory(metrics.snmp))),
  });
  const running = await daemon.start();
  const stop = async () => {
    await daemon.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const passcode = `bench-detection-${process.pid}-${++passcodes}`;
    running.licenses.add(issueKey({ secret: BENCH_ISSUER_SECRET, mac: BENCH_MAC, nodes: options.addresses.length, passcode, edition: 'standard', issuedOn: new Date() }).key);
    const idOf = new Map<string, number>();
    const addressOf = new Map<number, string>();
    options.addresses.forEach((address, i) => {
      const device: NewDevice = {
        name: `${options.priorityScanning ? (options.profile ?? 'sim') : 'polled'}-${i + 1}`,
        address,
        port: options.port,
        snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null },
        // Explicit, so no scan spends a GET on identifying the device.
        profile: options.profile ?? 'priscan-sim',
        priorityScanning: options.priorityScanning,
        intervalSeconds: options.intervalSeconds,
        // The reference product's defaults.
        timeoutMs: 3000,
        retries: 1,
        site: options.siteOf?.(i) ?? null,
        origin: 'api',
      };
      const record = running.devices.add(device);
      idOf.set(address, record.id);
      addressOf.set(record.id, address);
    });
    if (!counting) throw new Error('the daemon did not build its SNMP clients through the given factory');
    return { running, scansByAddress: counting.scansByAddress, idOf, addressOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until every device of the monitor is registered; returns how long it took. */
export async function untilRegistered(monitor: Monitor, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const done = () => monitor.running.store.devices.list().every((d) => d.state.registration === 'registered');
  if (!(await until(done, timeoutMs))) {
    const failed = monitor.running.store.devices.list().filter((d) => d.state.registration !== 'registered');
    throw new Error(`${failed.length} devices not registered within ${timeoutMs / 1000} s, e.g. ${failed[0]?.name}: ${failed[0]?.state.registrationError ?? failed[0]?.state.registration}`);
  }
  return performance.now() - started;
}

/** Polls `condition` every 20 ms; false at the deadline. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Sum of a metric's values whose labels include `labels`. `series` picks a histogram's
 * `_sum` or `_count` series (by default a histogram's values mix all of its series).
 */
export async function metricSum(running: RunningDaemon, name: string, labels: Record<string, string> = {}, series?: 'sum' | 'count'): Promise<number> {
  const values = (await running.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => series === undefined || (v as { metricName?: string }).metricName === `${name}_${series}`)
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, string | number>)[k] === l))
    .reduce((total, v) => total + v.value, 0);
}

/**
 * A random() for the poller's scheduler: the i-th of `count` devices gets (i + 0.5) / count,
 * so first scans are evenly staggered over one interval; afterwards 0.5, which makes the
 * scheduler's +-10% jitter zero and every interval exactly the configured one.
 */
export function evenStagger(count: number): () => number {
  let calls = 0;
  return () => (calls < count ? (calls++ + 0.5) / count : 0.5);
}
