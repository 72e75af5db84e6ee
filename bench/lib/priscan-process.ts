// priscan as operators run it: `priscan serve --config FILE` in its own process (pinned to a
// core when asked), so its CPU time and memory can be read from /proc without the benchmark's own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/priscan.js');

export interface PriscanProcess {
  pid: number;
  url: string;
  /** performance.now() when the process was spawned, when /readyz first answered 200, and when it logged "priscan running". */
  spawnedAt: number;
  readyzAt: number;
  runningLoggedAt: number;
  /** The daemon's own log times (ms since the epoch) of "starting priscan" and "priscan running": start() to ready. */
  startLoggedMs: number;
  runningLoggedMs: number;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** SIGTERM; resolves with the exit code and how long the shutdown took. */
  stop(): Promise<{ code: number | null; stopMs: number }>;
}

/** `priscan token create` against the config's database, in its existing data directory, before the daemon holds it. */
export function createAdminToken(configFile: string): string {
  const out = spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', `bench-${Date.now()}`, '--json', '--config', configFile], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`priscan token create failed (${out.status}): ${out.stderr}`);
  return (JSON.parse(out.stdout) as { token: string }).token;
}

export async function startPriscanProcess(options: { configFile: string; httpUrl: string; token: string; core?: number; timeoutMs?: number }): Promise<PriscanProcess> {
  const args = [CLI, 'serve', '--config', options.configFile];
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  const spawnedAt = performance.now();
  const child: ChildProcess =
    options.core === undefined ? spawn(process.execPath, args, { stdio }) : spawn('taskset', ['-c', String(options.core), process.execPath, ...args], { stdio });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const logged = { startMs: NaN, runningMs: NaN, runningAt: NaN };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.includes('priscan')) return;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: number };
      if (entry.msg === 'starting priscan') logged.startMs = entry.time ?? NaN;
      if (entry.msg === 'priscan running') {
        logged.runningMs = entry.time ?? NaN;
        logged.runningAt = performance.now();
      }
    } catch {
      // not a log line
    }
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${options.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const stop = async () => {
    const started = performance.now();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exit;
    clearTimeout(timer);
    return { code, stopMs: Math.round(performance.now() - started) };
  };
  const deadline = spawnedAt + (options.timeoutMs ?? 60_000);
  let readyzAt = NaN;
  while (Number.isNaN(readyzAt)) {
    if (child.exitCode !== null) throw new Error(`priscan serve exited ${child.exitCode}: ${stderr}`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`priscan did not answer /readyz within ${(options.timeoutMs ?? 60_000) / 1000} s: ${stderr}`);
    }
    try {
      if ((await fetch(`${options.httpUrl}/readyz`)).ok) readyzAt = performance.now();
    } catch {
      // not listening yet
    }
    if (Number.isNaN(readyzAt)) await new Promise((r) => setTimeout(r, 5));
  }
  // The log line is written before the socket answers, but the pipe may deliver it a little later.
  for (let i = 0; i < 100 && Number.isNaN(logged.runningAt); i++) await new Promise((r) => setTimeout(r, 10));
  return {
    pid: child.pid ?? NaN,
    url: options.httpUrl,
    spawnedAt,
    readyzAt,
    runningLoggedAt: logged.runningAt,
    startLoggedMs: logged.startMs,
    runningLoggedMs: logged.runningMs,
    api,
    stop,
  };
}
