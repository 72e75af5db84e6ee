import type { DeviceRecord } from '../store/devices.js';

// What the console asks of the daemon's services besides the store: readings and thresholds,
// acknowledgements and maintenance windows. The daemon passes its real services in through thin
// adapters (src/app/console-services.ts), the same services the API's routes call.

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

/** An operator's "I know" on an active alarm, as the store keeps it on the alarm. */
export interface ConsoleAcknowledgement {
  by: string;
  comment: string;
  at: number;
}

/** Acknowledging and withdrawing, through the service POST /api/v1/alarms/ack and /unack use. */
export interface AcknowledgementsPort {
  /** ConsoleRefusal when the alarm is not active (cleared meanwhile) or is acknowledged already. */
  acknowledge(request: { deviceId: number; key: string; comment: string; by: string }): void;
  /** ConsoleRefusal when the alarm is not active or not acknowledged. */
  unacknowledge(request: { deviceId: number; key: string; by: string }): void;
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
  /** From the start as the service takes it (a start a moment ago is now). */
  durationMs: number;
  scope: ConsoleMaintenanceWindow['scope'];
  reason: string;
  by: string;
}

/** Maintenance windows, through the service the maintenance API routes use. */
export interface MaintenancePort {
  /** The newest windows (by start) first: coming, running and recently ended. */
  list(): readonly ConsoleMaintenanceWindow[];
  /** ConsoleRefusal for a request it cannot take (unknown device or profile, end before start). */
  create(request: MaintenanceRequest): ConsoleMaintenanceWindow;
  /** Ends a window now; ConsoleRefusal when there is no such window, or it has ended. */
  end(id: number): void;
  /** Whether a window running now covers a device; read once, asked of every device a page shows. */
  coverage(): (device: DeviceRecord) => boolean;
  /** Whether maintenance holds the alarm back from notification (the API's inMaintenance). */
  holds(alarm: { deviceId: number; key: string; raisedAt: number }): boolean;
}

/** The services the console shows and acts through. */
export interface ConsoleServices {
  readings: ReadingsPort;
  thresholds: ThresholdsPort;
  acknowledgements: AcknowledgementsPort;
  maintenance: MaintenancePort;
}

/** A request a service refuses as given: its message is shown to the operator on the form's page. */
export class ConsoleRefusal extends Error {
  override readonly name = 'ConsoleRefusal';
}
