import { Gauge, type Registry } from 'prom-client';

/** What the fleet looks like at scrape time; built by the composition root from the store. */
export interface FleetSnapshot {
  devices: ReadonlyArray<{
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
  alarms: ReadonlyArray<{ device: string; severity: string; code: string }>;
  /** Absent when licensing is not in play. */
  license?: { licensed: number; used: number; unlicensed: number };
}

/**
 * Gauges of alarm, device and license state, computed from one snapshot per scrape.
 * Labels hold only the device name and values from closed sets (severity, code, profile, method).
 */
export function registerStateGauges(registry: Registry, severities: readonly string[], snapshot: () => FleetSnapshot): void {
  // prom-client collects every metric of a scrape in one synchronous pass, so one snapshot
  // serves the whole scrape and is dropped before the next event-loop turn.
  let cached: FleetSnapshot | undefined;
  const fresh = (): FleetSnapshot => {
    if (!cached) {
      cached = snapshot();
      setImmediate(() => (cached = undefined));
    }
    return cached;
  };
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

  gauge('priscan_alarm_active', 'Active alarms: 1 for each device, severity and code with an alarm active.', ['device', 'severity', 'code'], (g) => {
    for (const a of current.alarms) g.set({ device: a.device, severity: a.severity, code: a.code }, 1);
  });
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
