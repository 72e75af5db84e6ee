import type { DeviceRecord } from '../store/devices.js';

// What the console needs of services other branches build (readings and thresholds, issue 13;
// acknowledgements and maintenance windows, issue 14). Each is optional: a page shows its part
// only when the daemon passes the service in the HTTP deps under these names, so nothing here is
// ever faked. The readings and threshold services match these shapes as they are; the
// acknowledgement and maintenance ones may need a small adapter where their names differ.

/** A series' last value (one reading of one table row), as the readings service gives it. */
export interface ConsoleReading {
  reading: string;
  /** The row's index; '' for a scalar. */
  instance: string;
  /** What the row is called; '' for a scalar. */
  label: string;
  unit: string;
  value: number;
  state: string | null;
  at: number;
  /** From the device's profile; null when the profile no longer names it. */
  description: string | null;
  /** Not read by the device's latest successful scan. */
  stale: boolean;
}

export interface ReadingsPort {
  lastValues(device: DeviceRecord): readonly ConsoleReading[];
  history(
    device: DeviceRecord,
    request: { reading: string; instance?: string | undefined; since: number; until: number; limit: number },
  ): { points: readonly { at: number; value: number; state: string | null }[]; more: boolean };
}

/** A limit on one reading of one device, after overrides (most specific wins). */
export interface ConsoleThreshold {
  reading: string;
  level: string;
  instance?: string;
  above?: number;
  below?: number;
  outside?: readonly [number, number];
  disabled?: true;
  hysteresis: number;
  forSeconds: number;
  /** Where it comes from: the profile's default, or an override per profile, site or device. */
  scope: string;
}

export interface ThresholdsPort {
  effective(device: DeviceRecord): { thresholds: readonly ConsoleThreshold[] };
}

/** An operator's "I know" on an active alarm. */
export interface ConsoleAcknowledgement {
  by: string;
  comment: string;
  at: number;
}

export interface AcknowledgementsPort {
  /** The acknowledgement of the active alarm `key` of a device, if it has one. */
  get(deviceId: number, key: string): ConsoleAcknowledgement | undefined;
  /** Acknowledges an active alarm; ConsoleRefusal when it is not active (cleared meanwhile). */
  acknowledge(request: { deviceId: number; key: string; comment: string; by: string }): void;
}

export interface ConsoleMaintenanceWindow {
  id: number;
  startsAt: number;
  endsAt: number;
  /** What it covers: device names, a site or a profile. */
  scope: { devices: readonly string[] } | { site: string } | { profile: string };
  reason: string;
  createdBy: string;
  /** Ended early by an operator; null otherwise. */
  endedAt: number | null;
}

export interface MaintenanceRequest {
  startsAt: number;
  endsAt: number;
  scope: ConsoleMaintenanceWindow['scope'];
  reason: string;
  by: string;
}

export interface MaintenancePort {
  /** Windows current, coming and recently ended, newest first. */
  list(): readonly ConsoleMaintenanceWindow[];
  /** ConsoleRefusal for a request it cannot take (unknown device, end before start). */
  create(request: MaintenanceRequest): ConsoleMaintenanceWindow;
  /** Ends a window now; false when there is no such window, or it has ended. */
  end(id: number, by: string): boolean;
  /** Whether the device's alarms are in maintenance now. */
  covers(device: DeviceRecord): boolean;
}

/** The services the console shows when the daemon has them (names as in the HTTP deps). */
export interface ConsoleServices {
  readings?: ReadingsPort;
  thresholds?: ThresholdsPort;
  acknowledgements?: AcknowledgementsPort;
  maintenance?: MaintenancePort;
}

export type ConsoleFeature = keyof ConsoleServices;

/** A request a service refuses as given: its message is shown to the operator on the form's page. */
export class ConsoleRefusal extends Error {
  override readonly name = 'ConsoleRefusal';
}
