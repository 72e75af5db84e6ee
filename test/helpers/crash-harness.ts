// Kills a priscan daemon (a child process) at random moments during a storm of raises and clears
// on a simulated fleet, restarts it on the same data, and checks what it stored against the truth.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Fleet } from '../../simulators/fleet.js';
import { SIM_ALARMS } from '../../simulators/devices/sim.js';
import { packageFile } from '../../src/cli/version.js';

// The CLI as shipped, found from the package root (this file also runs compiled, from dist/).
const CLI = packageFile('dist/src/cli/priscan.js');

export interface CrashRunOptions {
  devices: number;
  cycles: number;
  seed: number;
  baseAddress: string;
  devicePort: number;
  notificationPort: number;
  httpPort: number;
  /** How long the daemon lives in each cycle before SIGKILL, ms (drawn uniformly). */
  lifeMs: [number, number];
  log?: (line: string) => void;
}

export interface CrashReport {
  seed: number;
  cycles: number;
  kills: number;
  transitions: number;
  /** Device+code pairs where the stored active set and the simulators disagree after settling. */
  mismatches: string[];
  /** Event-log violations: a key raised twice without a clear, or cleared without a raise. */
  logViolations: string[];
  integrity: string;
  settleMs: number[];
  finalExitCode: number | null;
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runCrashCycles(options: CrashRunOptions): Promise<CrashReport> {
  const log = options.log ?? (() => undefined);
  const random = prng(options.seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'priscan-crash-'));
  const api = `http://127.0.0.1:${options.httpPort}`;
  const fleet = new Fleet({ devices: [{ kind: 'sim', count: options.devices }], baseAddress: options.baseAddress, port: options.devicePort });
  const configFile = join(dataDir, 'priscan.yaml');
  let child: ChildProcess | undefined;
  let storm: NodeJS.Timeout | undefined;
  const report: CrashReport = { seed: options.seed, cycles: options.cycles, kills: 0, transitions: 0, mismatches: [], logViolations: [], integrity: '', settleMs: [], finalExitCode: null };
  try {
    await fleet.start();
    const devices = fleet.devices.map(
      (d, i) => `  - name: sim-${i + 1}\n    address: ${d.address}\n    port: ${options.devicePort}\n    timeoutMs: 500\n    retries: 0\n    snmp: {version: 2c, readCommunity: public, writeCommunity: private}\n`,
    );
    writeFileSync(
      configFile,
      `dataDir: ${dataDir}\nlog: {level: warn}\nmanager: {address: 127.0.0.1}\n` +
        `notifications: {listen: {address: 127.0.0.1, port: ${options.notificationPort}}, receiveBufferBytes: 1048576}\n` +
        `http: {listen: {address: 127.0.0.1, port: ${options.httpPort}}}\nshutdown: {deadlineMs: 3000}\ndevices:\n${devices.join('')}`,
    );
    const created = spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', 'crash', '--json', '--config', configFile], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`token create failed: ${created.stderr}`);
    const token = (JSON.parse(created.stdout) as { token: string }).token;
    const headers = { authorization: `Bearer ${token}` };

    const startDaemon = async (): Promise<ChildProcess> => {
      const started = spawn(process.execPath, [CLI, 'serve', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      started.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (started.exitCode !== null) throw new Error(`priscan exited with ${started.exitCode}: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`priscan not ready after 15 s: ${stderr}`);
        const ready = await fetch(`${api}/readyz`).then((r) => r.ok, () => false);
        if (ready) return started;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const truth = (): string[] =>
      fleet.devices.flatMap((d, i) => d.activeAlarms().map((name) => `sim-${i + 1}/sim.${SIM_ALARMS[name]!.code}`)).sort();
    const stored = async (): Promise<string[]> => {
      const body = (await (await fetch(`${api}/api/v1/alarms`, { headers })).json()) as { alarms: Array<{ device: string; code: string }> };
      return body.alarms.map((a) => `${a.device}/${a.code}`).sort();
    };
    const startStorm = () => {
      const names = Object.keys(SIM_ALARMS);
      storm = setInterval(() => {
        const device = fleet.devices[Math.floor(random() * fleet.devices.length)]!;
        const name = names[Math.floor(random() * names.length)]!;
        if (device.activeAlarms().includes(name)) device.clear(name);
        else device.raise(name);
        report.transitions++;
      }, 3);
    };

    startStorm();
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      child = await startDaemon();
      const [min, max] = options.lifeMs;
      await new Promise((r) => setTimeout(r, min + random() * (max - min)));
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      report.kills++;
      log(`cycle ${cycle + 1}: killed after ${report.transitions} transitions`);
      await new Promise((r) => setTimeout(r, random() * 200)); // the storm goes on while priscan is dead
    }
    clearInterval(storm);
    storm = undefined;

    // The last start: its start-up scans must reconcile everything the kills interrupted.
    const restartedAt = Date.now();
    child = await startDaemon();
    const want = truth().join(',');
    const deadline = Date.now() + 20_000;
    let got = '';
    while (Date.now() < deadline && (got = (await stored()).join(',')) !== want) await new Promise((r) => setTimeout(r, 25));
    report.settleMs.push(Date.now() - restartedAt);
    const gotSet = new Set(got ? got.split(',') : []);
    const wantSet = new Set(want ? want.split(',') : []);
    report.mismatches = [...[...wantSet].filter((k) => !gotSet.has(k)).map((k) => `missing ${k}`), ...[...gotSet].filter((k) => !wantSet.has(k)).map((k) => `extra ${k}`)];

    // The event log: per alarm key, raise then at most one clear; its final state is the active set.
    const lastKind = new Map<string, string>();
    for (let after = 0; ; ) {
      const page = (await (await fetch(`${api}/api/v1/alarms/history?after=${after}&limit=1000`, { headers })).json()) as {
        events: Array<{ id: number; kind: string; device: string; key: string; code: string }>;
        lastId: number;
      };
      if (page.events.length === 0) break;
      for (const e of page.events) {
        // Acknowledgements leave the active set as it is.
        if (e.kind === 'ack' || e.kind === 'unack') continue;
        const id = `${e.device}/${e.key}`;
        const previous = lastKind.get(id);
        if (e.kind === 'raise' && previous !== undefined) report.logViolations.push(`${id}: raised again after ${previous} (event ${e.id})`);
        if (e.kind === 'clear' && previous !== 'raise') report.logViolations.push(`${id}: cleared without an active raise (event ${e.id})`);
        lastKind.set(id, e.kind);
      }
      after = page.lastId;
    }
    const activeByLog = [...lastKind].filter(([, kind]) => kind === 'raise').map(([id]) => id.replace(/\/.*:/, '/')).sort();
    if (activeByLog.join(',') !== got) report.logViolations.push(`event log's final state ${activeByLog.length} active, stored active set ${gotSet.size}`);

    child.kill('SIGTERM');
    report.finalExitCode = await new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child = undefined;
    const db = new Database(join(dataDir, 'priscan.db'), { readonly: true });
    report.integrity = String(db.pragma('integrity_check', { simple: true }));
    db.close();
    return report;
  } finally {
    if (storm) clearInterval(storm);
    child?.kill('SIGKILL');
    await fleet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
