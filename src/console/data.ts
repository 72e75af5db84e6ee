import { COMMUNICATION_LOST, SEVERITIES, type ActiveAlarm, type AlarmEvent, type AlarmEventKind, type Severity } from '../alarms/model.js';
import type { Clock } from '../clock.js';
import type { DeviceSite } from '../access/scope.js';
import type { Caller } from '../http/auth.js';
import { deviceView, type DeviceChain } from '../http/views.js';

import { DeviceVisibility } from '../http/visibility.js';
import type { LicenseUsage, LicenseView } from '../app/license-service.js';
import type { DeviceRecord } from '../store/devices.js';
import type { Store } from '../store/store.js';
import { ACCESS, may } from './access.js';
import { matchesFilter, sortAlarms, SEVERITY_RANK, type AlarmFilter } from './alarm-order.js';
import type { ConsoleAcknowledgement, ConsoleMaintenanceWindow, ConsoleReading, ConsoleServices, ConsoleThreshold } from './services.js';

const NO_CHAIN: DeviceChain = { lead: undefined, leadVisible: false, shadows: [] };

/** Who looks: the caller of the session (token id, role, name). */
export type Viewer = Caller;

export type DeviceStatus = 'up' | 'down' | 'unknown' | 'unlicensed';

/** A device as a page shows it: the address already masked for partners, never a credential. */
export interface ConsoleDevice {
  id: number;
  name: string;
  /** Masked to its last two segments for read-only partners. */
  address: string;
  /** null for partners (they see no SNMP settings). */
  port: number | null;
  profile: string;
  resolvedProfile: string | null;
  site: string | null;
  status: DeviceStatus;
  priorityScanning: boolean;
  intervalSeconds: number;
  origin: string;
  lastScanAt: string | null;
  lastScanMs: number | null;
  lastError: string | null;
  registration: string;
  registrationError: string | null;
  registeredAt: string | null;
  sysObjectId: string | null;
  sysDescr: string | null;
  /** A maintenance window covers it now. */
  inMaintenance: boolean;
}

export interface ConsoleAlarm {
  deviceId: number;
  device: string;
  address: string;
  site: string | null;
  key: string;
  severity: Severity;
  code: string;
  description: string;
  raisedAt: number;
  /** undefined: not acknowledged. */
  acknowledgement: ConsoleAcknowledgement | undefined;
  /** Raised inside maintenance: held back from notification (the API's inMaintenance). */
  inMaintenance: boolean;
}

export interface AlarmFacets {
  sites: string[];
  devices: string[];
  codes: string[];
}

export interface HistoryFilter {
  /** Events with ids below this (newest first); absent: from the newest. */
  before?: number | undefined;
  device?: string | undefined;
  severity?: Severity | undefined;
  kind?: AlarmEventKind | undefined;
  code?: string | undefined;
  limit: number;
}

export interface HistoryPage {
  events: AlarmEvent[];
  /** `before` for the next (older) page; null when the log has nothing older. */
  older: number | null;
}

export interface Overview {
  /** False for a partner without the device-data grant: the counts below are of nothing. */
  deviceData: boolean;
  bySeverity: Record<Severity, number>;
  byState: { unacknowledged: number; acknowledged: number; inMaintenance: number };
  devices: Record<DeviceStatus, number> & { total: number };
  registration: Record<string, number>;
  communicationLost: { device: ConsoleDevice; since: number }[];
  license: LicenseUsage;
}

export interface ChartedReading extends ConsoleReading {
  /** Recent history, oldest first; absent for state readings and beyond the charted count. */
  points?: readonly { at: number; value: number }[];
}

/** A device's place in a chain behind one card: only the devices the viewer may see are named. */
export interface DeviceChainLinks {
  /** Its place in the chain (APC numbers the host PDU 1), if given. */
  position: number | null;
  /** A shadow's lead: shown only when the viewer may see it (its state is the shadow's either way). */
  lead: { id: number; name: string } | null;
  shadows: { id: number; name: string; position: number | null }[];
}

export interface DeviceDetail {
  device: ConsoleDevice;
  chain: DeviceChainLinks;
  alarms: ConsoleAlarm[];
  events: AlarmEvent[];
  readings: ChartedReading[];
  thresholds: readonly ConsoleThreshold[];
}

