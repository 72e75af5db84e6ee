// The pieces the scale benches share: a fleet of simulated devices spread over simulator child
// processes, devices added through a daemon's API a few at a time, and waits for a daemon's
// scan queue to drain and for every device to show as registered.
import { readdirSync } from 'node:fs';
import { deviceAddress } from '../../simulators/fleet.js';
import { FleetLink } from './fleet-link.js';
import type { FleetSpec } from './fleet-protocol.js';

export type Kind = NonNullable<FleetSpec['kind']>;
/** A daemon's API, as a bench calls it (token included). */
export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SimulatorSpec {
  devices: number;
  processes: number;
  /** The first device's address; device i is deviceAddress(base, i). */
  base: string;
  port: number;
  /** The core every simulator process is pinned to, or undefined. */
  core: number | undefined;
  /** Simulator process k's kind (default `sim`). */
  kindOf?: (k: number) => Kind;
}

/** Starts the `priscan` fleet: device i lives in process floor(i / ceil(devices / processes)). */
export async function startSimulators(spec: SimulatorSpec): Promise<{ links: FleetLink[]; startupMs: number }> {
  const perProcess = Math.ceil(spec.devices / spec.processes);
  const started = performance.now();
  const links: FleetLink[] = [];
  try {
    for (let k = 0; k < spec.processes; k++) {
      const count = Math.min(perProcess, spec.devices - k * perProcess);
      if (count <= 0) break;
      const link = FleetLink.spawn(spec.core);
      links.push(link);
      await link.request({ type: 'start', fleets: [{ name: 'priscan', baseAddress: deviceAddress(spec.base, k * perProcess), port: spec.port, count, kind: spec.kindOf?.(k) ?? 'sim' }] });
    }
  } catch (error) {
    await Promise.all(links.map((l) => l.stop()));
    throw error;
  }
  return { links, startupMs: Math.round(performance.now() - started) };
}

/**
 * POSTs device 0..count-1 (`body(i)`) with `concurrency` requests in flight, each through
 * `apiFor(i)` (one daemon, or the collectors in turn). Resolves with the device ids in index order.
 */
export async function addDevices(options: { count: number; concurrency: number; apiFor: (i: number) => Api; body: (i: number) => unknown }): Promise<number[]> {
  const ids = new Array<number>(options.count);
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const i = next++;
      const res = await options.apiFor(i)('POST', '/api/v1/devices', options.body(i));
      if (res.status !== 201) throw new Error(`adding device ${i + 1} answered ${res.status}: ${JSON.stringify(res.body)}`);
      ids[i] = (res.body as { id: number }).id;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return ids;
}

/** File descriptors the process holds (each SNMP session is a UDP socket). */
export function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Waits until the daemon's queue is empty twice in a row (healthz: queued + running); resolves with how long it took. */
export async function untilIdle(api: Api, pid: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let idleReadings = 0;
  let polls = 0;
  while (idleReadings < 2) {
    if (performance.now() - started > timeoutMs) throw new Error(`priscan's scan queue did not drain within ${timeoutMs / 1000} s`);
    await sleep(500);
    const health = (await api('GET', '/healthz')).body as { queued?: number; running?: number };
    if (++polls % 30 === 0) process.stderr.write(`  waiting for the queue: ${health.queued} queued, ${health.running} running, ${openFiles(pid)} open files\n`);
    idleReadings = (health.queued ?? 1) + (health.running ?? 1) === 0 ? idleReadings + 1 : 0;
  }
  return performance.now() - started;
}

/** How many devices the daemon lists as registered (one device list: call it outside a measured window). */
export async function registeredCount(api: Api): Promise<number> {
  const listed = (await api('GET', '/api/v1/devices')).body as { devices: Array<{ state: { registration: string } }> };
  return listed.devices.filter((d) => d.state.registration === 'registered').length;
}

/** Polls the device list every `everyMs` until `count` devices are registered; resolves with how long it took. */
export async function untilRegistered(api: Api, count: number, options: { everyMs: number; timeoutMs: number }): Promise<number> {
  const started = performance.now();
  for (let registered = await registeredCount(api); registered < count; registered = await registeredCount(api)) {
    if (performance.now() - started > options.timeoutMs) throw new Error(`${registered} of ${count} devices registered after ${options.timeoutMs / 1000} s`);
    process.stderr.write(`  ${registered} of ${count} devices registered\n`);
    await sleep(options.everyMs);
  }
  return performance.now() - started;
}

/** Scans a daemon has run, from its own counter (one /metrics scrape: call it outside a measured window). */
export async function scansSoFar(url: string, token: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return [...text.matchAll(/^priscan_scans_total\{[^}]*\} (\S+)$/gm)].reduce((total, m) => total + Number(m[1]), 0);
}
