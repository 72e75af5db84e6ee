// The messages between the detection benchmark and its simulator child process (Node IPC, JSON).
import type { FaultMode } from '../../simulators/agent/faults.js';
import type { DeviceKind } from '../../simulators/devices/device.js';

/**
 * `priscan` devices are registered on the priority-scanning daemon; `polled` ones only on a
 * polling priscan; `exporter` ones are scraped by snmp_exporter and Prometheus.
 */
export type FleetName = 'priscan' | 'polled' | 'exporter';

export interface FleetSpec {
  name: FleetName;
  baseAddress: string;
  port: number;
  count: number;
  /** The simulated kind of every device of the fleet; default `sim`, the cheapest device with alarms. */
  kind?: Exclude<DeviceKind, 'snmprec'>;
}

export type AlarmAction = 'raise' | 'clear';

/** Devices `from` (inclusive) to `to` (exclusive) of a fleet, by index. */
export interface DeviceRange {
  from: number;
  to: number;
}

/** How a range of devices answers: like a broken agent (`silent` still sends notifications), or not at all (`offline`). */
export type DeviceBehaviour = { fault: FaultMode; delayMs?: number } | { online: boolean };

export type FleetCommand =
  | { type: 'start'; id: number; fleets: FleetSpec[] }
  | { type: 'change'; id: number; fleet: FleetName; index: number; alarm: string; action: AlarmAction }
  /** Every device of the fleet raises `alarm`, then sends `extraNotifications` more alert-present notifications. */
  | { type: 'storm'; id: number; fleet: FleetName; alarm: string; extraNotifications: number }
  | { type: 'clear-all'; id: number; fleet: FleetName; alarm: string }
  | { type: 'counters'; id: number }
  | { type: 'behave'; id: number; fleet: FleetName; range: DeviceRange; behaviour: DeviceBehaviour }
  /** The share of each device's own notifications (those a raise or clear sends) it loses. */
  | { type: 'drop-rate'; id: number; fleet: FleetName; range: DeviceRange; rate: number }
  /** Each device of the range sends one alert-present notification (never dropped). */
  | { type: 'notify'; id: number; fleet: FleetName; range: DeviceRange }
  /**
   * A device serves `value` for a reading (raw units of its MIB object) until set back with null;
   * with `notify` it then sends one alert-present notification, as a device that noticed does.
   */
  | { type: 'set-reading'; id: number; fleet: FleetName; index: number; reading: string; value: number | null; notify: boolean }
  /** Every device's sensor values move a little (each new value drawn at random), within every default threshold. */
  | { type: 'drift'; id: number; fleet: FleetName }
  /** The managers registered on each device of `indexes` now (the device's own registration table). */
  | { type: 'managers'; id: number; fleet: FleetName; indexes: number[] }
  | { type: 'stop'; id: number };

export interface FleetCounters {
  /** SNMP requests the devices answered: the packets a manager sent them. */
  requests: number;
  notificationsSent: number;
  /** Notifications the devices' drop rate lost. */
  notificationsDropped: number;
}

export type FleetReply =
  | { type: 'started'; id: number; startupMs: number }
  /** `at`: when the device changed state, on the shared monotonic clock. */
  | { type: 'changed'; id: number; at: number; changed: boolean }
  | { type: 'stormed'; id: number; startedAt: number; finishedAt: number; raised: number; notificationsSent: number }
  | { type: 'cleared-all'; id: number; cleared: number }
  | { type: 'counters'; id: number; fleets: Record<string, FleetCounters> }
  | { type: 'behaved'; id: number; devices: number }
  | { type: 'drop-rate-set'; id: number; devices: number }
  | { type: 'notified'; id: number; sent: number }
  /** `at`: when the device started serving the value, on the shared monotonic clock. */
  | { type: 'reading-set'; id: number; at: number; changed: boolean }
  | { type: 'drifted'; id: number; devices: number; values: number }
  /** In the order of the request's indexes. */
  | { type: 'managers'; id: number; managers: Array<Array<{ address: string; port: number }>> }
  | { type: 'stopped'; id: number }
  | { type: 'failed'; id: number; message: string };

/**
 * Milliseconds on CLOCK_MONOTONIC (libuv's hrtime), with microsecond resolution. On Linux
 * it is one clock for every process, so a time taken in the simulator child and one taken
 * in the daemon's process subtract directly; Date.now() would cost a millisecond of resolution.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
