// SNMPv3 notification intake under load: authPriv traps (SHA-256 + AES-128) from 1,000 devices,
// each with its own source address, engine ID and USM user, at rising rates into priscan and then
// into Debian's snmptrapd configured with the same 1,000 users (`createUser -e ENGINEID`), each
// stepped up until it loses datagrams. Then where priscan's time goes per message.
// Usage: node dist/bench/intake-v3.js [--quick] [--rates 2000,5000,...] [--devices 1000]
//
// Traps, not informs: an inform costs snmptrapd an acknowledgement too (and the sender a wait),
// so the rates would measure the round trip rather than the intake. Every datagram is encoded
// beforehand with priscan's own v3 encoder, each device's trap signed and encrypted with its own
// keys, and sent by the same paced child process as the v2c bench; each rate gets a fresh
// encoding whose engine time is the time of sending, so no receiver's time window refuses a
// step that comes late in the run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PRISCAN_SIM, SNMPV2 } from '../src/profiles/oids.js';
import { PduType, VarType } from '../src/snmp/message.js';
import { KeyCache, type UsmUser } from '../src/snmp/usm.js';
import { encodeV3 } from '../src/snmp/v3.js';
import { startTestDaemon } from '../test/helpers/daemon.js';
import { findTool } from '../test/helpers/tools.js';
import { hasTaskset, pinSelf } from './lib/fleet-link.js';
import { blast, HeldScans, intakeSources, printStreamTable, priscanStream, snmptrapdStream, streamRow, writeDatagrams, type StreamRow } from './lib/intake-stream.js';
import { profileV3Steps, shares, type V3Sender } from './lib/v3-intake-profile.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rates: { type: 'string' }, devices: { type: 'string', default: '1000' } } });
const quick = Boolean(values.quick);
const RATES = (values.rates ?? (quick ? '2000,5000,10000,20000,40000' : '1000,2000,5000,10000,15000,20000,30000,40000,60000')).split(',').map(Number);
const DURATION_MS = quick ? 1000 : 3000;
const DEVICES = Number(values.devices);
const SNMPTRAPD_PORT = 17190;
const loadAtStart = loadavg()[0];
const pinned = hasTaskset() && pinSelf(1);
const sources = intakeSources(DEVICES);
const scratch = mkdtempSync(join(tmpdir(), 'priscan-intake-v3-'));

// Each device its own user and passwords, and its own engine (enterprise 32473, text format).
const users: UsmUser[] = sources.map((_, i) => ({ name: `dev${i + 1}-ops`, level: 'authPriv', authProtocol: 'sha256', authPassword: `auth-${i + 1}-passw0rd`, privProtocol: 'aes128', privPassword: `priv-${i + 1}-passw0rd` }));
const engineIds = sources.map((_, i) => Buffer.concat([Buffer.from('80007ed904', 'hex'), Buffer.from(`bench-${i + 1}`)]));
const keys = new KeyCache(DEVICES * 2);
const localized = users.map((user, i) => keys.localize(user, engineIds[i]!));
const startedAt = performance.now();

/** Every device's alert-present trap, stamped with the engine time of now. */
function encodeTraps(): Buffer[] {
  const time = 1000 + Math.floor((performance.now() - startedAt) / 1000);
  return users.map((user, i) =>
    encodeV3({
      msgId: i + 1,
      reportable: false,
      level: 'authPriv',
      userName: user.name,
      keys: localized[i]!,
      engineId: engineIds[i]!,
      clock: { boots: 1, time },
      contextEngineId: engineIds[i]!,
      pdu: {
        type: PduType.TrapV2,
        requestId: i + 1,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: time * 100 },
          { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: PRISCAN_SIM.alertPresent },
        ],
      },
    }),
  );
}

