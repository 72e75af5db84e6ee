// SNMPv3 cold start: a storm of authPriv traps (SHA-256 + AES-128) from devices whose keys the
// intake has not derived yet (the daemon just started, or the devices were just added), each
// device with its own user, passwords and engine. Run back to back in one process, on a fresh
// intake each time: the keys derived in the receive path, as before issue 12's hardening
// ("inline": KeyCache.localize in the listener), and as the intake does now ("worker": a worker
// thread derives them from the moment the devices are added, messages wait until they are ready).
// For each: the longest the event loop was blocked (perf_hooks.monitorEventLoopDelay), how long
// until every device had a trap accepted, and what was accepted, dropped while waiting for keys,
// lost in the socket, or never counted.
// Usage: node dist/bench/v3-cold-start.js [--devices 1000] [--rate 5000] [--seconds 2] [--repeats 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PRISCAN_SIM, SNMPV2 } from '../src/profiles/oids.js';
import { PduType, VarType } from '../src/snmp/message.js';
import { WorkerKeyDeriver } from '../src/snmp/key-derivation.js';
import { KeyCache, type UsmUser } from '../src/snmp/usm.js';
import { UsmKeyStore } from '../src/snmp/usm-keys.js';
import { encodeV3 } from '../src/snmp/v3.js';
import { NotificationIntake, type IntakeKeys } from '../src/traps/intake.js';
import { NotificationSources } from '../src/traps/sources.js';
import { socketDrops } from '../test/helpers/notifications.js';
import { blast, intakeSources, writeDatagrams } from './lib/intake-stream.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '1000' }, rate: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '2' }, repeats: { type: 'string', default: '1' } },
});
const DEVICES = Number(values.devices);
const RATE = Number(values.rate);
const DURATION_MS = Number(values.seconds) * 1000;
const REPEATS = Number(values.repeats);
const loadAtStart = loadavg();
const sources = intakeSources(DEVICES);
const scratch = mkdtempSync(join(tmpdir(), 'priscan-v3-cold-'));
const engine = { engineId: Buffer.from('80007ed905636f6c64', 'hex'), boots: 1, time: () => 0 };

const users: UsmUser[] = sources.map((_, i) => ({ name: `dev${i + 1}-ops`, level: 'authPriv', authProtocol: 'sha256', authPassword: `auth-${i + 1}-passw0rd`, privProtocol: 'aes128', privPassword: `priv-${i + 1}-passw0rd` }));
const engineIds = sources.map((_, i) => Buffer.concat([Buffer.from('80007ed904', 'hex'), Buffer.from(`cold-${i + 1}`)]));
process.stderr.write(`encoding ${DEVICES} devices' traps (the sender's keys: not measured)\n`);
const senderKeys = new KeyCache(DEVICES * 2);
const datagramsFile = join(scratch, 'traps.bin');
writeDatagrams(
  datagramsFile,
  users.map((user, i) =>
    encodeV3({
      msgId: i + 1,
      reportable: false,
      level: 'authPriv',
      userName: user.name,
      keys: senderKeys.localize(user, engineIds[i]!),
      engineId: engineIds[i]!,
      clock: { boots: 1, time: 1000 },
      contextEngineId: engineIds[i]!,
      pdu: {
        type: PduType.TrapV2,
        requestId: i + 1,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 100_000 },
          { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: PRISCAN_SIM.alertPresent },
        ],
      },
    }),
  ),
);

/** inline: keys derived in the receive path (before); worker: in a worker thread (after); warm: every key derived before the storm (the floor: what the storm costs without any derivation). */
type Mode = 'inline' | 'worker' | 'warm';
const MODES: readonly Mode[] = ['inline', 'worker', 'warm'];

/** The listener deriving keys itself, as before: every lookup derives what is missing, at once. */
function inlineKeys(): IntakeKeys {
  const cache = new KeyCache(DEVICES * 2);
  return { localize: (user, engineId) => cache.localize(user, engineId), prepare: () => undefined, whenDerived: async () => true, stop: async () => undefined };
}

interface Run {
  mode: Mode;
  sent: number;
  /** Longest and 99th-percentile event-loop delay over the storm and its backlog, ms. */
  maxDelayMs: number;
  /** When the longest delay ended, ms after the storm began. */
  maxDelayAtMs: number;
  /** Stalls over 20 ms (gap between 1 ms ticks): when each ended, how long, and the garbage collection inside it. */
  stalls: Array<{ atMs: number; ms: number; gcMs: number }>;
  p99DelayMs: number;
  /** From the storm's start until the last device had a trap accepted; null if some never did. */
  allDevicesMs: number | null;
  devicesAccepted: number;
  results: Record<string, number>;
  /** Counted by the socket as dropped (its receive buffer was full). */
  socketDrops: number;
  /** Sent but never counted with any result (socket drops included). */
  lost: number;
}

