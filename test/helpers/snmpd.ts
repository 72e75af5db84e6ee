// Debian's snmpd as a device for interop tests: started on a loopback address with its own
// config and persistent store, a process for its `proc` check to watch, and snmpwalk output
// parsing.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NET_SNMP } from '../../src/profiles/oids.js';
import { findTool, runTool, until, type ToolResult } from './tools.js';

export const SNMPD = findTool('snmpd');
const SLEEP = findTool('sleep', ['/usr/bin', '/bin']);

/** What an snmpd interop test needs that is not installed (empty: all there). */
export function missingForSnmpd(tools: readonly string[]): string[] {
  return [...tools.filter((t) => !findTool(t)), ...(SNMPD ? [] : ['snmpd']), ...(SLEEP ? [] : ['sleep'])];
}

/** mteTriggerFired (DISMAN-EVENT-MIB), what snmpd's `monitor` sends. */
export const MTE_TRIGGER_FIRED = '1.3.6.1.2.1.88.2.0.1';
/**
 * nsCacheTimeout (NET-SNMP-AGENT-MIB) of hrSWRunTable's cache, which prTable counts processes
 * from: 30 s by default; set it to 1 s so a dead probe shows within the monitor's 1 s sample.
 */
export const SWRUN_CACHE_TIMEOUT = '1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.25.4.2';
export const PR_ERROR_FLAG = `${NET_SNMP.prEntry}.${NET_SNMP.errorCol.flag}`;
const PR_NAMES = `${NET_SNMP.prEntry}.2`;
const PR_ERR_MESSAGE = `${NET_SNMP.prEntry}.${NET_SNMP.errorCol.message}`;
/** priscan's RFC 3413 row index: "priscan" as an IMPLIED string. */
export const PRISCAN_ROW = [...Buffer.from('priscan')].join('.');

/**
 * snmpd.conf lines for a `proc` check of `probe` and a `monitor` pair that fires once when it
 * disappears and once when it is back; `iquerySecName` is the v3 user the monitor queries as.
 * `clientaddr` makes snmpd send from the device's address, which is how priscan knows it.
 */
export function monitorConfig(probe: string, address: string): string {
  return `
createUser priscanInternal
rouser priscanInternal noauth
iquerySecName priscanInternal
proc ${probe}
monitor -r 1 -o ${PR_NAMES} -o ${PR_ERR_MESSAGE} probeDown ${PR_ERROR_FLAG} != 0
monitor -r 1 -o ${PR_NAMES} -o ${PR_ERR_MESSAGE} probeUp ${PR_ERROR_FLAG} == 0
[snmp] clientaddr ${address}
dontLogTCPWrappersConnects yes
`;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * snmpd in a scratch directory, with a probe process for its `proc` check: a copy of sleep(1)
 * under a name nothing else uses, not even a probe left over from a killed run (`proc` counts
 * by name host-wide; Linux keeps 15 characters of it).
 */
export class SnmpdFixture {
  readonly probeName = `prsc${process.pid}${Math.floor(Math.random() * 90 + 10)}`.slice(0, 15);
  output = '';
  private agent: ChildProcess | undefined;
  private probe: ChildProcess | undefined;
  private scratchDir: string | undefined;
  private readonly killAll = () => [this.probe, this.agent].forEach((c) => c && c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));

  constructor(
    readonly address: string,
    readonly port: number,
  ) {}

  /** Made on first use, so a skipped test file leaves nothing behind. */
  private get scratch(): string {
    if (!this.scratchDir) {
      this.scratchDir = mkdtempSync(path.join(tmpdir(), 'priscan-snmpd-'));
      for (const dir of ['snmpd-persist', 'tools-persist']) mkdirSync(path.join(this.scratchDir, dir));
    }
    return this.scratchDir;
  }

  /** Environment for net-snmp tools: away from /var/lib/snmp and any local snmp.conf. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, SNMP_PERSISTENT_DIR: path.join(this.scratch, 'tools-persist'), SNMPCONFPATH: this.scratch, MIBS: '' };
  }

  get target(): string {
    return `${this.address}:${this.port}`;
  }

  tool(name: string, args: string[]): Promise<ToolResult> {
    return runTool(name, args, { env: this.env, timeoutMs: 10_000 });
  }

  startProbe(): void {
    copyFileSync(SLEEP as string, path.join(this.scratch, this.probeName));
    chmodSync(path.join(this.scratch, this.probeName), 0o755);
    this.probe = spawn(path.join(this.scratch, this.probeName), ['600'], { stdio: 'ignore' });
  }

  stopProbe(): Promise<void> {
    return stopChild(this.probe);
  }

  /** Starts snmpd with `config` and waits until `ready` answers (e.g. an snmpget). */
  async start(config: string, ready: () => Promise<boolean>): Promise<void> {
    const conf = path.join(this.scratch, 'snmpd.conf');
    writeFileSync(conf, config);
    process.once('exit', this.killAll);
    // -C: no default config files; -I -smux: no SMUX listener; -m '': no MIB files needed.
    const args = ['-f', '-Lo', '-C', '-c', conf, '-I', '-smux', '-m', '', '-p', path.join(this.scratch, 'snmpd.pid'), this.target];
    const child = spawn(SNMPD as string, args, { env: { ...this.env, SNMP_PERSISTENT_DIR: path.join(this.scratch, 'snmpd-persist') }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.agent = child;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    await until('snmpd to answer', async () => {
      if (child.exitCode !== null) throw new Error(`snmpd exited with ${child.exitCode}: ${this.output}`);
      return ready();
    }, 10_000);
  }

  async stop(): Promise<void> {
    for (const child of [this.probe, this.agent]) await stopChild(child);
    process.off('exit', this.killAll);
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }
}

export interface WalkedValue {
  type: string;
  value: string;
}

/** `-On -Ox` output as OID -> value; hex dumps wrap onto following lines. */
export function parseWalk(stdout: string): Map<string, WalkedValue> {
  const out = new Map<string, WalkedValue>();
  let last: WalkedValue | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^\.([0-9.]+) = (?:([A-Za-z0-9-]+): ?)?(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (last = { type: m[2] ?? '', value: (m[3] as string).trim() }));
    else if (last && line.trim() !== '') last.value = `${last.value} ${line.trim()}`;
  }
  return out;
}

/** An octet string from the walk: `-Ox` prints every one as hex. */
export function octets(walked: Map<string, WalkedValue>, oid: string): Buffer {
  const found = walked.get(oid);
  if (found?.type !== 'Hex-STRING') throw new Error(`${oid}: expected a Hex-STRING, got ${JSON.stringify(found)}`);
  return Buffer.from(found.value.replace(/\s+/g, ''), 'hex');
}
