import { Gauge, type Registry } from 'prom-client';

export interface SnapshotAlarm {
  device: string;
  /** The alarm's key on its device: tells alarms apart when counting those folded into `other`. */
  key: string;
  severity: string;
  code: string;
}

/** Codes one device's alarms may show in priscan_alarm_active; the rest are shown under OTHER_CODE. */
export const MAX_ALARM_CODES_PER_DEVICE = 20;
export const OTHER_CODE = 'other';
const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, warning: 1, info: 2 };

/**
 * The label sets of priscan_alarm_active: one per device, severity and code, with at most
 * `limit` codes per device. A device that reports more keeps priscan's own codes (the rules alert
 * on priscan.communicationLost), then its most severe, then by name; the rest are shown as code
 * `other` with their severity, so a device lying about hundreds of conditions adds at most three
 * series. `folded` names each alarm shown under `other` (device and key).
 */
export function alarmSeries(alarms: readonly SnapshotAlarm[], limit = MAX_ALARM_CODES_PER_DEVICE) {
  const byDevice = new Map<string, SnapshotAlarm[]>();
  for (const alarm of alarms) byDevice.set(alarm.device, [...(byDevice.get(alarm.device) ?? []), alarm]);
  const series = new Map<string, { device: string; severity: string; code: string }>();
  const folded: string[] = [];
  for (const [device, own] of byDevice) {
    const rank = new Map<string, number>();
    for (const a of own) rank.set(a.code, Math.min(rank.get(a.code) ?? 9, SEVERITY_RANK[a.severity] ?? 3));
    const kept = new Set(
      [...rank]
        .sort(([a, ra], [b, rb]) => Number(!a.startsWith('priscan.')) - Number(!b.startsWith('priscan.')) || ra - rb || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, limit)
        .map(([code]) => code),
    );
    for (const a of own) {
      const code = kept.has(a.code) ? a.code : OTHER_CODE;
      if (code === OTHER_CODE) folded.push(`${device}\u0000${a.key}`);
      series.set(`${device}\u0000${a.severity}\u0000${code}`, { device, severity: a.severity, code });
    }
  }
  return { series: [...series.values()], folded };
}

/** What the fleet looks like at scrape time; built by the composition root from the store. */
export interface FleetSnapshot {
  devices: ReadonlyArray<{
    id: number;
    name: string;
    /** The profile in use; 'auto' until first contact resolves it. */
    profile: string;
    /** Registration method of that profile; empty until the profile is known. */
    method: string;
    /** null until the first scan. */
    up: boolean | null;
    registered: boolean;
    monitored: boolean;
    lastScanAt: number | null;
    lastScanMs: number | null;
  }>;
  alarms: ReadonlyArray<SnapshotAlarm & { deviceId: number }>;
  /** Absent when licensing is not in play (and, in a cluster, on all collectors but one). */
  license?: { licensed: number; used: number; unlicensed: number };
}

/**
 * `read`, called once per scrape however many gauges use it: prom-client collects every metric of
 * a scrape in one synchronous pass, so one snapshot serves the whole scrape and is dropped before
 * the next event-loop turn.
 */
export function perScrape<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (!cached) {
      cached = { value: read() };
      setImmediate(() => (cached = undefined));
    }
    return cached.value;
  };
}

/**
 * Gauges of alarm, device and license state, computed from one snapshot per scrape.
 * Labels hold only the device name and values from closed sets (severity, code, profile, method).
 */
export function registerStateGauges(
  registry: Registry,
  severities: readonly string[],
  snapshot: () => FleetSnapshot,
  /** Told how many alarms a scrape shows under `other` that the previous one did not. */
  onNewlyFolded: (count: number) => void = () => undefined,
): void {
  const fresh = perScrape(snapshot);
  let current: FleetSnapshot = { devices: [], alarms: [] };
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        current = fresh();
        this.reset();
        fill(this);
      },
    });

  let foldedBefore = new Set<string>();
  gauge(
    'priscan_alarm_active',
    `Active alarms: 1 for each device, severity and code with an alarm active (at most ${MAX_ALARM_CODES_PER_DEVICE} codes per device, the rest as code "other").`,
    ['device', 'severity', 'code'],
    (g) => {
      const { series, folded } = alarmSeries(current.alarms);
      for (const labels of series) g.set(labels, 1);
      const now = new Set(folded);
      onNewlyFolded(folded.filter((id) => !foldedBefore.has(id)).length);
      foldedBefore = now;
    },
  );
  gauge('priscan_alarms_active', 'Number of active alarms by severity.', ['severity'], (g) => {
    for (const severity of severities) g.set({ severity }, 0);
    for (const a of current.alarms) g.inc({ severity: a.severity });
  });
  gauge('priscan_device_up', 'Whether the device answered its last scan (1) or not (0); absent before the first scan.', ['device', 'profile'], (g) => {
    for (const d of current.devices) if (d.up !== null) g.set({ device: d.name, profile: d.profile }, d.up ? 1 : 0);
  });
  gauge('priscan_device_monitored', 'Whether priscan monitors the device (1) or keeps it unmonitored, beyond the licensed count (0).', ['device'], (g) => {
    for (const d of current.devices) g.set({ device: d.name }, d.monitored ? 1 : 0);
  });
  gauge('priscan_device_registered', 'Whether priscan holds a verified registration on the device.', ['device', 'method'], (g) => {
    for (const d of current.devices) if (d.monitored) g.set({ device: d.name, method: d.method }, d.registered ? 1 : 0);
  });
  gauge('priscan_device_last_scan_timestamp_seconds', 'When the device was last scanned, as a Unix time.', ['device'], (g) => {
    for (const d of current.devices) if (d.lastScanAt !== null) g.set({ device: d.name }, d.lastScanAt / 1000);
  });
  gauge('priscan_device_last_scan_duration_seconds', 'How long the device\'s last scan took.', ['device'], (g) => {
    for (const d of current.devices) if (d.lastScanMs !== null) g.set({ device: d.name }, d.lastScanMs / 1000);
  });
  gauge('priscan_devices', 'Devices known to priscan, by whether they are monitored or over the licensed count.', ['state'], (g) => {
    const monitored = current.devices.filter((d) => d.monitored).length;
    g.set({ state: 'monitored' }, monitored);
    g.set({ state: 'unlicensed' }, current.devices.length - monitored);
  });
  gauge('priscan_licensed_nodes', 'Devices the installed license keys (and the included allowance) allow.', [], (g) => {
    if (current.license) g.set(current.license.licensed);
  });
  gauge('priscan_used_nodes', 'Devices counted against the license.', [], (g) => {
    if (current.license) g.set(current.license.used);
  });
  gauge('priscan_unlicensed_devices', 'Devices kept but not monitored because they exceed the licensed count.', [], (g) => {
    if (current.license) g.set(current.license.unlicensed);
  });
}
