import type { ActiveAlarm, AlarmEvent } from '../alarms/model.js';
import type { DeviceRecord } from '../store/devices.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A device as the API shows it: never its communities. */
export function deviceView(d: DeviceRecord) {
  return {
    id: d.id,
    name: d.name,
    address: d.address,
    port: d.port,
    profile: d.profile,
    resolvedProfile: d.resolvedProfile,
    snmp: { version: d.snmp.version },
    priorityScanning: d.priorityScanning,
    intervalSeconds: d.intervalSeconds,
    timeoutMs: d.timeoutMs,
    retries: d.retries,
    origin: d.origin,
    createdAt: iso(d.createdAt),
    state: {
      reachable: d.state.reachable,
      lastScanAt: iso(d.state.lastScanAt),
      lastScanMs: d.state.lastScanMs,
      lastError: d.state.lastError,
      sysObjectId: d.state.sysObjectId,
      sysDescr: d.state.sysDescr,
      registration: d.state.registration,
      registrationError: d.state.registrationError,
      registeredAt: iso(d.state.registeredAt),
    },
  };
}

export function alarmView(a: ActiveAlarm, deviceName: string | undefined) {
  return {
    deviceId: a.deviceId,
    device: deviceName ?? null,
    key: a.key,
    severity: a.severity,
    code: a.code,
    description: a.description,
    raisedAt: iso(a.raisedAt),
  };
}

export function eventView(e: AlarmEvent) {
  return {
    id: e.id,
    kind: e.kind,
    deviceId: e.deviceId,
    device: e.deviceName,
    key: e.key,
    severity: e.severity,
    code: e.code,
    description: e.description,
    at: iso(e.at),
  };
}
