// Notification intake under load: v2c traps blasted from 1,000 known device addresses at rising
// rates, into priscan and then into Debian's snmptrapd on the same stream, in the same run.
// Usage: node dist/bench/intake-load.js [--quick] [--rates 10000,25000,50000,100000]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestDaemon } from '../test/helpers/daemon.js';
import { socketDrops, udpReceiveBufferErrors } from '../test/helpers/notifications.js';
import { findTool } from '../test/helpers/tools.js';
import { hasTaskset, pinSelf } from './lib/fleet-link.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rates: { type: 'string' }, devices: { type: 'string', default: '1000' } } });
const RATES = (values.rates ?? '10000,25000,50000,100000').split(',').map(Number);
const DURATION_MS = values.quick ? 1000 : 3000;
const DEVICES = Number(values.devices);
const COMMUNITY = 'bench-c0mmunity';
const BLASTER = resolve(import.meta.dirname, 'lib/trap-blaster.js');
const GOAL = { rate: 50_000, acceptedRatio: 3 };
const loadAtStart = loadavg()[0];
const pinned = hasTaskset() && pinSelf(1);
const sources = Array.from({ length: DEVICES }, (_, i) => `127.0.${80 + Math.floor(i / 250)}.${(i % 250) + 1}`);

interface Blast { sent: number; errors: number; elapsedMs: number }
function blast(port: number, rate: number): Promise<Blast> {
  const job = JSON.stringify({ sources, port, community: COMMUNITY, rate, durationMs: DURATION_MS });
  const args = [BLASTER, job];
  const child = pinned ? spawn('taskset', ['-c', '0', process.execPath, ...args]) : spawn(process.execPath, args);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  return new Promise((done, fail) => child.on('close', (code) => (code === 0 ? done(JSON.parse(out) as Blast) : fail(new Error(`blaster exited ${code}`)))));
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
const settle = () => new Promise((r) => setTimeout(r, 500));

/**
 * kernelDrops: the receiving socket's drop counter (/proc/net/udp); hostRcvbufErrors: the host's UDP
 * RcvbufErrors (/proc/net/snmp) over the same blast, which counts every socket's receive-buffer overflows.
 */
interface Row { receiver: string; rate: number; sent: number; achievedPerS: number; accepted: number; lost: number; kernelDrops: number | undefined; hostRcvbufErrors: number | undefined; acceptedPerS: number; maxScansPerDevice?: number; notRun?: string }
const rcvbufErrors = () => udpReceiveBufferErrors() ?? NaN;
const rows: Row[] = [];

// priscan: devices known by address, priority scanning off (nothing answers on these addresses;
// scans would only time out). The notifications still request scans, coalesced per device.
const t = await startTestDaemon({ notifications: { listen: { address: '127.0.0.1', port: 0 }, community: COMMUNITY }, scanning: { concurrency: 64 } }, { licensedNodes: DEVICES });
for (const [i, address] of sources.entries()) {
  t.running.devices.add({ name: `dev-${i + 1}`, address, port: 16299, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null }, profile: 'priscan-sim', priorityScanning: false, intervalSeconds: 3600, timeoutMs: 100, retries: 0, origin: 'config' });
}
const port = t.running.intake.port;
for (const rate of RATES) {
  const acceptedBefore = await t.metric('priscan_notifications_received_total', { result: 'accepted' });
  const dropsBefore = socketDrops(port) ?? 0;
  const requestsBefore = await t.metric('priscan_scan_requests_total', { trigger: 'trap', result: 'queued' });
  const followBefore = await t.metric('priscan_scan_requests_total', { trigger: 'trap', result: 'follow-up' });
  const hostBefore = rcvbufErrors();
  const result = await blast(port, rate);
  await settle();
  const accepted = (await t.metric('priscan_notifications_received_total', { result: 'accepted' })) - acceptedBefore;
  const scans = (await t.metric('priscan_scan_requests_total', { trigger: 'trap', result: 'queued' })) - requestsBefore + ((await t.metric('priscan_scan_requests_total', { trigger: 'trap', result: 'follow-up' })) - followBefore);
  rows.push({ receiver: 'priscan', rate, sent: result.sent, achievedPerS: Math.round((result.sent / result.elapsedMs) * 1000), accepted, lost: result.sent - accepted, kernelDrops: (socketDrops(port) ?? 0) - dropsBefore, hostRcvbufErrors: rcvbufErrors() - hostBefore, acceptedPerS: Math.round((accepted / result.elapsedMs) * 1000), maxScansPerDevice: scans / DEVICES });
  // Let the coalesced scans drain before the next rate.
  while (t.running.scheduler.queued + t.running.scheduler.running > 0) await new Promise((r) => setTimeout(r, 50));
}
await t.stop();

