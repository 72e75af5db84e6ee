// The common set-up of benchmarks that measure one priority-scanning daemon on one simulated
// fleet: the fleet in a child process and the daemon here, each pinned to its own core when
// taskset exists, every device registered before measuring starts.
import os from 'node:os';
import { deviceAddress } from '../../simulators/fleet.js';
import { round } from './detection-log.js';
import { FleetLink, hasTaskset, pinSelf } from './fleet-link.js';
import type { FleetSpec } from './fleet-protocol.js';
import { startMonitor, untilRegistered, type Monitor, type MonitorOptions } from './monitors.js';

export interface SingleFleet {
  link: FleetLink;
  monitor: Monitor;
  addresses: string[];
  machine: { cores: number; node: string; loadAverage1m: { start: number; end?: number } };
  pinned: boolean;
  setup: { fleetStartupMs: number; registrationMs: number };
  /** Stops the daemon and the fleet; safe to call after a failed start. */
  stop(): Promise<void>;
}

export interface SingleFleetOptions {
  baseAddress: string;
  port: number;
  devices: number;
  intervalSeconds: number;
  pin: boolean;
  /** The simulated kind (default sim); `monitor.profile` must be its profile. */
  kind?: FleetSpec['kind'];
  monitor?: Pick<MonitorOptions, 'profile' | 'siteOf' | 'thresholds'>;
}

export async function startSingleFleet(options: SingleFleetOptions): Promise<SingleFleet> {
  // Read before pinning: afterwards this process sees only its own core.
  const cores = os.availableParallelism();
  // Other work on the host shows in the tail latencies: the load average goes into the result.
  const loadAtStart = round(os.loadavg()[0] ?? NaN);
  const pinned = options.pin && cores >= 2 && hasTaskset() && pinSelf(1);
  const link = FleetLink.spawn(pinned ? 0 : undefined);
  const addresses = Array.from({ length: options.devices }, (_, i) => deviceAddress(options.baseAddress, i));
  let monitor: Monitor | undefined;
  const stop = async () => {
    await monitor?.stop();
    await link.stop();
  };
  try {
    const { startupMs } = await link.request({ type: 'start', fleets: [{ name: 'priscan', baseAddress: options.baseAddress, port: options.port, count: options.devices, ...(options.kind ? { kind: options.kind } : {}) }] });
    monitor = await startMonitor({ ...options.monitor, addresses, port: options.port, priorityScanning: true, intervalSeconds: options.intervalSeconds, random: Math.random });
    const registrationMs = await untilRegistered(monitor, 180_000);
    return {
      link,
      monitor,
      addresses,
      machine: { cores, node: process.version, loadAverage1m: { start: loadAtStart } },
      pinned,
      setup: { fleetStartupMs: startupMs, registrationMs: Math.round(registrationMs) },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The load average now, for the result's machine figures. */
export const loadNow = () => round(os.loadavg()[0] ?? NaN);
