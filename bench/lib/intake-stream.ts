// What the notification intake benches share: 1,000 source addresses, a paced sender in a child
// process, priscan's scans held while a stream lasts, one fresh snmptrapd per rate counted from
// its log, and the figures both receivers get for one rate.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SnmpClient, SnmpClientFactory } from '../../src/snmp/client.js';
import type { TestDaemon } from '../../test/helpers/daemon.js';
import { kernelUdpCounters, socketDrops } from '../../test/helpers/notifications.js';

const BLASTER = resolve(import.meta.dirname, 'trap-blaster.js');

/** The benches' device addresses: 127.0.80.1 on, 250 per /24. */
export function intakeSources(devices: number): string[] {
  return Array.from({ length: devices }, (_, i) => `127.0.${80 + Math.floor(i / 250)}.${(i % 250) + 1}`);
}

export interface Blast {
  sent: number;
  errors: number;
  elapsedMs: number;
}

/** One stream: v2c traps with `community`, or each source's own datagram from `datagramsFile` (see writeDatagrams). */
export interface BlastJob {
  sources: readonly string[];
  port: number;
  rate: number;
  durationMs: number;
  community?: string;
  datagramsFile?: string;
}

/** Runs the paced sender in a child process (on core 0 when `pinned`), so it never shares the receiver's core. */
export function blast(job: BlastJob, pinned: boolean): Promise<Blast> {
  const args = [BLASTER, JSON.stringify(job)];
  const child = pinned ? spawn('taskset', ['-c', '0', process.execPath, ...args]) : spawn(process.execPath, args);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  return new Promise((done, fail) => child.on('close', (code) => (code === 0 ? done(JSON.parse(out) as Blast) : fail(new Error(`blaster exited ${code}`)))));
}

/** One datagram per source, in order, as a file the sender reads (each prefixed by its 2-byte length). */
export function writeDatagrams(file: string, datagrams: readonly Buffer[]): void {
  writeFileSync(file, Buffer.concat(datagrams.flatMap((d) => [Buffer.from([d.length >> 8, d.length & 0xff]), d])));
}