/** Encodes every device's trap now (not while a stream is measured) and returns the stream's sender. */
function sendTraps(port: number, rate: number, durationMs = DURATION_MS) {
  const datagramsFile = join(scratch, `datagrams-${port}-${rate}.bin`);
  writeDatagrams(datagramsFile, encodeTraps());
  return () => blast({ sources, port, rate, durationMs, datagramsFile }, pinned);
}

interface Row extends StreamRow {
  /** priscan: v3 datagrams counted as anything but accepted (refused by USM or malformed): load must not cause any. */
  refused?: number;
  /** priscan: CPU time the daemon's process used per accepted message over the stream. */
  cpuUsPerMessage?: number;
}
const rows: Row[] = [];

// priscan: every device v3 with its user, priority scanning off (nothing to register); scans held
// while a stream lasts, as in the v2c bench.
const held = new HeldScans();
const t = await startTestDaemon({ notifications: { listen: { address: '127.0.0.1', port: 0 } }, scanning: { concurrency: 64 } }, { licensedNodes: DEVICES, snmp: () => held });
for (const [i, address] of sources.entries()) {
  t.running.devices.add({ name: `v3-${i + 1}`, address, port: 16299, snmp: { version: '3', usm: users[i]!, contextName: null }, profile: 'priscan-sim', priorityScanning: false, intervalSeconds: 3600, timeoutMs: 60_000, retries: 0, site: null, origin: 'config' });
}
const port = t.running.intake.port;
const v3Total = () => t.metric('priscan_notifications_received_total', { version: 'v3' });
// Warm-up: one trap from each device, sent slowly and not measured, teaches priscan its engine's
// clock, and waits (held) for its user's keys (RFC 3414: 1 MiB hashed per password) if the worker
// thread, which began deriving them as the devices were added, has not finished them yet.
const acceptedV3 = () => t.metric('priscan_notifications_received_total', { version: 'v3', result: 'accepted' });
const warmUpSend = sendTraps(port, 250, (DEVICES / 250) * 1000);
const warmUpStarted = performance.now();
await warmUpSend();
while ((await acceptedV3()) < DEVICES && performance.now() - warmUpStarted < 300_000) await new Promise((r) => setTimeout(r, 200));
const warmUpMs = Math.round(performance.now() - warmUpStarted);
const warmedUp = await acceptedV3();
console.log(`priscan warm-up: ${warmedUp} of ${DEVICES} first traps accepted in ${warmUpMs} ms (sent over ${(DEVICES / 250).toFixed(1)} s; their users' keys derived in a worker thread meanwhile)`);
if (warmedUp < DEVICES) throw new Error(`priscan accepted only ${warmedUp} of the ${DEVICES} warm-up traps: its steps would measure key derivation`);
for (const rate of RATES) {
  const refusedBefore = (await v3Total()) - (await acceptedV3());
  const send = sendTraps(port, rate);
  const { result, accepted, drops, cpuUs } = await priscanStream({ t, held, labels: { version: 'v3' }, send });
  const refused = (await v3Total()) - (await acceptedV3()) - refusedBefore;
  const row: Row = { ...streamRow('priscan', rate, result, accepted, drops), refused, cpuUsPerMessage: Math.round((cpuUs / Math.max(1, accepted)) * 10) / 10 };
  rows.push(row);
  if (row.lost > 0) break;
}
await t.stop();

// snmptrapd with the same users, each localized to its device's engine, allowed to log.
const snmptrapd = findTool('snmptrapd');
if (!snmptrapd) console.log('snmptrapd: not installed (apt-get install snmptrapd): its baseline is not reported');
else {
  const configFile = join(scratch, 'trapd-v3.conf');
  const lines = users.flatMap((u, i) => [`createUser -e 0x${engineIds[i]!.toString('hex')} ${u.name} SHA-256 ${u.authPassword} AES ${u.privPassword}`, `authUser log ${u.name} priv`]);
  writeFileSync(configFile, `${lines.join('\n')}\nformat2 %B\\n\ndoNotRetainNotificationLogs yes\n`);
  for (const [i, rate] of RATES.entries()) {
    const trapPort = SNMPTRAPD_PORT + i;
    const row = await snmptrapdStream({ binary: snmptrapd, configFile, scratch, port: trapPort, rate, pinned, startTimeoutMs: 120_000, send: sendTraps(trapPort, rate) });
    rows.push(row);
    if (row.notRun || row.lost > 0) break;
  }
}

