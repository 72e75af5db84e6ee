import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Daemon, type DaemonOptions, type RunningDaemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/config/load.js';
import type { InterfaceTable } from '../../src/licensing/identity.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import { issueKey } from '../../src/licensing/key.js';
import { until } from './tools.js';

/** The licensing identity of test daemons: one made-up interface, so tests do not depend on the machine's. */
export const TEST_MAC = '02:00:5e:10:20:30';
export const TEST_INTERFACES: InterfaceTable = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [{ address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: TEST_MAC, internal: false, cidr: '192.0.2.10/24' }],
};
export const TEST_ISSUER_SECRET = IssuerSecret.fromText('test issuer secret, not for production use', 'test');

let passcodes = 0;
/** A valid key for test daemons, for `nodes` devices. */
export function testLicenseKey(nodes: number, passcode = `test-passcode-${process.pid}-${++passcodes}`): string {
  return issueKey({ secret: TEST_ISSUER_SECRET, mac: TEST_MAC, nodes, passcode, edition: 'standard', issuedOn: new Date() }).key;
}

export interface TestDaemon {
  daemon: Daemon;
  running: RunningDaemon;
  dataDir: string;
  /** An admin token, sent by api() unless other headers are given. */
  adminToken: string;
  api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Sum of a metric's values whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export interface TestDaemonOptions extends Omit<DaemonOptions, 'config'> {
  /** Installs a license key for this many nodes (beyond the 5 included) before devices are added. */
  licensedNodes?: number;
}

/**
 * A daemon on loopback with its data in a fresh temporary directory. `random` near 1 puts every
 * first safety-net scan about 5 minutes out, so any scan a test sees was triggered.
 */
export async function startTestDaemon(config: Record<string, unknown> = {}, options: TestDaemonOptions = {}): Promise<TestDaemon> {
  // A `dataDir` in the config starts a daemon on an existing directory, as after a restart.
  const dataDir = typeof config.dataDir === 'string' ? config.dataDir : mkdtempSync(join(tmpdir(), 'priscan-test-'));
  const parsed = parseConfig(
    {
      manager: { address: '127.0.0.1' },
      notifications: { listen: { address: '127.0.0.1', port: 0 } },
      http: { listen: { address: '127.0.0.1', port: 0 } },
      ...config,
      dataDir,
    },
    'test',
  );
  const { licensedNodes, ...daemonOptions } = options;
  const daemon = new Daemon({
    log: pino({ level: 'silent' }),
    random: () => 0.99,
    interfaces: TEST_INTERFACES,
    issuerSecret: TEST_ISSUER_SECRET,
    ...daemonOptions,
    config: parsed,
  });
  const running = await daemon.start();
  // On a directory used before, the first start's token name is taken.
  const taken = new Set(running.tokens.list().map((token) => token.name));
  let name = 'test-admin';
  for (let n = 2; taken.has(name); n++) name = `test-admin-${n}`;
  const adminToken = running.tokens.create({ role: 'admin', name }).token;
  if (licensedNodes) running.licenses.add(testLicenseKey(licensedNodes));
  return {
    daemon,
    running,
    dataDir,
    adminToken,
    async api(method, url, payload, headers) {
      const res = await running.http.inject({
        method,
        url,
        headers: headers ?? { authorization: `Bearer ${adminToken}` },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
    },
    async metric(name, labels = {}) {
      const values = (await running.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
      return values
        .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, string | number>)[k] === l))
        .reduce((sum, v) => sum + v.value, 0);
    },
    async stop() {
      await daemon.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the daemon has registered itself on device `id`, and returns the device. */
export function untilRegistered(t: TestDaemon, id: number, timeoutMs = 10_000) {
  return until(`device ${id} registered`, () => {
    const device = t.running.store.devices.get(id);
    return device?.state.registration === 'registered' ? device : undefined;
  }, timeoutMs);
}
