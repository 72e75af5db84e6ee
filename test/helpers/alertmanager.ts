import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, until } from './tools.js';

export const alertmanagerBinary = findTool('prometheus-alertmanager');

/** An alert as `GET /api/v2/alerts` returns it (`gettableAlert`). */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

/** A TCP port free on `host` now, for a program that cannot be told to take port 0 and say which it got. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Gossip settings of one peer of an Alertmanager cluster: its own port, and its peers'. */
interface Gossip {
  port: number;
  peers: number[];
}

/**
 * Debian's Alertmanager on a loopback port with a null receiver, alone or one peer of a cluster
 * gossiping on loopback. It can be stopped and started again on the same ports and storage, as
 * an operator's restart would.
 */
export class TestAlertmanager {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly url: string,
    private readonly port: number,
    private readonly scratch: string,
    private readonly gossip?: Gossip,
  ) {}

  static async start(gossip?: Gossip): Promise<TestAlertmanager> {
    const scratch = mkdtempSync(join(tmpdir(), 'priscan-alertmanager-'));
    writeFileSync(join(scratch, 'alertmanager.yml'), "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
    const port = await freePort();
    const am = new TestAlertmanager(`http://127.0.0.1:${port}`, port, scratch, gossip);
    await am.start();
    return am;
  }

  /**
   * `count` Alertmanagers gossiping as one cluster, as an HA set is deployed. Peers share
   * silences and who was notified, never alerts: a client must send each alert to every peer.
   */
  static async startCluster(count: number): Promise<TestAlertmanager[]> {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    return Promise.all(ports.map((port) => TestAlertmanager.start({ port, peers: ports.filter((p) => p !== port) })));
  }

  async start(): Promise<void> {
    const child = spawn(
      alertmanagerBinary!,
      [
        `--config.file=${join(this.scratch, 'alertmanager.yml')}`,
        `--storage.path=${join(this.scratch, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        ...(this.gossip
          ? [`--cluster.listen-address=127.0.0.1:${this.gossip.port}`, ...this.gossip.peers.map((peer) => `--cluster.peer=127.0.0.1:${peer}`)]
          : ['--cluster.listen-address=']), // no gossip: a single instance on loopback
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4000)));
    await until(
      'Alertmanager to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`Alertmanager exited with ${child.exitCode}:\n${this.log}`);
        try {
          return (await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok;
        } catch {
          return false; // not listening yet
        }
      },
      15_000,
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** Every alert Alertmanager holds as active (resolved ones are never listed). */
  async activeAlerts(): Promise<GettableAlert[]> {
    const response = await fetch(`${this.url}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`, { signal: AbortSignal.timeout(2000) });
    if (response.status !== 200) throw new Error(`Alertmanager answered ${response.status}`);
    return (await response.json()) as GettableAlert[];
  }

  /** One counter from Alertmanager's own /metrics. */
  async counter(series: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
  }
}
