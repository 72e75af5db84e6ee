import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type pg from 'pg';
import { ClusterError, isFencedError } from '../../cluster/errors.js';
import { FENCE_SQL } from '../../cluster/fence.js';
import { StoreError } from '../errors.js';
import type { WriteOptions } from '../session.js';
import { BRIDGE_WORKER_SOURCE } from './bridge-worker.js';
import { PostgresError } from './errors.js';

/** Where PostgreSQL is and how long a call may take. The password is in `connection`, never logged. */
export interface BridgeOptions {
  connection: pg.ClientConfig;
  /** Every call's limit, connecting included: a PostgreSQL that does not answer becomes a StoreError, never a hang. */
  timeoutMs: number;
  /** Reconnection back-off in the worker, doubling from min to max. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** A statement prepared once per session (PostgreSQL parses and plans it once), run by position. */
export interface BridgeStatement {
  all<R>(values?: readonly unknown[]): R[];
  get<R>(values?: readonly unknown[]): R | undefined;
  /** How many rows it changed. */
  run(values?: readonly unknown[]): number;
}

/** What the bridge has done, for tests (an unchanged scan writes nothing) and the bench. */
export interface BridgeStats {
  calls: number;
  transactions: number;
  /** INSERT, UPDATE and DELETE statements run. */
  writes: number;
}

type Answer =
  | { id: number; ok: true; session: number; rows?: Record<string, unknown>[]; rowCount?: number; binary?: string[] }
  | { id: number; ok: false; error: { message: string; code?: string; sqlstate?: string; errno?: string; constraint?: string; table?: string; column?: string } };

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;
const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;
/** How long a worker thread may take to start (loading node-postgres), on a loaded machine. */
const WORKER_START_MS = 5000;

/**
 * A synchronous PostgreSQL connection, so the store's API stays synchronous whichever database
 * holds it: a worker thread owns the session, the calling thread posts {sql, values} and blocks
 * (Atomics.wait on a shared Int32) until the answer is there, then takes it with
 * receiveMessageOnPort (the technique synckit uses). Each call blocks the event loop for one
 * round trip to PostgreSQL (figures in docs/scale-out.md).
 *
 * One session per bridge, so a transaction is pinned to it. Every call has a time limit; a call
 * past it resets the session (its state is unknown) and fails with STORE_TIMEOUT. While the worker
 * reconnects, calls fail at once with STORE_UNAVAILABLE; a transaction whose session was lost
 * fails rather than going on in another.
 */
export class SyncBridge {
  /** Starts the worker and connects; throws STORE_UNAVAILABLE if PostgreSQL cannot be reached now. */
  static open(options: BridgeOptions): SyncBridge {
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const worker = new Worker(BRIDGE_WORKER_SOURCE, {
      eval: true,
      // None of the parent's flags: the worker is CommonJS, and --input-type=module would make it a module.
      execArgv: [],
      workerData: {
        port: channel.port2,
        signal,
        connection: options.connection,
        timeoutMs: options.timeoutMs,
        reconnectMinMs: options.reconnectMinMs ?? RECONNECT_MIN_MS,
        reconnectMaxMs: options.reconnectMaxMs ?? RECONNECT_MAX_MS,
        pgPath: createRequire(import.meta.url).resolve('pg'),
      },
      transferList: [channel.port2],
    });
    const bridge = new SyncBridge({ worker, port: channel.port1, signal: new Int32Array(signal), timeoutMs: options.timeoutMs });
    bridge.watch();
    try {
      // The worker's own connection timeout bounds the connect; the allowance is for the thread to start.
      bridge.call({ op: 'connect' }, 'connect', { timeoutMs: options.timeoutMs + WORKER_START_MS });
    } catch (error) {
      bridge.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreError('STORE_UNAVAILABLE', `cannot connect to PostgreSQL: ${reason}`, { cause: error });
    }
    return bridge;
  }

  private nextId = 0;
  private nextStatement = 0;
  /** Savepoints deep inside the open transaction; 0 outside one. */
  private depth = 0;
  /** The session the open transaction runs on. */
  private transactionSession: number | undefined;
  private closed = false;
  private exited: string | undefined;
  private readonly counts: BridgeStats = { calls: 0, transactions: 0, writes: 0 };

  private constructor(private readonly parts: { worker: Worker; port: MessagePort; signal: Int32Array; timeoutMs: number }) {}

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  stats(): BridgeStats {
    return { ...this.counts };
  }

  /** Runs one statement (or, without values, several separated by semicolons). */
  query<R = Record<string, unknown>>(text: string, values: readonly unknown[] = [], name?: string): QueryResult<R> {
    if (WRITE.test(text)) this.counts.writes++;
    const answer = this.call({ op: 'query', text, values, name, session: this.transactionSession }, text);
    return { rows: answer.rows as R[], rowCount: answer.rowCount };
  }

  prepare(text: string): BridgeStatement {
    const name = `priscan_${++this.nextStatement}`;
    return {
      all: <R>(values: readonly unknown[] = []) => this.query<R>(text, values, name).rows,
      get: <R>(values: readonly unknown[] = []) => this.query<R>(text, values, name).rows[0],
      run: (values: readonly unknown[] = []) => this.query(text, values, name).rowCount,
    };
  }

