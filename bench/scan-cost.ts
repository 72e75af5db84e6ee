// The cost of one device's full priority scan, against snmp_exporter's scrape of the same
// table on an identical device, in the same run: wall time (median of N, alternating) and SNMP
// request packets counted at the device.
//
//   node dist/bench/scan-cost.js [--quick] [--scans N] [--alarms N] [--no-pin]
//
// Two identical `sim` devices (127.1.120.1 for priscan, 127.1.121.1 for snmp_exporter, port
// 17002) in a child process pinned to core 0, with the same alarms active. priscan runs in this
// process and snmp_exporter (127.0.0.1:17012) as its own process, both on core 1.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SIM_ALARMS } from '../simulators/devices/sim.js';
import { round, summarize } from './lib/detection-log.js';
import { FleetLink, hasTaskset, pinSelf } from './lib/fleet-link.js';
import type { FleetName } from './lib/fleet-protocol.js';
import { startMonitor, untilRegistered, type Monitor } from './lib/monitors.js';
import { pollingToolsMissing, scrapeDevice, startSnmpExporter } from './lib/snmp-exporter.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scans: { type: 'string' },
    alarms: { type: 'string', default: '5' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const SCANS = Number(args.scans ?? (args.quick ? 50 : 200));
const ALARMS = Number(args.alarms);
const alarmNames = Object.keys(SIM_ALARMS);
if (!Number.isInteger(SCANS) || SCANS < 5 || SCANS > 10_000) throw new Error('--scans must be a whole number from 5 to 10000');
if (!Number.isInteger(ALARMS) || ALARMS < 0 || ALARMS > alarmNames.length) throw new Error(`--alarms must be from 0 to ${alarmNames.length}`);
const PORT = 17002;
const DEVICES: Partial<Record<FleetName, string>> = { priscan: '127.1.120.1', exporter: '127.1.121.1' };
const EXPORTER_LISTEN = '127.0.0.1:17012';
const WARM_UP = 20;

const cores = os.availableParallelism();
const loadAtStart = round(os.loadavg()[0] ?? NaN);
const pinned = !args['no-pin'] && cores >= 2 && hasTaskset() && pinSelf(1);
const missing = pollingToolsMissing().filter((t) => t === 'prometheus-snmp-exporter');
const link = FleetLink.spawn(pinned ? 0 : undefined);
let priscan: Monitor | undefined;
let exporter: Awaited<ReturnType<typeof startSnmpExporter>> | undefined;

const requestsOf = async (fleet: FleetName) => (await link.request({ type: 'counters' })).fleets[fleet]?.requests ?? NaN;

/** One scan through priscan's scheduler and scanner, timed from the request until its queue is idle again. */
async function priscanScan(monitor: Monitor, id: number, address: string): Promise<number> {
  const { scheduler } = monitor.running;
  const startedBefore = monitor.scansByAddress.get(address) ?? 0;
  const started = performance.now();
  scheduler.requestScan(id, 'manual');
  while ((monitor.scansByAddress.get(address) ?? 0) === startedBefore || scheduler.queued + scheduler.running > 0) {
    await new Promise((r) => setImmediate(r));
    if (performance.now() - started > 10_000) throw new Error('priscan scan did not finish within 10 s');
  }
  return performance.now() - started;
}

async function exporterScrape(url: string, target: string): Promise<{ wallMs: number; ownMs: number; packetsSent: number }> {
  const started = performance.now();
  const text = await scrapeDevice(url, target);
  const wallMs = performance.now() - started;
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { wallMs, ownMs: gauge('snmp_scrape_duration_seconds') * 1000, packetsSent: gauge('snmp_scrape_packets_sent') };
}

try {
  const fleets = (Object.entries(DEVICES) as Array<[FleetName, string]>).map(([name, baseAddress]) => ({ name, baseAddress, port: PORT, count: 1 }));
  await link.request({ type: 'start', fleets });
  for (const name of alarmNames.slice(0, ALARMS)) {
    for (const fleet of Object.keys(DEVICES) as FleetName[]) await link.request({ type: 'change', fleet, index: 0, alarm: name, action: 'raise' });
  }
  const address = DEVICES.priscan as string;
  // Registered as in service (so its scans are the ones that run after a notification); the scans are then asked for directly.
  priscan = await startMonitor({ addresses: [address], port: PORT, priorityScanning: true, intervalSeconds: 3600, random: () => 0.99 });
  await untilRegistered(priscan, 10_000);
  const id = priscan.idOf.get(address) as number;
  if (missing.length === 0) exporter = await startSnmpExporter({ listen: EXPORTER_LISTEN, core: pinned ? 1 : undefined });
  const target = `${DEVICES.exporter}:${PORT}`;

  for (let i = 0; i < WARM_UP; i++) {
    await priscanScan(priscan, id, address);
    if (exporter) await exporterScrape(exporter.url, target);
  }
  // The alarms the scans read, as priscan stored them (the registration scan and the warm-up ran by now).
  const storedAlarms = priscan.running.store.alarms.active().length;
  const priscanMs: number[] = [];
  const exporterWallMs: number[] = [];
  const exporterOwnMs: number[] = [];
  const exporterReportedPackets: number[] = [];
  const priscanPackets = { before: await requestsOf('priscan'), after: NaN };
  const exporterPackets = { before: await requestsOf('exporter'), after: NaN };
  // Alternating, so drift on a shared machine falls on both alike.
  for (let i = 0; i < SCANS; i++) {
    priscanMs.push(await priscanScan(priscan, id, address));
    if (exporter) {
      const scrape = await exporterScrape(exporter.url, target);
      exporterWallMs.push(scrape.wallMs);
      exporterOwnMs.push(scrape.ownMs);
      exporterReportedPackets.push(scrape.packetsSent);
    }
  }
  priscanPackets.after = await requestsOf('priscan');
  exporterPackets.after = await requestsOf('exporter');
  const priscanSummary = summarize(priscanMs);
  const exporterSummary = exporter ? summarize(exporterWallMs) : undefined;
  const perScan = (p: { before: number; after: number }) => round((p.after - p.before) / SCANS, 2);
  const result = {
    name: 'scan-cost',
    quick: args.quick,
    scans: SCANS,
    alarmsActive: ALARMS,
    rowsStoredByPriscan: storedAlarms,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: { start: loadAtStart, end: round(os.loadavg()[0] ?? NaN) } },
    layout: { pinned, devicesCore: pinned ? 0 : null, toolsCore: pinned ? 1 : null },
    priscan: { wall: priscanSummary, packetsPerScan: perScan(priscanPackets) },
    baseline: exporterSummary
      ? {
          tool: 'prometheus-snmp-exporter 0.21',
          wall: exporterSummary,
          ownScrapeDuration: summarize(exporterOwnMs),
          packetsPerScrape: perScan(exporterPackets),
          packetsSentReportedByExporter: summarize(exporterReportedPackets).p50Ms,
        }
      : { notRun: 'prometheus-snmp-exporter not installed' },
    ratios: exporterSummary
      ? { medianTime: round(exporterSummary.p50Ms / priscanSummary.p50Ms, 2), packets: round(perScan(exporterPackets) / perScan(priscanPackets), 2) }
      : null,
  };
  console.log(`one device's full scan, ${ALARMS} alarms active, median of ${SCANS} (load ${loadAtStart} -> ${result.machine.loadAverage1m.end})`);
  console.log(`                         median ms           p99 ms   packets`);
  console.log(`priscan priority scan    ${String(priscanSummary.p50Ms).padStart(9)}   ${String(priscanSummary.p99Ms).padStart(14)}   ${String(result.priscan.packetsPerScan).padStart(7)}`);
  if (exporterSummary) {
    console.log(`snmp_exporter scrape     ${String(exporterSummary.p50Ms).padStart(9)}   ${String(exporterSummary.p99Ms).padStart(14)}   ${String(perScan(exporterPackets)).padStart(7)}`);
    console.log(`ratio (baseline / priscan): time x${result.ratios?.medianTime}, packets x${result.ratios?.packets}`);
  } else console.log('snmp_exporter: not installed (apt-get install prometheus-snmp-exporter): baseline not run');
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await exporter?.stop();
  await priscan?.stop();
  await link.stop();
}
