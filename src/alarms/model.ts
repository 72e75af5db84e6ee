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

/** One line of the event log; ids increase monotonically. */
export interface AlarmEvent extends Alarm {
  id: number;
  deviceId: number;
  deviceName: string;
  kind: AlarmEventKind;
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