  /**
   * Runs `work` between BEGIN and COMMIT (ROLLBACK if it throws) on the pinned session; called
   * inside a transaction, it is a savepoint of it. With a fence, the shard's epoch is checked
   * first (SHARD_FENCED if this collector lost the shard) and its lease held until the commit.
   */
  transaction<T>(work: () => T, options: WriteOptions = {}): T {
    if (this.depth > 0) return this.savepoint(work);
    const begun = this.call({ op: 'query', text: 'BEGIN' }, 'BEGIN');
    this.counts.transactions++;
    this.transactionSession = begun.session;
    this.depth = 1;
    try {
      if (options.fence) this.fence(options.fence);
      const value = work();
      if (isThenable(value)) throw new TypeError('a store transaction cannot return a promise: its work must be synchronous');
      this.query('COMMIT');
      return value;
    } catch (error) {
      this.quietly('ROLLBACK');
      throw error;
    } finally {
      this.depth = 0;
      this.transactionSession = undefined;
    }
  }

  /** Ends the session and the worker; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { worker, port } = this.parts;
    if (this.exited === undefined) {
      try {
        this.call({ op: 'close' }, 'close', { closing: true });
      } catch {
        // Gone or stuck: terminate() below ends it either way.
      }
    }
    port.close();
    void worker.terminate();
  }

  private savepoint<T>(work: () => T): T {
    const name = `priscan_savepoint_${this.depth}`;
    this.query(`SAVEPOINT ${name}`);
    this.depth++;
    try {
      const value = work();
      this.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (error) {
      this.quietly(`ROLLBACK TO SAVEPOINT ${name}`);
      this.quietly(`RELEASE SAVEPOINT ${name}`);
      throw error;
    } finally {
      this.depth--;
    }
  }

  private fence({ shard, epoch }: { shard: number; epoch: number }): void {
    try {
      this.query(FENCE_SQL, [shard, epoch]);
    } catch (error) {
      if (isFencedError(error)) throw new ClusterError('SHARD_FENCED', (error as Error).message, { cause: error });
      throw error;
    }
  }

  /** Undoing after a failure: a session lost meanwhile has undone it already. */
  private quietly(text: string): void {
    try {
      this.call({ op: 'query', text, session: this.transactionSession }, text);
    } catch {
      // The original error is the one worth reporting.
    }
  }

  private watch(): void {
    const { worker, port } = this.parts;
    // A worker that dies is reported by the next call at once, rather than by its time limit.
    worker.on('error', (error) => (this.exited = `the PostgreSQL worker failed: ${error.message}`));
    worker.on('exit', (code) => (this.exited ??= `the PostgreSQL worker exited (${code})`));
    // The bridge never waits on the event loop: neither keeps the process alive.
    worker.unref();
    port.unref();
  }

  /** Posts a request and blocks until its answer, or the time limit. */
  private call(
    request: Record<string, unknown>,
    what: string,
    { closing = false, timeoutMs = this.parts.timeoutMs }: { closing?: boolean; timeoutMs?: number } = {},
  ): Extract<Answer, { ok: true }> & { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.closed && !closing) throw new StoreError('STORE_CLOSED', 'the store is closed');
    if (this.exited !== undefined) throw new StoreError('STORE_UNAVAILABLE', this.exited);
    this.counts.calls++;
    const { port, signal } = this.parts;
    const id = ++this.nextId;
    port.postMessage({ ...request, id });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      // Read the counter before looking: an answer posted after the look bumps it, so the wait returns at once.
      const seen = Atomics.load(signal, 0);
      for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
        const answer = message.message as Answer;
        // Answers to calls that timed out arrive late: dropped.
        if (answer.id === id) return this.settle(answer);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        port.postMessage({ op: 'reset', id: ++this.nextId });
        throw new StoreError('STORE_TIMEOUT', `PostgreSQL did not answer within ${timeoutMs} ms (${summary(what)}); the session was reset`);
      }
      Atomics.wait(signal, 0, seen, left);
    }
  }

  private settle(answer: Answer): Extract<Answer, { ok: true }> & { rows: Record<string, unknown>[]; rowCount: number } {
    if (!answer.ok) throw failure(answer.error);
    const rows = answer.rows ?? [];
    // bytea arrives as Uint8Array (a Buffer does not survive the thread boundary as one).
    for (const column of answer.binary ?? []) {
      for (const row of rows) {
        const value = row[column];
        if (value instanceof Uint8Array) row[column] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
    return { ...answer, rows, rowCount: answer.rowCount ?? 0 };
  }
}

function failure(error: Extract<Answer, { ok: false }>['error']): Error {
  if (error.sqlstate) return new PostgresError({ ...error, sqlstate: error.sqlstate });
  if (error.code === 'STORE_UNAVAILABLE') return new StoreError('STORE_UNAVAILABLE', error.message);
  return new StoreError('STORE_UNAVAILABLE', `PostgreSQL: ${error.errno ? `${error.errno}: ` : ''}${error.message}`);
}

/** The first words of a statement, to say which call timed out (never its values). */
function summary(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 60)}…` : flat;
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