export interface ConsoleDataDeps extends ConsoleServices {
  store: Store;
  devices: { isMonitored(id: number): boolean };
  licenses: { usage(): LicenseUsage; list(): LicenseView[] };
  /** Where a device stands, for partners scoped to sites (as the API judges it). */
  deviceSite: DeviceSite;
  clock: Clock;
}

/** Events one history page looks through at most: a filter that matches rarely still answers quickly. */
const HISTORY_SCAN_LIMIT = 20_000;
const HISTORY_WINDOW = 1000;
/** Charts on a device page: the first numeric series, each the last day at most this many points. */
const CHARTED_SERIES = 32;
const CHART_SPAN_MS = 24 * 3_600_000;
const CHART_POINTS = 300;

export function siteOf(device: DeviceRecord): string | null {
  return device.site;
}

/**
 * Everything the console's pages read, in one place: each device and alarm read passes
 * `visible`, where a partner's grants and scope apply as the API applies them, and every device
 * is turned into what the viewer may see (masked addresses for read-only partners).
 */
export class ConsoleData {
  constructor(private readonly deps: ConsoleDataDeps) {}

  /**
   * What the viewer may see of devices, judged as the API judges it (http/visibility.ts); a partner
   * without the device-data grant sees none.
   */
  private visibility(viewer: Viewer): { sees: (device: DeviceRecord) => boolean; everything: boolean; masked: boolean } {
    const visibility = DeviceVisibility.of(viewer, this.deps);
    if (!may(viewer, ACCESS.deviceData)) return { sees: () => false, everything: false, masked: true };
    return { sees: (device) => visibility.sees(device), everything: visibility.everything, masked: visibility.masked };
  }

  /** The one gate every device read passes: whether the viewer may see this device. */
  private visible(viewer: Viewer, device: DeviceRecord): boolean {
    return this.visibility(viewer).sees(device);
  }

  /** Every device the viewer may see. */
  visibleDevices(viewer: Viewer): DeviceRecord[] {
    return this.deps.store.devices.list().filter((d) => this.visible(viewer, d));
  }

  /** One device, if the viewer may see it. */
  visibleDevice(viewer: Viewer, id: number): DeviceRecord | undefined {
    const device = this.deps.store.devices.get(id);
    return device && this.visible(viewer, device) ? device : undefined;
  }

  devices(viewer: Viewer): ConsoleDevice[] {
    const covered = this.deps.maintenance.coverage();
    return this.visibleDevices(viewer).map((d) => this.present(viewer, d, covered));
  }

  /**
   * Active alarms the viewer may see, filtered and sorted, and what the filters can offer (the
   * values of all of them). Only the devices that have alarms are read, one by one: listing 10,000
   * devices would cost more than the page.
   */
  activeAlarms(viewer: Viewer, filter: AlarmFilter): { alarms: ConsoleAlarm[]; facets: AlarmFacets } {
    const all = this.alarmsOf(viewer, this.deviceLookup(viewer), this.deps.store.alarms.active());
    const sorted = (values: Iterable<string | null>) => [...new Set(values)].filter((v): v is string => v !== null).sort();
    const facets = { sites: sorted(all.map((a) => a.site)), devices: sorted(all.map((a) => a.device)), codes: sorted(all.map((a) => a.code)) };
    return { alarms: sortAlarms(all.filter((a) => matchesFilter(a, filter)), filter.sort, filter.dir), facets };
  }

  /** One active alarm, if the viewer may see it: the row a live page inserts after a raise. */
  activeAlarm(viewer: Viewer, deviceId: number, key: string): ConsoleAlarm | undefined {
    const device = this.visibleDevice(viewer, deviceId);
    if (!device) return undefined;
    return this.alarmsOf(viewer, () => device, this.deps.store.alarms.activeForDevice(deviceId).filter((a) => a.key === key))[0];
  }

  /** Per visible device with active alarms: how many, and the most severe. */
  alarmCounts(viewer: Viewer): Map<number, { count: number; worst: Severity }> {
    const counts = new Map<number, { count: number; worst: Severity }>();
    for (const a of this.alarmsOf(viewer, this.deviceLookup(viewer), this.deps.store.alarms.active())) {
      const seen = counts.get(a.deviceId);
      if (!seen) counts.set(a.deviceId, { count: 1, worst: a.severity });
      else counts.set(a.deviceId, { count: seen.count + 1, worst: SEVERITY_RANK[a.severity] > SEVERITY_RANK[seen.worst] ? a.severity : seen.worst });
    }
    return counts;
  }

