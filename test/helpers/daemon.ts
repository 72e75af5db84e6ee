import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Daemon, type DaemonOptions, type RunningDaemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/config/load.js';

export interface TestDaemon {
  daemon: Daemon;
  running: RunningDaemon;
  dataDir: string;
  api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Sum of a metric's values whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A daemon on loopback with its data in a fresh temporary directory. `random` near 1 puts every
 * first safety-net scan about 5 minutes out, so any scan a test sees was triggered.
 */
export async function startTestDaemon(config: Record<string, unknown> = {}, options: Omit<DaemonOptions, 'config'> = {}): Promise<TestDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'priscan-test-'));
  const parsed = parseConfig(
    {
      dataDir,
      manager: { address: '127.0.0.1' },
      notifications: { listen: { address: '127.0.0.1', port: 0 } },
      http: { listen: { address: '127.0.0.1', port: 0 } },
      ...config,
    },
    'test',
  );
  const daemon = new Daemon({ log: pino({ level: 'silent' }), random: () => 0.99, ...options, config: parsed });
  const running = await daemon.start();
  return {
    daemon,
    running,
    dataDir,
    async api(method, url, payload, headers) {
      const res = await running.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
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