async function coldStart(mode: Mode): Promise<Run> {
  const results: Record<string, number> = {};
  const firstAccepted = new Map<number, number>();
  let intake: NotificationIntake | undefined;
  const table = new NotificationSources({ onUsmUser: (user) => intake?.prepareKeys(user) });
  let stormStart = 0;
  const keys = mode === 'inline' ? inlineKeys() : new UsmKeyStore({ cache: new KeyCache(DEVICES * 2), deriver: new WorkerKeyDeriver() });
  intake = new NotificationIntake({
    address: '127.0.0.1',
    port: 0,
    receiveBufferBytes: 4 * 1024 * 1024,
    now: () => Date.now(),
    sourceFor: (address) => table.lookup(address),
    onNotification: (n) => {
      if (!firstAccepted.has(n.deviceId)) firstAccepted.set(n.deviceId, performance.now() - stormStart);
    },
    engine,
    observer: { notification: (_version, _kind, result) => (results[result] = (results[result] ?? 0) + 1) },
    usmKeys: keys,
  });
  await intake.start();
  const port = intake.port;
  const dropsBefore = socketDrops(port) ?? 0;
  sources.forEach((address, i) => table.set(address, { deviceId: i + 1, community: 'unused', usm: users[i]! }));
  // warm: the keys are all there before the storm. Otherwise the devices were just added (a
  // start-up loading them, or an operator's batch) and the storm begins at once.
  if (mode === 'warm') await Promise.all(users.map((user) => keys.whenDerived(user)));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  stormStart = performance.now();
  let longest = { gap: 0, at: 0 };
  let lastTick = stormStart;
  const gaps: Array<{ from: number; to: number }> = [];
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - lastTick > longest.gap) longest = { gap: now - lastTick, at: now - stormStart };
    if (now - lastTick > 20) gaps.push({ from: lastTick, to: now });
    lastTick = now;
  }, 1);
  const collections: Array<{ start: number; duration: number }> = [];
  const gc = new PerformanceObserver((list) => collections.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration }))));
  gc.observe({ entryTypes: ['gc'] });
  const sent = await blast({ sources, port, rate: RATE, durationMs: DURATION_MS, datagramsFile }, false);
  // Taken in once every datagram is counted, or nothing more is counted for 2 s.
  const counted = () => Object.values(results).reduce((a, b) => a + b, 0);
  for (let last = -1, quietMs = 0; counted() < sent.sent && quietMs < 2000 && performance.now() - stormStart < 300_000; ) {
    await new Promise((r) => setTimeout(r, 100));
    quietMs = counted() === last ? quietMs + 100 : 0;
    last = counted();
  }
  delay.disable();
  clearInterval(ticker);
  gc.disconnect();
  const stalls = gaps.map(({ from, to }) => ({
    atMs: Math.round(to - stormStart),
    ms: Math.round(to - from),
    gcMs: Math.round(collections.filter((c) => c.start < to && c.start + c.duration > from).reduce((sum, c) => sum + Math.min(to, c.start + c.duration) - Math.max(from, c.start), 0)),
  }));
  const socket = (socketDrops(port) ?? 0) - dropsBefore;
  await intake.stop();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  return {
    mode,
    sent: sent.sent,
    maxDelayMs: ms(delay.max),
    maxDelayAtMs: Math.round(longest.at),
    stalls,
    p99DelayMs: ms(delay.percentile(99)),
    allDevicesMs: firstAccepted.size === DEVICES ? Math.round(Math.max(...firstAccepted.values())) : null,
    devicesAccepted: firstAccepted.size,
    results,
    socketDrops: socket,
    lost: sent.sent - counted(),
  };
}

const runs: Run[] = [];
for (let r = 0; r < REPEATS; r++) {
  for (const mode of MODES) {
    process.stderr.write(`run ${r + 1}/${REPEATS}: ${mode}\n`);
    runs.push(await coldStart(mode));
  }
}
rmSync(scratch, { recursive: true, force: true });

console.log(`\nSNMPv3 cold start: ${DEVICES} new devices (each its own user and engine; SHA-256 + AES-128), ${RATE}/s for ${DURATION_MS} ms (${Math.round((RATE * DURATION_MS) / 1000 / DEVICES)} traps per device), not pinned\n`);
console.log('| keys derived | max event-loop delay (at) | p99 | stalls > 20 ms (of them GC) | every device accepted after | accepted | dropped awaiting keys | lost (socket drops) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
const WHERE: Record<Mode, string> = { inline: 'in the receive path (before)', worker: 'in a worker thread (after)', warm: 'before the storm (floor)' };
for (const run of runs) {
  console.log(
    `| ${WHERE[run.mode]} | ${run.maxDelayMs} ms (${run.maxDelayAtMs} ms) | ${run.p99DelayMs} ms | ${run.stalls.length}: ${run.stalls.reduce((a, x) => a + x.ms, 0)} ms (${run.stalls.reduce((a, x) => a + x.gcMs, 0)} ms) | ${run.allDevicesMs === null ? `never (${run.devicesAccepted} of ${DEVICES})` : `${run.allDevicesMs} ms`} | ${run.results.accepted ?? 0} of ${run.sent} | ${run.results.dropped_awaiting_keys ?? 0} | ${run.lost} (${run.socketDrops}) |`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = Object.fromEntries(
  MODES.map((mode) => {
    const of = runs.filter((r) => r.mode === mode);
    return [mode, { maxDelayMsMedian: median(of.map((r) => r.maxDelayMs)), lostMedian: median(of.map((r) => r.lost)) }];
  }),
);
const machine = { cores: cpus().length, node: process.version, loadAverage: { start: loadAtStart.map((l) => Math.round(l * 100) / 100), end: loadavg().map((l) => Math.round(l * 100) / 100) } };
console.log(`RESULT ${JSON.stringify({ bench: 'v3-cold-start', devices: DEVICES, rate: RATE, durationMs: DURATION_MS, repeats: REPEATS, runs, summary, machine })}`);
