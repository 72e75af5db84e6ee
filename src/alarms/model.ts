/** One scale for every device kind. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An alarm as a scan found it. `key` is stable across scans: source + row index + code. */
export interface Alarm {
  key: string;
  severity: Severity;
  /** Stable machine code, e.g. 'ups.onBattery', 'pdu.phaseOverload'. No free text. */
  code: string;
  /** What an operator reads, e.g. "UPS on battery". */
  description: string;
}

/** An alarm held active in the store. */
export interface ActiveAlarm extends Alarm {
  deviceId: number;
  raisedAt: number;
}

export type AlarmEventKind = 'raise' | 'clear';

/**
 * Why priscan ended alarms the device never cleared. A clear a scan found (the device no longer
 * reports the alarm) has no reason: a reason says the condition may still hold on the device.
 */
export const CLEAR_REASONS = ['device removed', 'device unlicensed: no longer monitored'] as const;
export type ClearReason = (typeof CLEAR_REASONS)[number];
export const DEVICE_REMOVED: ClearReason = 'device removed';
export const DEVICE_UNMONITORED: ClearReason = 'device unlicensed: no longer monitored';

/** One line of the event log; ids increase monotonically. */
export interface AlarmEvent extends Alarm {
  id: number;
  deviceId: number;
  deviceName: string;
  kind: AlarmEventKind;
  at: number;
  /** Only on clears priscan made itself (see ClearReason); null otherwise. */
  reason: ClearReason | null;
}

/** How priscan ends a device's alarms itself: when, and why. */
export interface AlarmEnding {
  reason: ClearReason;
  at: number;
}

/** The alarm priscan itself raises when a device stops answering. */
export const COMMUNICATION_LOST: Alarm = {
  key: 'priscan:communication-lost',
  severity: 'critical',
  code: 'priscan.communicationLost',
  description: 'Communication with the device lost',
};

/** The alarm priscan raises when a device answers but its scan fails (wrong data, refused request, no profile). */
export const SCAN_FAILED: Alarm = {
  key: 'priscan:scan-failed',
  severity: 'warning',
  code: 'priscan.scanFailed',
  description: 'The device answers but cannot be scanned (see the device\'s last error)',
};
