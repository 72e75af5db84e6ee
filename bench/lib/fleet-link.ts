// The benchmark's handle on its simulator child process: spawn (pinned to a core when
// taskset exists), request/reply over Node IPC, and a stop that always ends the child.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetCommand, FleetReply } from './fleet-protocol.js';

const WORKER = resolve(dirname(fileURLToPath(import.meta.url)), 'fleet-worker.js');
const REPLY_TIMEOUT_MS = 60_000;

/** Distributes the command union over its members, so callers omit the id field. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type ReplyOf<T extends FleetCommand['type']> = Extract<
  FleetReply,
  { type: { start: 'started'; change: 'changed'; storm: 'stormed'; 'clear-all': 'cleared-all'; counters: 'counters'; behave: 'behaved'; 'drop-rate': 'drop-rate-set'; notify: 'notified'; 'set-reading': 'reading-set'; drift: 'drifted'; managers: 'managers'; stop: 'stopped' }[T] }
>;

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version']).status === 0;
}

/** Pins this process and all its threads (V8 and libuv helpers included) to one core. */
export function pinSelf(core: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)]).status === 0;
}

export class FleetLink {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: FleetReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: FleetReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.type === 'failed') waiting.reject(new Error(`simulator: ${reply.message}`));
      else waiting.resolve(reply);
    });
    child.on('exit', (code) => {
      this.exited = true;
      for (const waiting of this.pending.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`simulator process exited (${code}) with requests pending`));
      }
      this.pending.clear();
    });
  }

  /** Starts the child; on a core of its own when `core` is given. */
  static spawn(core: number | undefined): FleetLink {
    const args = [WORKER];
    // 'ipc' on fd 3 survives taskset's exec of node, so the pinned child still talks IPC.
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    const child =
      core === undefined
        ? spawn(process.execPath, args, { stdio })
        : spawn('taskset', ['-c', String(core), process.execPath, ...args], { stdio });
    return new FleetLink(child);
  }

  /** The simulator's process id (taskset execs node, so it is node's): for CPU and memory readings. */
  get pid(): number {
    return this.child.pid ?? NaN;
  }

  request<C extends WithoutId<FleetCommand>>(command: C): Promise<ReplyOf<C['type']>> {
    if (this.exited) return Promise.reject(new Error('simulator process has exited'));
    const id = this.nextId++;
    return new Promise<FleetReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`simulator did not answer "${command.type}" within ${REPLY_TIMEOUT_MS / 1000} s`));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ ...command, id });
    }) as Promise<ReplyOf<C['type']>>;
  }

  /** Stops the fleets (closing every socket), then the process; kills it if it does not go. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ type: 'stop' }).catch(() => undefined);
    this.child.disconnect?.();
    const killTimer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  }
}