  overview(viewer: Viewer): Overview {
    const visible = new Map(this.visibleDevices(viewer).map((d) => [d.id, d]));
    const alarms = this.alarmsOf(viewer, (id) => visible.get(id), this.deps.store.alarms.active());
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const a of alarms) bySeverity[a.severity]++;
    const byState = {
      unacknowledged: alarms.filter((a) => !a.acknowledgement && !a.inMaintenance).length,
      acknowledged: alarms.filter((a) => a.acknowledgement).length,
      inMaintenance: alarms.filter((a) => a.inMaintenance).length,
    };
    const devices = { total: visible.size, up: 0, down: 0, unknown: 0, unlicensed: 0 };
    const registration: Record<string, number> = {};
    for (const d of visible.values()) {
      devices[this.status(d)]++;
      registration[d.state.registration] = (registration[d.state.registration] ?? 0) + 1;
    }
    const covered = this.deps.maintenance.coverage();
    const communicationLost = alarms
      .filter((a) => a.key === COMMUNICATION_LOST.key)
      .sort((a, b) => a.raisedAt - b.raisedAt)
      .map((a) => ({ device: this.present(viewer, visible.get(a.deviceId)!, covered), since: a.raisedAt }));
    return { deviceData: may(viewer, ACCESS.deviceData), bySeverity, byState, devices, registration, communicationLost, license: this.deps.licenses.usage() };
  }

  deviceDetail(viewer: Viewer, id: number): DeviceDetail | undefined {
    const record = this.visibleDevice(viewer, id);
    if (!record) return undefined;
    const { store, thresholds, maintenance } = this.deps;
    const alarms = sortAlarms(this.alarmsOf(viewer, () => record, store.alarms.activeForDevice(id)), 'severity', 'desc');
    return {
      device: this.present(viewer, record, maintenance.coverage()),
      chain: this.chainOf(viewer, record),
      alarms,
      events: this.history(viewer, { device: record.name, limit: 20 }).events,
      readings: this.chartedReadings(record),
      thresholds: thresholds.effective(record).thresholds,
    };
  }

  private chainOf(viewer: Viewer, d: DeviceRecord): DeviceChainLinks {
    const visibility = this.visibility(viewer);
    const lead = d.leadId === null ? undefined : this.deps.store.devices.get(d.leadId);
    const shadows = d.leadId === null ? this.deps.store.devices.shadowsOf(d.id).filter((s) => visibility.sees(s)) : [];
    return {
      position: d.chainPosition,
      lead: lead && visibility.sees(lead) ? { id: lead.id, name: lead.name } : null,
      shadows: shadows.map((s) => ({ id: s.id, name: s.name, position: s.chainPosition })),
    };
  }

  /**
   * The event log, newest first, paged by event id. Ids only grow, so the log is read backwards in
   * windows of ids; a page looks through at most HISTORY_SCAN_LIMIT events and then offers the rest.
   */
  history(viewer: Viewer, filter: HistoryFilter): HistoryPage {
    const { alarms, devices } = this.deps.store;
    const visibility = this.visibility(viewer);
    const deviceId = filter.device === undefined ? undefined : devices.getByName(filter.device)?.id;
    const known = new Map<number, DeviceRecord | undefined>();
    // Events of devices removed since stay in the log, and are shown to those who see every device
    // (as the API's history shows them): a partner scoped to sites cannot tell where they stood.
    const visibleEvent = (e: AlarmEvent) => {
      if (!known.has(e.deviceId)) known.set(e.deviceId, devices.get(e.deviceId));
      const device = known.get(e.deviceId);
      return device ? visibility.sees(device) : visibility.everything;
    };
    const matches = (e: AlarmEvent) =>
      (filter.device === undefined || e.deviceName === filter.device) &&
      (filter.severity === undefined || e.severity === filter.severity) &&
      (filter.kind === undefined || e.kind === filter.kind) &&
      (filter.code === undefined || e.code === filter.code) &&
      visibleEvent(e);
    const events: AlarmEvent[] = [];
    let below = Math.min(filter.before ?? Infinity, alarms.lastEventId() + 1);
    let scanned = 0;
    while (below > 1 && events.length < filter.limit && scanned < HISTORY_SCAN_LIMIT) {
      const from = Math.max(0, below - 1 - HISTORY_WINDOW);
      const window = alarms.events(from, HISTORY_WINDOW, deviceId).filter((e) => e.id < below);
      scanned += HISTORY_WINDOW;
      for (const e of window.reverse()) {
        if (!matches(e)) continue;
        if (events.length === filter.limit) break;
        events.push(e);
      }
      below = events.length === filter.limit ? events.at(-1)!.id : from + 1;
    }
    return { events, older: below > 1 ? below : null };
  }

  /** Maintenance windows: the customer's own tokens read them (partners are refused the page, as the API's). */
  maintenanceWindows(): readonly ConsoleMaintenanceWindow[] {
    return this.deps.maintenance.list();
  }

  licenses(): { usage: LicenseUsage; keys: LicenseView[] } {
    return { usage: this.deps.licenses.usage(), keys: this.deps.licenses.list() };
  }

  /** Devices by id, each read once and only if visible: pages about alarms read only the devices that have them. */
  private deviceLookup(viewer: Viewer): (id: number) => DeviceRecord | undefined {
    const seen = new Map<number, DeviceRecord | undefined>();
    return (id) => {
      if (!seen.has(id)) seen.set(id, this.visibleDevice(viewer, id));
      return seen.get(id);
    };
  }

  private alarmsOf(viewer: Viewer, deviceOf: (id: number) => DeviceRecord | undefined, active: readonly ActiveAlarm[]): ConsoleAlarm[] {
    const { maintenance } = this.deps;
    const shown = new Map<number, { address: string; site: string | null }>();
    const out: ConsoleAlarm[] = [];
    for (const a of active) {
      const device = deviceOf(a.deviceId);
      if (!device) continue;
      let facts = shown.get(device.id);
      if (!facts) {
        facts = { address: this.addressFor(viewer, device), site: siteOf(device) };
        shown.set(device.id, facts);
      }
      out.push({
        deviceId: a.deviceId,
        device: device.name,
        address: facts.address,
        site: facts.site,
        key: a.key,
        severity: a.severity,
        code: a.code,
        description: a.description,
        raisedAt: a.raisedAt,
        acknowledgement: a.acknowledgement ?? undefined,
        inMaintenance: maintenance.holds(a),
      });
    }
    return out;
  }

  private chartedReadings(record: DeviceRecord): ChartedReading[] {
    const { readings, clock } = this.deps;
    const now = clock.now();
    let charted = 0;
    return readings.lastValues(record).map((r) => {
      if (r.unit === 'state' || charted >= CHARTED_SERIES) return { ...r };
      charted++;
      const { points } = readings.history(record, { reading: r.reading, instance: r.instance, since: now - CHART_SPAN_MS, until: now + 1, limit: CHART_POINTS });
      return { ...r, points: points.map(({ at, value }) => ({ at, value })) };
    });
  }

  private status(d: DeviceRecord): DeviceStatus {
    if (!this.deps.devices.isMonitored(d.id)) return 'unlicensed';
    return d.state.reachable === null ? 'unknown' : d.state.reachable ? 'up' : 'down';
  }

  private addressFor(viewer: Viewer, d: DeviceRecord): string {
    return this.viewOf(viewer, d).address;
  }

  private viewOf(viewer: Viewer, d: DeviceRecord) {
    // Read-only partners see addresses masked, as in the API; administrator partners see them whole.
    // Pages read address, state and settings from this view, not the lead/shadow chain.
    return deviceView(d, { masked: this.visibility(viewer).masked, isMonitored: (id) => this.deps.devices.isMonitored(id) }, NO_CHAIN);
  }

  /** What pages show of a device: the API's own view (masked for read-only partners), plus site and status. */
  private present(viewer: Viewer, d: DeviceRecord, covered: (d: DeviceRecord) => boolean): ConsoleDevice {
    const v = this.viewOf(viewer, d);
    return {
      id: v.id,
      name: v.name,
      address: v.address,
      port: v.port ?? null,
      profile: v.profile,
      resolvedProfile: v.resolvedProfile,
      site: siteOf(d),
      status: this.status(d),
      priorityScanning: v.priorityScanning,
      intervalSeconds: v.intervalSeconds,
      origin: v.origin,
      lastScanAt: v.state.lastScanAt,
      lastScanMs: v.state.lastScanMs,
      lastError: v.state.lastError,
      registration: v.state.registration,
      registrationError: v.state.registrationError,
      registeredAt: v.state.registeredAt,
      sysObjectId: v.state.sysObjectId,
      sysDescr: v.state.sysDescr,
      inMaintenance: covered(d),
    };
  }
}
