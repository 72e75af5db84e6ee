import { CliError, EXIT, type ApiTarget } from './api-client.js';

/** The server sends a comment every 15 s: a connection silent for this long is dead (a lost peer sends no FIN). */
const IDLE_LIMIT_MS = 45_000;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 2_000;

export interface FollowOptions {
  target: ApiTarget;
  /** The stream as first opened (before the active alarms were listed, so nothing falls between). */
  opened: Response;
  /** How long the daemon may stay away (a restart, say) before following gives up with exit 3. */
  reconnectTimeoutMs: number;
  /** One event's JSON, in log order, each once. */
  onEvent: (data: string) => void;
  /** Progress for a person (reconnecting, resumed); not part of the output. */
  notice: (line: string) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Follows the alarm stream across daemon restarts: when the connection ends or breaks it
 * reconnects with Last-Event-ID, so the daemon replays what was stored meanwhile and nothing is
 * missed or printed twice. Returns when `signal` aborts; throws CliError (exit 3) when the
 * daemon stays away longer than the limit, at once when the token is refused (exit 4).
 */
export async function followAlarmStream(options: FollowOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const { signal } = options;
  let lastId: number | undefined;
  let response = options.opened;
  for (;;) {
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal?.addEventListener('abort', stop, { once: true });
    const output: { error?: unknown } = {};
    try {
      await readEvents(response, connection, (id, data) => {
        // Ids only grow: one at or below the resume point was printed already.
        if (id !== undefined && lastId !== undefined && id <= lastId && data !== undefined) return;
        try {
          if (data !== undefined) options.onEvent(data);
        } catch (error) {
          // The output's fault, not the connection's: reconnecting would only repeat it.
          output.error = error;
          connection.abort();
          return;
        }
        if (id !== undefined) lastId = id;
      });
    } catch {
      // A broken connection: reconnect below, as after a clean end.
    } finally {
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }
    if ('error' in output) throw output.error;
    if (signal?.aborted) return;
    options.notice(`the alarm stream from ${options.target.url} ended; reconnecting (giving up after ${options.reconnectTimeoutMs / 1000} s)`);
    const again = await reconnect(options, lastId, now() + options.reconnectTimeoutMs, now);
    if (!again) return;
    response = again;
    options.notice(lastId === undefined ? 'reconnected' : `reconnected; resuming after event ${lastId}`);
  }
}

/** The stream again, resuming after `lastId`; undefined when aborted. */
async function reconnect(options: FollowOptions, lastId: number | undefined, deadline: number, now: () => number): Promise<Response | undefined> {
  const { target, signal } = options;
  let wait = FIRST_RETRY_MS;
  let reason = '';
  while (!signal?.aborted) {
    try {
      const res = await openAlarmStream(target, lastId, signal);
      if (res.ok && res.body) return res;
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) throw new CliError(`the alarm stream answered HTTP ${res.status}: the token was refused`, EXIT.denied);
      // A daemon still starting, or a proxy in front of one that is not back yet.
      if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new CliError(`the alarm stream answered HTTP ${res.status}`, EXIT.failed);
      reason = `HTTP ${res.status}`;
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (signal?.aborted) return undefined;
      reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    }
    if (now() >= deadline) {
      throw new CliError(`priscan at ${target.url} has been unreachable for ${options.reconnectTimeoutMs / 1000} s (${reason}); giving up (--reconnect-timeout)`, EXIT.unreachable);
    }
    await sleep(Math.min(wait, Math.max(0, deadline - now())), signal);
    wait = Math.min(wait * 2, MAX_RETRY_MS);
  }
  return undefined;
}

/** GET /api/v1/alarms/stream, resuming after `lastId` when given. */
export function openAlarmStream(target: ApiTarget, lastId: number | undefined, signal: AbortSignal | undefined): Promise<Response> {
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (lastId !== undefined) headers['last-event-id'] = String(lastId);
  return fetch(`${target.url}/api/v1/alarms/stream`, { headers, signal });
}

/**
 * Server-Sent Events as the daemon writes them: blocks end with a blank line; `id:` moves the
 * resume point (also in a block without data, as the stream's first block), `data:` carries the
 * event, `:` lines are comments. Ends when the server ends the stream or `connection` aborts
 * (the user stops, or the connection went silent past the heartbeat).
 */
async function readEvents(res: Response, connection: AbortController, onBlock: (id: number | undefined, data: string | undefined) => void): Promise<void> {
  const reader = res.body!.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  connection.signal.addEventListener('abort', cancel, { once: true });
  let idle = setTimeout(() => connection.abort(), IDLE_LIMIT_MS);
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || connection.signal.aborted) return;
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), IDLE_LIMIT_MS);
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).replace(/^ /, '');
        const id = field('id');
        onBlock(id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined, field('data'));
      }
    }
  } finally {
    clearTimeout(idle);
    connection.signal.removeEventListener('abort', cancel);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
