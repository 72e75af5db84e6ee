// What reading a device's sensors costs on the wire: the SNMP requests (and bytes) one full scan
// sends, per device kind, before readings (the same profile with its `readings` taken out: what
// main scanned before readings existed) and after (the full profile), in one run.
//
//   npm run bench:scan-packets                (a few seconds)
//   npm run bench:scan-packets -- --quick     (fewer scans per figure)
//
// Every simulated kind (sim, ups, apc-ups, netbotz, pdu) and the two bundled vendor recordings
// (eaton-xups, raritan-pdu2 replayed as snmprec devices), each with its profile as the daemon
// would pick it from the device's sysObjectID. The scan is the daemon's own (scanDevice of
// src/scanning/evaluate.ts) over the real net-snmp client (src/snmp/net-snmp-client.ts) with a
// counting SnmpRequestObserver; a UDP tap between client and device counts the datagrams and
// bytes that actually crossed, and the device counts the requests it answered: all three must
// agree. Each kind is scanned idle and with every alarm it can raise active (bigger tables).
// The 1-request scan of a `sim` device must stay 1 request: checked, and the script exits 1
// (after its RESULT) if it does not.
//
// Loopback only: devices 127.0.245.1+ port 17230, taps 127.0.245.101+ port 17230.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Profile } from '../src/profiles/schema.js';
import { ProfileRegistry } from '../src/profiles/registry.js';
import { scanDevice, specOf, type ScanSpec } from '../src/scanning/evaluate.js';
import type { SnmpRequestObserver } from '../src/snmp/client.js';
import { NetSnmpClient } from '../src/snmp/net-snmp-client.js';
import type { DeviceKind, SimDevice } from '../simulators/devices/device.js';
import { Fleet, type FleetEntry } from '../simulators/fleet.js';
import { round } from './lib/detection-log.js';
import { tapDelta, UdpTap, type TapCounters } from './lib/udp-tap.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, scans: { type: 'string' } } });
const SCANS = Number(args.scans ?? (args.quick ? 5 : 20));
if (!Number.isInteger(SCANS) || SCANS < 1 || SCANS > 1000) throw new Error('--scans must be a whole number from 1 to 1000');
const BASE = '127.0.245.1';
const TAP_HOST_OFFSET = 100;
const PORT = 17230;
/** IPv4 and UDP headers each datagram carries besides its SNMP message (Ethernet adds its own on a real link). */
const IP_UDP_HEADER_BYTES = 28;

/** What is scanned: one device of each kind, recordings by their bundled name. */
const SUBJECTS: ReadonlyArray<{ name: string; kind: DeviceKind; recording?: string }> = [
  { name: 'sim', kind: 'sim' },
  { name: 'ups', kind: 'ups' },
  { name: 'apc-ups', kind: 'apc-ups' },
  { name: 'netbotz', kind: 'netbotz' },
  { name: 'pdu', kind: 'pdu' },
  { name: 'eaton-xups', kind: 'snmprec', recording: 'eaton-xups' },
  { name: 'raritan-pdu2', kind: 'snmprec', recording: 'raritan-pdu2' },
];

type Kind = 'get' | 'getnext' | 'getbulk' | 'set';

class CountingObserver implements SnmpRequestObserver {
  readonly byKind: Record<Kind, number> = { get: 0, getnext: 0, getbulk: 0, set: 0 };
  timeouts = 0;
  request(kind: Kind): void {
    this.byKind[kind]++;
  }
  timeout(): void {
    this.timeouts++;
  }
  retry(): void {}
  get total(): number {
    return Object.values(this.byKind).reduce((a, b) => a + b, 0);
  }
}

interface ScanFigures {
  /** Requests per scan as the client counted them, and by PDU type. */
  requests: number;
  byKind: Record<Kind, number>;
  /** Datagrams and SNMP message bytes per scan, as the tap saw them. */
  wire: TapCounters;
  /** Bytes per scan with IPv4 and UDP headers, both ways. */
  bytesWithHeaders: number;
  /** Requests per scan the device answered. */
  answeredByDevice: number;
  alarms: number;
  readings: number;
}

type BeforeAfter = { before: ScanFigures; after: ScanFigures };

interface KindRow {
  kind: string;
  profile: string;
  readingsInProfile: number;
  alarmsRaised: number;
  idle: BeforeAfter;
  /** Every alarm the device can raise active; none for a recording. */
  alarms?: BeforeAfter;
}

function withoutReadings(profile: Profile): ScanSpec {
  return specOf({ ...profile, readings: [] });
}

async function measure(spec: ScanSpec, device: SimDevice, tap: UdpTap, observer: CountingObserver, client: NetSnmpClient): Promise<ScanFigures> {
  // One scan first: the same findings every time, and nothing of the first contact counted.
  const findings = await scanDevice(spec, client);
  const before = { client: { ...observer.byKind }, total: observer.total, tap: tap.snapshot(), device: device.agent.counters.requests };
  for (let i = 0; i < SCANS; i++) await scanDevice(spec, client);
  // The last answer reaches the client before the tap's count of it is certain: let the socket events run.
  await new Promise((r) => setImmediate(r));
  const wire = tapDelta(before.tap, tap.snapshot());
  const per = (n: number) => round(n / SCANS, 2);
  // Request ids and counters vary in length by a byte now and then: bytes to the whole byte.
  const bytes = (n: number) => Math.round(n / SCANS);
  const byKind = Object.fromEntries(Object.entries(observer.byKind).map(([k, n]) => [k, per(n - before.client[k as Kind])])) as Record<Kind, number>;
  return {
    requests: per(observer.total - before.total),
    byKind,
    wire: { requests: per(wire.requests), requestBytes: bytes(wire.requestBytes), responses: per(wire.responses), responseBytes: bytes(wire.responseBytes) },
    bytesWithHeaders: bytes(wire.requestBytes + wire.responseBytes + (wire.requests + wire.responses) * IP_UDP_HEADER_BYTES),
    answeredByDevice: per(device.agent.counters.requests - before.device),
    alarms: findings.alarms.length,
    readings: findings.readings.length,
  };
}

