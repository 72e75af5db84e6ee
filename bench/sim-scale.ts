// Scale of one priscan-sim process: start-up time, memory and idle GET latency
// for a 1,000-device fleet, against a 1-device fleet measured in the same run.
//
//   npm run bench:sim              (1,000 devices, 5,000 GETs)
//   npm run bench:sim -- --quick   (1,000 devices, 1,000 GETs)
//
// The simulator runs in a child process pinned to one core (taskset) when
// taskset exists. All traffic stays on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SNMPV2 } from '../src/profiles/oids.js';
import { deviceAddress } from '../simulators/fleet.js';
import { decodeMessage, encodeMessage, PduType, VarType } from '../src/snmp/message.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = resolve(root, 'dist/simulators/cli.js');
const quick = process.argv.includes('--quick');
const GETS = quick ? 1_000 : 5_000;
const PORT = 16190;
const FLEET = 'sim:200,ups:200,apc-ups:200,netbotz:200,pdu:200';
const FLEET_SIZE = 1_000;

interface Fleet {
  child: ChildProcess;
  startupMs: number;
  reportedStartupMs: number;
}

async function startFleet(devices: string, base: string): Promise<Fleet> {
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const args = [CLI, '--devices', devices, '--base-address', base, '--port', String(PORT), '--no-control'];
  const started = performance.now();
  const child = pin ? spawn('taskset', ['-c', '0', process.execPath, ...args]) : spawn(process.execPath, args);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const reportedStartupMs = await new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error('fleet not ready within 60 s')), 60_000);
    child.on('exit', (code) => reject(new Error(`priscan-sim exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; startupMs?: number };
      if (event.event === 'ready') {
        clearTimeout(timer);
        resolveReady(event.startupMs ?? NaN);
      }
    });
  });
  return { child, startupMs: performance.now() - started, reportedStartupMs };
}

async function stopFleet(fleet: Fleet): Promise<void> {
  const exited = new Promise((r) => fleet.child.on('exit', r));
  fleet.child.kill('SIGTERM');
  await exited;
}

/** RSS of the simulator itself (taskset execs node, so the pid is node's). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Sequential GETs of sysUpTime.0 to random devices: one in flight, so the fleet is otherwise idle. */
async function measureGets(addresses: string[], count: number): Promise<number[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const samples: number[] = [];
  let pending: { requestId: number; sent: number; done: () => void } | undefined;
  socket.on('message', (datagram) => {
    const pdu = decodeMessage(datagram).pdu;
    if (pending && pdu.type === PduType.Response && pdu.requestId === pending.requestId) {
      samples.push(performance.now() - pending.sent);
      pending.done();
    }
  });
  for (let i = 0; i < count; i++) {
    const address = addresses[Math.floor(Math.random() * addresses.length)] as string;
    const request = encodeMessage({
      version: 1,
      community: Buffer.from('public'),
      pdu: { type: PduType.GetRequest, requestId: i + 1, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SNMPV2.sysUpTime, type: VarType.Null, value: null }] },
    });
    await new Promise<void>((done, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${address} within 2 s`)), 2_000);
      pending = { requestId: i + 1, sent: performance.now(), done: () => (clearTimeout(timer), done()) };
      socket.send(request, PORT, address);
    });
  }
  socket.close();
  return samples;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

async function measure(devices: string, count: number, base: string) {
  const fleet = await startFleet(devices, base);
  try {
    const addresses = Array.from({ length: count }, (_, i) => deviceAddress(base, i));
    await measureGets(addresses, Math.min(200, GETS)); // warm up the JIT on both sides
    const samples = (await measureGets(addresses, GETS)).sort((a, b) => a - b);
    return {
      devices: count,
      startupMs: Math.round(fleet.startupMs),
      reportedStartupMs: fleet.reportedStartupMs,
      rssMb: rssMb(fleet.child.pid!),
      getP50Ms: round(percentile(samples, 50)),
      getP99Ms: round(percentile(samples, 99)),
      getMaxMs: round(samples.at(-1) as number),
    };
  } finally {
    await stopFleet(fleet);
  }
}

const baseline = await measure('sim:1', 1, '127.0.31.1');
const fleet = await measure(FLEET, FLEET_SIZE, '127.0.32.1');
const result = {
  name: 'sim-scale',
  quick,
  gets: GETS,
  node: process.version,
  pinnedToOneCore: spawnSync('taskset', ['--version']).status === 0,
  baseline,
  fleet,
  ratios: {
    getP50VsOneDevice: round(fleet.getP50Ms / baseline.getP50Ms),
    getP99VsOneDevice: round(fleet.getP99Ms / baseline.getP99Ms),
  },
  goals: { startupUnder15s: fleet.startupMs < 15_000, rssUnder500Mb: fleet.rssMb < 500, getP99Under10ms: fleet.getP99Ms < 10 },
};

console.log('priscan-sim scale             1 device   1,000 devices');
console.log(`start-up (spawn to ready)  ${String(baseline.startupMs).padStart(8)} ms ${String(fleet.startupMs).padStart(10)} ms`);
console.log(`RSS                        ${String(baseline.rssMb).padStart(8)} MB ${String(fleet.rssMb).padStart(10)} MB`);
console.log(`GET p50                    ${String(baseline.getP50Ms).padStart(8)} ms ${String(fleet.getP50Ms).padStart(10)} ms  (x${result.ratios.getP50VsOneDevice})`);
console.log(`GET p99                    ${String(baseline.getP99Ms).padStart(8)} ms ${String(fleet.getP99Ms).padStart(10)} ms  (x${result.ratios.getP99VsOneDevice})`);
console.log(`BENCH ${JSON.stringify(result)}`);
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/sim-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
