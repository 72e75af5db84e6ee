// /metrics in a cluster: each collector shows the devices it owns, so a sum over collectors
// counts every device, alarm and reading once, and the license figures show on one collector (0 on the others).
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/cluster/shards.js';
import { firstDeviceOfShard } from '../../src/metrics/cluster.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { FleetSnapshot } from '../../src/metrics/state.js';

const DEVICES = 60;
const COLLECTORS = 3;

/** The whole cluster's state, as every collector reads it from the one database. */
const fleet: FleetSnapshot = {
  devices: Array.from({ length: DEVICES }, (_, i) => ({
    id: i + 1,
    name: `ups-${i + 1}`,
    profile: 'rfc1628-ups',
    method: 'rfc3413',
    up: i % 7 !== 0,
    registered: true,
    monitored: i < 50,
    lastScanAt: 1_000_000,
    lastScanMs: 12,
  })),
  alarms: Array.from({ length: 25 }, (_, i) => ({ deviceId: i * 2 + 1, device: `ups-${i * 2 + 1}`, key: 'onBattery', severity: i % 3 === 0 ? 'critical' : 'warning', code: 'ups.onBattery' })),
  license: { licensed: 50, used: 50, unlicensed: 10 },
};

/** A collector process: its own registry, the shared snapshot, the shards it holds. */
function collector(holds: (shard: number) => boolean): Metrics {
  const metrics = createMetrics(() => 1_000_000);
  metrics.watchFleet(() => fleet);
  metrics.watchCluster({ ownsDevice: (id) => holds(shardOf(id)) });
  // Every device's readings offered, as if each had scanned them: only its own may show.
  for (const d of fleet.devices) {
    metrics.readings.show(d.id, { device: d.name, site: '', at: 1_000_000, readings: [{ reading: 'batteryCharge', unit: 'percent', label: '', value: 90, state: null, states: [] }] });
  }
  return metrics;
}

/** Each sample of a scrape: metric name, label text and value. */
async function samples(metrics: Metrics) {
  const text = await metrics.registry.metrics();
  return [...text.matchAll(/^(priscan_[a-z_]+)(\{[^}]*\})? (\S+)$/gm)].map((m) => ({ name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) }));
}
const total = (all: Array<{ name: string; labels: string; value: number }>, name: string, labels = '') =>
  all.filter((s) => s.name === name && s.labels.includes(labels)).reduce((sum, s) => sum + s.value, 0);

describe('/metrics across the collectors of a cluster', () => {
  const scrapes = () => Promise.all(Array.from({ length: COLLECTORS }, (_, c) => samples(collector((shard) => shard % COLLECTORS === c))));

  it('shows each device\'s series on exactly the collector that owns it', async () => {
    const perCollector = await scrapes();
    for (const name of ['priscan_device_up', 'priscan_device_monitored', 'priscan_device_last_scan_timestamp_seconds', 'priscan_reading']) {
      for (const d of fleet.devices) {
        const holders = perCollector.map((all, c) => (all.some((s) => s.name === name && s.labels.includes(`device="${d.name}"`)) ? c : -1)).filter((c) => c >= 0);
        const owner = shardOf(d.id) % COLLECTORS;
        // priscan_device_up only once scanned; here every device was.
        expect(holders, `${name} of ${d.name}`).toEqual([owner]);
      }
    }
    // Each collector owns some devices: the split is real, not all on one.
    for (const all of perCollector) expect(all.filter((s) => s.name === 'priscan_device_monitored').length).toBeGreaterThan(5);
  });

  it('adds up over the collectors to the cluster\'s figures', async () => {
    const all = (await scrapes()).flat();
    expect(total(all, 'priscan_devices', 'state="monitored"')).toBe(50);
    expect(total(all, 'priscan_devices', 'state="unlicensed"')).toBe(10);
    expect(total(all, 'priscan_alarms_active')).toBe(25);
    expect(total(all, 'priscan_alarms_active', 'severity="critical"')).toBe(fleet.alarms.filter((a) => a.severity === 'critical').length);
    expect(all.filter((s) => s.name === 'priscan_alarm_active').length).toBe(25);
    expect(total(all, 'priscan_device_up')).toBe(fleet.devices.filter((d) => d.up).length);
  });

  it('shows the license figures on the holder of shard 0 only', async () => {
    const perCollector = await scrapes();
    expect(shardOf(firstDeviceOfShard(0))).toBe(0);
    // prom-client shows a gauge without labels as 0 when nothing set it: the others read 0.
    const showing = perCollector.map((all, c) => (all.some((s) => s.name === 'priscan_licensed_nodes' && s.value > 0) ? c : -1)).filter((c) => c >= 0);
    expect(showing).toEqual([shardOf(firstDeviceOfShard(0)) % COLLECTORS]);
    const all = perCollector.flat();
    expect([total(all, 'priscan_licensed_nodes'), total(all, 'priscan_used_nodes'), total(all, 'priscan_unlicensed_devices')]).toEqual([50, 50, 10]);
  });

  it('hides a device\'s readings as soon as its shard moves away, and shows everything on a single server', async () => {
    let held = new Set(Array.from({ length: 256 }, (_, s) => s));
    const metrics = collector((shard) => held.has(shard));
    const readingsOf = async () => (await samples(metrics)).filter((s) => s.name === 'priscan_reading').length;
    expect(await readingsOf()).toBe(DEVICES);
    const moved = shardOf(1);
    held = new Set([...held].filter((s) => s !== moved));
    await new Promise((resolve) => setImmediate(resolve)); // the next scrape, not the same one
    expect(await readingsOf()).toBe(fleet.devices.filter((d) => shardOf(d.id) !== moved).length);

    const single = createMetrics(() => 1_000_000);
    single.watchFleet(() => fleet);
    const alone = await samples(single);
    expect(alone.filter((s) => s.name === 'priscan_device_monitored').length).toBe(DEVICES);
    expect(total(alone, 'priscan_licensed_nodes')).toBe(50);
  });
});