export function readDatagrams(file: string): Buffer[] {
  const all = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt16BE(at);
    out.push(all.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}

export interface StreamRow {
  receiver: string;
  rate: number;
  sent: number;
  achievedPerS: number;
  accepted: number;
  lost: number;
  /** The receiving socket's own drop counter (/proc/net/udp). */
  kernelDrops: number | undefined;
  /** Host-wide /proc/net/snmp Udp RcvbufErrors and InErrors over the same stream (any socket on the host). */
  udpRcvbufErrors?: number;
  udpInErrors?: number;
  /** The same as udpRcvbufErrors, under the name bench/lib/report.ts reads. */
  hostRcvbufErrors?: number;
  /** Set when the receiver could not be run at this rate (e.g. snmptrapd did not start): no figures. */
  notRun?: string;
  acceptedPerS: number;
}

export const kernelUdp = () => kernelUdpCounters() ?? { inErrors: NaN, rcvbufErrors: NaN };
export type KernelUdp = ReturnType<typeof kernelUdp>;

/** The figures both receivers share for one rate. */
export function streamRow(receiver: string, rate: number, result: Blast, accepted: number, drops: { socket: number; before: KernelUdp; after: KernelUdp }): StreamRow {
  return {
    receiver,
    rate,
    sent: result.sent,
    achievedPerS: Math.round((result.sent / result.elapsedMs) * 1000),
    accepted,
    lost: result.sent - accepted,
    kernelDrops: drops.socket,
    udpRcvbufErrors: drops.after.rcvbufErrors - drops.before.rcvbufErrors,
    hostRcvbufErrors: drops.after.rcvbufErrors - drops.before.rcvbufErrors,
    udpInErrors: drops.after.inErrors - drops.before.inErrors,
    acceptedPerS: Math.round((accepted / result.elapsedMs) * 1000),
  };
}

/** SNMP clients that answer "nothing here" once released: scans last exactly as long as the stream. */
export class HeldScans implements SnmpClientFactory {
  private released: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  hold(): void {
    this.released = new Promise((resolve) => (this.release = resolve));
  }

  releaseAll(): void {
    this.release();
  }

  open(): SnmpClient {
    return {
      get: async (oids) => {
        await this.released;
        return oids.map((oid) => ({ oid, type: 'NoSuchObject' as const, value: null }));
      },
      subtree: async () => {
        await this.released;
        return [];
      },
      set: async () => {
        await this.released;
      },
      close: () => undefined,
    };
  }
}

export interface PriscanStream {
  result: Blast;
  accepted: number;
  drops: { socket: number; before: KernelUdp; after: KernelUdp };
  /** CPU time (user + system, µs) this process, which hosts the daemon, used from the stream's start until it was taken in. */
  cpuUs: number;
}

/**
 * One stream into an in-process priscan whose scans `held` holds: what its `accepted` counter
 * (with `labels`) and its socket took in. The scans run once the stream is over, before this returns.
 */
export async function priscanStream(options: { t: TestDaemon; held: HeldScans; labels: Record<string, string>; send: () => Promise<Blast> }): Promise<PriscanStream> {
  const { t, held, labels } = options;
  const port = t.running.intake.port;
  const accepted = () => t.metric('priscan_notifications_received_total', { ...labels, result: 'accepted' });
  const acceptedBefore = await accepted();
  const dropsBefore = socketDrops(port) ?? 0;
  const before = kernelUdp();
  held.hold();
  const cpuBefore = process.cpuUsage();
  const result = await options.send();
  // Counted as snmptrapd's log is: once the counter stops growing, so a backlog still in the
  // socket buffer when the sender stops counts as taken in, and only what never arrives as lost.
  let taken = (await accepted()) - acceptedBefore;
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 60_000; waited += 200) {
    await new Promise((r) => setTimeout(r, 200));
    const now = (await accepted()) - acceptedBefore;
    quiet = now === taken ? quiet + 1 : 0;
    taken = now;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const after = kernelUdp();
  const socket = (socketDrops(port) ?? 0) - dropsBefore;
  held.releaseAll();
  while (t.running.scheduler.queued + t.running.scheduler.running > 0) await new Promise((r) => setTimeout(r, 50));
  return { result, accepted: taken, drops: { socket, before, after }, cpuUs: cpu.user + cpu.system };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function untilLogged(file: string, text: string, alive: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && alive()) {
    if (readLog(file).includes(text)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export interface SnmptrapdRun {
  binary: string;
  /** Config file, kept apart from SNMP_PERSISTENT_DIR: snmptrapd saves its state there on exit, which would replace it. */
  configFile: string;
  scratch: string;
  port: number;
  rate: number;
  pinned: boolean;
  /** How long it may take to start (reading 1,000 users derives 2,000 keys). */
  startTimeoutMs?: number;
  send: () => Promise<Blast>;
}

/**
 * One stream into a fresh snmptrapd (its own port, pid file and persistent directory, so no run
 * inherits another's backlog or state) that logs one line per notification it accepts.
 */
export async function snmptrapdStream(run: SnmptrapdRun): Promise<StreamRow> {
  const { scratch, port, rate } = run;
  const logFile = join(scratch, `traps-${port}-${rate}.log`);
  const persistent = join(scratch, `persistent-${port}-${rate}`);
  mkdirSync(persistent, { recursive: true });
  const args = ['-f', '-C', '-c', run.configFile, '-Lf', logFile, '-m', '', '-n', '-p', join(scratch, `pid-${port}-${rate}`), `udp:127.0.0.1:${port}`];
  const env = { ...process.env, SNMP_PERSISTENT_DIR: persistent };
  const daemon = run.pinned ? spawn('taskset', ['-c', '1', run.binary, ...args], { env }) : spawn(run.binary, args, { env });
  let stderr = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
  // It logs its version once its port is open; one that exits (e.g. the port is taken) is reported, not counted as 0 accepted.
  const startTimeoutMs = run.startTimeoutMs ?? 10_000;
  const started = await untilLogged(logFile, 'NET-SNMP version', () => daemon.exitCode === null, startTimeoutMs);
  if (!started) {
    const why = daemon.exitCode === null ? `did not start within ${startTimeoutMs / 1000} s` : `exited ${daemon.exitCode}: ${(stderr || readLog(logFile)).trim().split('\n').at(-1)}`;
    daemon.kill('SIGKILL');
    console.log(`snmptrapd at ${rate}/s: NOT RUN: port ${port} ${why}`);
    return { receiver: 'snmptrapd', rate, sent: 0, achievedPerS: 0, accepted: 0, lost: 0, kernelDrops: undefined, acceptedPerS: 0, notRun: `snmptrapd on port ${port} ${why}` };
  }
  const dropsBefore = socketDrops(port) ?? 0;
  const before = kernelUdp();
  const result = await run.send();
  // snmptrapd works through its socket backlog after the sender stops: count once its log stops growing.
  const logged = () => readLog(logFile).split('\n').filter((l) => l.includes('127.0.')).length;
  let accepted = logged();
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 60_000; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    const now = logged();
    quiet = now === accepted ? quiet + 1 : 0;
    accepted = now;
  }
  const socket = (socketDrops(port) ?? 0) - dropsBefore;
  const after = kernelUdp();
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  // It flushes its log on exit: what it had accepted but not yet written counts too.
  accepted = Math.max(accepted, logged());
  // Its accepted rate is what it got through while the stream lasted plus its catching up afterwards.
  return streamRow('snmptrapd', rate, result, accepted, { socket, before, after });
}

/** The table both intake benches print. `extra` adds a column of the receiver's own. */
export function printStreamTable<R extends StreamRow>(rows: readonly R[], extra?: { title: string; cell: (row: R) => string }): void {
  console.log(`receiver   target/s  sent/s    accepted/s  lost     socket drops  host RcvbufErrors/InErrors${extra ? `  ${extra.title}` : ''}`);
  for (const r of rows.filter((x) => !x.notRun)) {
    const host = `${r.udpRcvbufErrors ?? '-'}/${r.udpInErrors ?? '-'}`;
    console.log(
      `${r.receiver.padEnd(10)} ${String(r.rate).padEnd(9)} ${String(r.achievedPerS).padEnd(9)} ${String(r.acceptedPerS).padEnd(11)} ${String(r.lost).padEnd(8)} ${String(r.kernelDrops ?? '-').padEnd(13)} ${extra ? host.padEnd(27) : host}${extra ? ` ${extra.cell(r)}` : ''}`,
    );
  }
}