// Debian's snmptrapd on the same stream: it logs each trap it accepts (one short line).
const snmptrapd = findTool('snmptrapd');
if (!snmptrapd) console.log('snmptrapd: not installed (apt-get install snmptrapd): its baseline is not reported');
else {
  const scratch = mkdtempSync(join(tmpdir(), 'priscan-snmptrapd-'));
  // Its persistent state goes elsewhere: snmptrapd writes SNMP_PERSISTENT_DIR/snmptrapd.conf on exit, which
  // would overwrite this config, and every later instance would then refuse the community and log nothing.
  const persistent = join(scratch, 'persistent');
  mkdirSync(persistent);
  writeFileSync(join(scratch, 'snmptrapd.conf'), `authCommunity log ${COMMUNITY}\nformat2 %B\\n\ndoNotRetainNotificationLogs yes\n`);
  for (const [i, rate] of RATES.entries()) {
    // A fresh instance, port and pid file per rate, so no run inherits another's backlog.
    const trapPort = 16292 - i;
    const logFile = join(scratch, `traps-${rate}.log`);
    const args = ['-f', '-C', '-c', join(scratch, 'snmptrapd.conf'), '-Lf', logFile, '-m', '', '-n', '-p', join(scratch, `pid-${rate}`), `udp:127.0.0.1:${trapPort}`];
    const daemon = pinned ? spawn('taskset', ['-c', '1', snmptrapd, ...args], { env: { ...process.env, SNMP_PERSISTENT_DIR: persistent } }) : spawn(snmptrapd, args, { env: { ...process.env, SNMP_PERSISTENT_DIR: persistent } });
    let stderr = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    // It logs its version once its port is open; one that exits (e.g. the port is taken) is reported, not counted as 0 accepted.
    const started = await untilLogged(logFile, 'NET-SNMP version', () => daemon.exitCode === null, 10_000);
    if (!started) {
      const why = daemon.exitCode === null ? 'did not start within 10 s' : `exited ${daemon.exitCode}: ${(stderr || readLog(logFile)).trim().split('\n').at(-1)}`;
      daemon.kill('SIGKILL');
      rows.push({ receiver: 'snmptrapd', rate, sent: 0, achievedPerS: 0, accepted: 0, lost: 0, kernelDrops: undefined, hostRcvbufErrors: undefined, acceptedPerS: 0, notRun: `snmptrapd on port ${trapPort} ${why}` });
      console.log(`snmptrapd at ${rate}/s: NOT RUN: port ${trapPort} ${why}`);
      continue;
    }
    const dropsBefore = socketDrops(trapPort) ?? 0;
    const hostBefore = rcvbufErrors();
    const result = await blast(trapPort, rate);
    // snmptrapd works through its socket backlog after the sender stops: count once its log stops growing.
    const logged = () => readLog(logFile).split('\n').filter((l) => l.includes('127.0.')).length;
    let accepted = logged();
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 60_000; waited += 500) {
      await new Promise((r) => setTimeout(r, 500));
      const now = logged();
      quiet = now === accepted ? quiet + 1 : 0;
      accepted = now;
    }
    const kernelDrops = (socketDrops(trapPort) ?? 0) - dropsBefore;
    const hostRcvbufErrors = rcvbufErrors() - hostBefore;
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    // It flushes its log on exit: what it had accepted but not yet written counts too.
    accepted = Math.max(accepted, logged());
    // Its accepted rate is what it got through while the stream lasted plus its catching up afterwards.
    rows.push({ receiver: 'snmptrapd', rate, sent: result.sent, achievedPerS: Math.round((result.sent / result.elapsedMs) * 1000), accepted, lost: result.sent - accepted, kernelDrops, hostRcvbufErrors, acceptedPerS: Math.round((accepted / result.elapsedMs) * 1000) });
  }
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nintake load: ${DEVICES} source addresses, ${DURATION_MS} ms per rate, sender ${pinned ? 'pinned to core 0, receiver to core 1' : 'not pinned'}\n`);
console.log('receiver   target/s  sent/s    accepted/s  lost     socket drops  host RcvbufErrors  scans/device (mean, whole stream)');
for (const r of rows.filter((x) => !x.notRun)) {
  console.log(`${r.receiver.padEnd(10)} ${String(r.rate).padEnd(9)} ${String(r.achievedPerS).padEnd(9)} ${String(r.acceptedPerS).padEnd(11)} ${String(r.lost).padEnd(8)} ${String(r.kernelDrops ?? '-').padEnd(13)} ${String(r.hostRcvbufErrors ?? '-').padEnd(18)} ${r.maxScansPerDevice === undefined ? '-' : r.maxScansPerDevice.toFixed(2)}`);
}
const ratios = RATES.map((rate) => {
  const p = rows.find((r) => r.receiver === 'priscan' && r.rate === rate);
  const s = rows.find((r) => r.receiver === 'snmptrapd' && r.rate === rate && !r.notRun);
  return { rate, acceptedRatio: p && s && s.acceptedPerS > 0 ? Math.round((p.acceptedPerS / s.acceptedPerS) * 100) / 100 : null };
});
for (const { rate, acceptedRatio } of ratios) {
  if (acceptedRatio !== null) console.log(`rate ${rate}/s: priscan accepted ${acceptedRatio.toFixed(2)}x snmptrapd's`);
}
const atGoalRate = ratios.find((r) => r.rate === GOAL.rate)?.acceptedRatio ?? null;
const goals = {
  priscanZeroLossUpTo50k: RATES.some((r) => r <= GOAL.rate) ? rows.filter((r) => r.receiver === 'priscan' && r.rate <= GOAL.rate).every((r) => r.lost === 0) : null,
  accepted3xSnmptrapdAt50k: atGoalRate === null ? null : atGoalRate >= GOAL.acceptedRatio,
};
console.log(`goals: zero loss up to ${GOAL.rate}/s ${goals.priscanZeroLossUpTo50k}; at ${GOAL.rate}/s at least ${GOAL.acceptedRatio}x snmptrapd's accepted rate ${goals.accepted3xSnmptrapdAt50k ?? 'not measured'}`);
const baseline = snmptrapd ? { tool: 'snmptrapd (Debian net-snmp)' } : { notRun: 'snmptrapd not installed' };
console.log(`RESULT ${JSON.stringify({ bench: 'intake-load', name: 'intake-load', quick: Boolean(values.quick), devices: DEVICES, durationMs: DURATION_MS, baseline, rows, ratios, goals, machine: { cores: cpus().length, node: process.version, pinned, loadAverage1m: { start: Math.round(loadAtStart! * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 } } })}`);
