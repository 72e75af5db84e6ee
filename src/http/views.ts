import type { ActiveAlarm, AlarmEvent } from '../alarms/model.js';
import { maskAddress } from '../access/mask.js';
import type { DeviceRecord, DeviceSnmp } from '../store/devices.js';
import type { DeviceReading, ReadingHistory } from '../app/readings-service.js';
import { registrationOf } from '../app/device-input.js';
import type { ReadingUnit } from '../profiles/schema.js';
import type { AlarmView, DeviceView, EventView, ReadingHistoryView, ReadingsView } from './schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface ViewContext {
  /** Read-only partners: the address masked, no SNMP settings (http/visibility.ts decides). */
  masked: boolean;
  isMonitored: (deviceId: number) => boolean;
}

/** Where a device stands in a chain, as the caller may see it. */
export interface DeviceChain {
  /** A shadow's lead (whether or not the caller may see it: its state is the shadow's too). */
  lead: DeviceRecord | undefined;
  /** Whether the caller may see the lead (its id is shown only then). */
  leadVisible: boolean;
  /** The shadows of a lead the caller may see. */
  shadows: readonly number[];
}

/** The SNMP settings an operator may read back: never a community or a password. */
function snmpView(snmp: DeviceSnmp): NonNullable<DeviceView['snmp']> {
  if (snmp.version !== '3') return { version: snmp.version };
  const { name, level, authProtocol, privProtocol } = snmp.usm;
  return { version: '3', user: name, level, ...(authProtocol ? { authProtocol } : {}), ...(privProtocol ? { privProtocol } : {}), ...(snmp.contextName ? { contextName: snmp.contextName } : {}) };
}

/**
 * A device as the API shows it: never its communities. Read-only partners see the address masked
 * to its last two segments and no SNMP settings at all.
 */
export function deviceView(d: DeviceRecord, ctx: ViewContext, chain: DeviceChain): DeviceView {
  const partner = ctx.masked;
  const masked = maskAddress(d.address);
  // Error texts name the device ("no answer from 10.1.2.3:161 ..."): partners see it masked there too.
  const errorText = (text: string | null) => (partner && text !== null ? maskedIn(d, text) : text);
  return {
    id: d.id,
    name: d.name,
    address: partner ? masked : d.address,
    site: d.site,
    lead: chain.lead && chain.leadVisible ? chain.lead.id : null,
    shadows: [...chain.shadows],
    chainPosition: d.chainPosition,
    ...(partner ? {} : { port: d.port, snmp: snmpView(d.snmp), timeoutMs: d.timeoutMs, retries: d.retries }),
    profile: d.profile,
    resolvedProfile: d.resolvedProfile,
    priorityScanning: d.priorityScanning,
    intervalSeconds: d.intervalSeconds,
    origin: d.origin,
    createdAt: iso(d.createdAt),
    // Unlicensed is the one reason today; the field leaves room for others (a device paused by hand).
    ...(ctx.isMonitored(d.id) ? { monitoring: 'monitored' as const, unmonitoredReason: null } : { monitoring: 'unmonitored' as const, unmonitoredReason: 'unlicensed' as const }),
    state: {
      reachable: d.state.reachable,
      lastScanAt: iso(d.state.lastScanAt),
      lastScanMs: d.state.lastScanMs,
      lastError: errorText(d.state.lastError),
      sysObjectId: d.state.sysObjectId,
      sysDescr: d.state.sysDescr,
      registration: registrationOf(d, chain.lead),
      registrationError: errorText(chain.lead ? chain.lead.state.registrationError : d.state.registrationError),
      registeredAt: iso(chain.lead ? chain.lead.state.registeredAt : d.state.registeredAt),
      unreachableThroughLead: chain.lead !== undefined && d.state.reachable === false && chain.lead.state.reachable === false,
    },
  };
}

/** Text that may name the device's address (an error, a label a device reports), with the address masked. */
function maskedIn(d: DeviceRecord, text: string): string {
  const masked = maskAddress(d.address);
  return text.split(`${d.address}:${d.port}`).join(masked).split(d.address).join(masked);
}

/** The device a readings answer is about: partners see its address masked, and in labels too. */
function readingDevice(d: DeviceRecord, masked: boolean) {
  const partner = masked;
  return {
    device: { id: d.id, name: d.name, address: partner ? maskAddress(d.address) : d.address, site: d.site },
    label: (text: string) => (partner ? maskedIn(d, text) : text),
  };
}

export function readingsView(d: DeviceRecord, readings: readonly DeviceReading[], masked: boolean): ReadingsView {
  const { device, label } = readingDevice(d, masked);
  return {
    device,
    readings: readings.map((r) => ({
      reading: r.reading,
      instance: r.instance,
      label: label(r.label),
      unit: r.unit as ReadingUnit,
      description: r.description,
      value: r.value,
      state: r.state,
      at: new Date(r.at).toISOString(),
      stale: r.stale,
    })),
  };
}

export function readingHistoryView(d: DeviceRecord, history: ReadingHistory, range: { since: number; until: number }, masked: boolean): ReadingHistoryView {
  const { device, label } = readingDevice(d, masked);
  const { series, points, more } = history;
  const last = points.at(-1);
  return {
    device,
    reading: series.reading,
    instance: series.instance,
    label: label(series.label),
    unit: series.unit as ReadingUnit,
    description: series.description,
    since: new Date(range.since).toISOString(),
    until: new Date(range.until).toISOString(),
    points: points.map((p) => ({ at: new Date(p.at).toISOString(), value: p.value, state: p.state })),
    // Times are whole milliseconds: the next page starts just after the last point shown.
    next: more && last ? new Date(last.at + 1).toISOString() : null,
  };
}

/** `hold`: the maintenance window keeping the alarm from notification, if one is. */
export function alarmView(a: ActiveAlarm, deviceName: string | undefined, hold?: { windowId: number }): AlarmView {
  const ack = a.acknowledgement ?? null;
  return {
    deviceId: a.deviceId,
    device: deviceName ?? null,
    key: a.key,
    severity: a.severity,
    code: a.code,
    description: a.description,
    raisedAt: iso(a.raisedAt),
    acknowledgement: ack && { by: ack.by, at: iso(ack.at)!, comment: ack.comment },
    inMaintenance: hold !== undefined,
    maintenanceWindowId: hold?.windowId ?? null,
  };
}

export function eventView(e: AlarmEvent): EventView {
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
    reason: e.reason,
    by: e.by ?? null,
    comment: e.comment ?? null,
  };
}