// Where the time goes: each step of the v3 path on a sample of the devices' traps, set beside
// what the daemon spent per message at its highest loss-free rate (socket and event loop included).
const SAMPLE = Math.min(100, DEVICES);
const datagrams = encodeTraps();
const senders: V3Sender[] = sources.slice(0, SAMPLE).map((address, i) => ({ address, user: users[i]!, datagram: datagrams[i]! }));
const costs = profileV3Steps(senders, keys, { rounds: quick ? 20 : 50, repeats: quick ? 3 : 7 });
const lossFree = (receiver: string) => rows.filter((r) => r.receiver === receiver && !r.notRun && r.lost === 0).at(-1);
const firstLoss = (receiver: string) => rows.find((r) => r.receiver === receiver && !r.notRun && r.lost > 0);
const reference = lossFree('priscan') ?? rows.find((r) => r.receiver === 'priscan');
const perMessageUs = reference?.cpuUsPerMessage ?? costs.receiveUs;
const split = shares(costs, perMessageUs);
rmSync(scratch, { recursive: true, force: true });

console.log(`\nSNMPv3 intake (authPriv, SHA-256 + AES-128 traps): ${DEVICES} devices, each its own address, engine and user; ${DURATION_MS} ms per rate, sender ${pinned ? 'pinned to core 0, receiver to core 1' : 'not pinned'}\n`);
printStreamTable(rows, { title: 'refused, CPU µs/message', cell: (r) => (r.refused === undefined ? '-' : `${r.refused}, ${r.cpuUsPerMessage}`) });
const highest = { priscan: lossFree('priscan')?.rate ?? 0, snmptrapd: snmptrapd ? (lossFree('snmptrapd')?.rate ?? 0) : null };
const losesAt = { priscan: firstLoss('priscan')?.rate ?? null, snmptrapd: firstLoss('snmptrapd')?.rate ?? null };
const ratio = highest.snmptrapd ? Math.round((highest.priscan / highest.snmptrapd) * 100) / 100 : null;
for (const receiver of ['priscan', 'snmptrapd'] as const) {
  if (receiver === 'snmptrapd' && !snmptrapd) continue;
  const at = losesAt[receiver];
  console.log(`${receiver}: highest rate with zero loss ${highest[receiver]}/s; ${at ? `loses datagrams at ${at}/s` : `no loss up to ${RATES.at(-1)}/s (the last step)`}`);
}
console.log(`\nper v3 message (priscan, ${perMessageUs} µs of CPU at ${reference?.rate ?? '-'}/s): ${Object.entries(split).map(([k, v]) => `${k} ${v} %`).join(', ')}`);
console.log(`steps (CPU µs, median of ${quick ? 3 : 7}): ${Object.entries(costs).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
const baseline = snmptrapd ? { tool: 'snmptrapd (Debian net-snmp), same 1,000 users' } : { notRun: 'snmptrapd not installed' };
const machine = { cores: cpus().length, node: process.version, pinned, loadAverage1m: { start: Math.round(loadAtStart! * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 } };
const profile = { perMessageUs, atRate: reference?.rate ?? null, stepsUs: costs, percent: split, sampleDevices: SAMPLE };
console.log(`RESULT ${JSON.stringify({ bench: 'intake-v3', name: 'intake-v3', quick, devices: DEVICES, durationMs: DURATION_MS, warmUpMs, baseline, rows, highestZeroLoss: highest, losesAt, ratio, profile, machine })}`);