const cores = os.availableParallelism();
const loadAverage = () => os.loadavg().map((l) => round(l));
const loadAtStart = loadAverage();
const entries: FleetEntry[] = SUBJECTS.map((s) => ({ kind: s.kind, count: 1, ...(s.recording ? { recording: { file: s.recording } } : {}) }));
const fleet = new Fleet({ devices: entries, baseAddress: BASE, port: PORT });
const taps: UdpTap[] = [];
const clients: NetSnmpClient[] = [];
try {
  await fleet.start();
  const profiles = new ProfileRegistry();
  profiles.load();
  const rows: KindRow[] = [];
  for (const [i, subject] of SUBJECTS.entries()) {
    const device = fleet.devices[i]!;
    const profile = profiles.select(device.identity.sysObjectId);
    if (!profile) throw new Error(`no profile matches ${subject.name} (${device.identity.sysObjectId})`);
    const tapAddress = device.address.replace(/\.\d+$/, `.${TAP_HOST_OFFSET + i + 1}`);
    const tap = new UdpTap({ address: tapAddress, port: PORT }, { address: device.address, port: PORT });
    await tap.start();
    taps.push(tap);
    const observer = new CountingObserver();
    const client = new NetSnmpClient({ version: '2c', community: 'public', address: tapAddress, port: PORT, timeoutMs: 3000, retries: 1 }, observer);
    clients.push(client);
    const measureBoth = async (): Promise<BeforeAfter> => ({
      before: await measure(withoutReadings(profile), device, tap, observer, client),
      after: await measure(specOf(profile), device, tap, observer, client),
    });
    const row: KindRow = { kind: subject.name, profile: profile.name, readingsInProfile: profile.readings.length, alarmsRaised: device.supportedAlarms.length, idle: await measureBoth() };
    if (device.supportedAlarms.length > 0) {
      for (const alarm of device.supportedAlarms) device.raise(alarm);
      row.alarms = await measureBoth();
      for (const alarm of device.supportedAlarms) device.clear(alarm);
    }
    if (observer.timeouts > 0) throw new Error(`${subject.name}: ${observer.timeouts} requests timed out on loopback`);
    rows.push(row);
  }

  // Three counts of the same requests: the client's, the tap's, the device's.
  const disagreements = rows.flatMap((r) =>
    (r.alarms ? [['idle', r.idle] as const, ['alarms', r.alarms] as const] : [['idle', r.idle] as const])
      .flatMap(([state, v]) => (['before', 'after'] as const).map((when) => ({ where: `${r.kind} ${state} ${when}`, f: v[when] })))
      .filter(({ f }) => f.requests !== f.wire.requests || f.requests !== f.answeredByDevice || f.wire.responses !== f.wire.requests)
      .map(({ where, f }) => `${where}: client ${f.requests}, tap ${f.wire.requests} (answers ${f.wire.responses}), device ${f.answeredByDevice}`),
  );
  const sim = rows.find((r) => r.kind === 'sim')!;
  const simStates = [sim.idle, ...(sim.alarms ? [sim.alarms] : [])];
  const simOneRequest = simStates.every((s) => s.before.requests === 1 && s.after.requests === 1);
  const result = {
    name: 'scan-packets',
    quick: args.quick,
    scansPerFigure: SCANS,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: { start: loadAtStart, end: loadAverage() } },
    ipUdpHeaderBytes: IP_UDP_HEADER_BYTES,
    rows,
    countsAgree: disagreements.length === 0,
    disagreements,
    goals: { simScanOneRequest: simOneRequest },
  };

  const cell = (f: ScanFigures) => `${f.requests} req ${f.wire.requestBytes + f.wire.responseBytes} B`;
  console.log(`SNMP requests and bytes (SNMP messages, both ways) per scan, before -> after readings; ${SCANS} scans each (load ${loadAtStart.join(' ')} -> ${result.machine.loadAverage.end.join(' ')})`);
  console.log(`${'kind'.padEnd(14)}${'profile'.padEnd(14)}${'readings'.padStart(9)}   ${'idle'.padEnd(38)}every alarm active`);
  for (const r of rows) {
    const both = (s: BeforeAfter | undefined) => (s ? `${cell(s.before)} -> ${cell(s.after)}` : '-');
    console.log(`${r.kind.padEnd(14)}${r.profile.padEnd(14)}${String(r.idle.after.readings).padStart(9)}   ${both(r.idle).padEnd(38)}${both(r.alarms)}`);
  }
  console.log(`client, tap and device counts agree: ${disagreements.length === 0 ? 'yes' : `NO (${disagreements.join('; ')})`}`);
  console.log(`a sim device's scan is 1 request before and after readings: ${simOneRequest ? 'yes' : 'NO'}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (!simOneRequest) {
    process.stderr.write(`ASSERTION FAILED: a sim device's scan took ${simStates.map((s) => `${s.before.requests} -> ${s.after.requests}`).join(', ')} requests, not 1\n`);
    process.exitCode = 1;
  } else if (disagreements.length > 0) {
    process.stderr.write(`ASSERTION FAILED: the request counts disagree: ${disagreements.join('; ')}\n`);
    process.exitCode = 1;
  }
} finally {
  for (const client of clients) client.close();
  await Promise.all(taps.map((t) => t.stop()));
  await fleet.stop();
}
