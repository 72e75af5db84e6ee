/**
 * The bridge's worker thread: it owns the one PostgreSQL session (node-postgres `Client`) and
 * answers the main thread's requests. Plain JavaScript evaluated in the thread (as
 * src/snmp/key-derivation.ts does), so it runs the same from dist/ and under the test runner;
 * `pg` is loaded from the path the main thread resolved, wherever the process was started.
 *
 * Protocol: the main thread posts `{ id, op, … }` on the port and blocks on the shared Int32;
 * the worker posts its answer `{ id, ok, … }` on the port, then adds 1 to the Int32 and wakes it.
 * Ops: `connect` (the first session), `query` (`text`, `values`, optional prepared `name`, and
 * `session`: the session a transaction began on, refused on any other), `reset` (drop the
 * session now: a call timed out, so its state is unknown), `close`.
 *
 * The session comes back by itself: when it is lost (server restart, a reset) the worker
 * reconnects at once, then with doubling back-off; a query asked meanwhile is answered at once
 * with STORE_UNAVAILABLE rather than held.
 *
 * Errors carry only the message, the SQLSTATE and the names of the constraint, table and column:
 * never `detail`, which repeats a failing row's values (a device's communities among them).
 */
export const BRIDGE_WORKER_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const { port, signal, connection, timeoutMs, reconnectMinMs, reconnectMaxMs } = workerData;
const flag = new Int32Array(signal);
const INT8 = 20;
const BYTEA = 17;

let pg;
let loadError;
try {
  pg = require(workerData.pgPath);
} catch (error) {
  loadError = 'cannot load node-postgres (' + workerData.pgPath + '): ' + (error && error.message);
}

// bigint columns (ms timestamps, ids, counts) as numbers: every value priscan stores is a safe integer.
const parseInt8 = (text) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};
const types = pg && {
  getTypeParser: (oid, format) => (oid === INT8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)),
};

let client;
let session = 0;
let state = 'down';
let downSince = Date.now();
let lastError = '';
let backoff = reconnectMinMs;
let timer;
let closed = false;

function answer(message) {
  port.postMessage(message);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function describe(error) {
  const e = error || {};
  const code = typeof e.code === 'string' ? e.code : undefined;
  const sqlstate = code && /^[0-9A-Z]{5}$/.test(code) && e.severity !== undefined ? code : undefined;
  return {
    message: String(e.message || e),
    sqlstate,
    // A system error (ECONNREFUSED…) names itself; PostgreSQL errors have their SQLSTATE instead.
    errno: sqlstate ? undefined : code,
    constraint: typeof e.constraint === 'string' ? e.constraint : undefined,
    table: typeof e.table === 'string' ? e.table : undefined,
    column: typeof e.column === 'string' ? e.column : undefined,
  };
}

async function connect() {
  state = 'connecting';
  const c = new pg.Client(Object.assign({ keepAlive: true, application_name: 'priscan' }, connection, {
    types,
    connectionTimeoutMillis: timeoutMs,
    // The server gives up on a statement when the caller does.
    statement_timeout: timeoutMs,
  }));
  // Without an 'error' listener a dropped connection would end the thread.
  c.on('error', (error) => lose(c, error));
  c.on('end', () => lose(c, new Error('the connection ended')));
  try {
    await c.connect();
  } catch (error) {
    c.end().catch(() => undefined);
    throw error;
  }
  if (closed) {
    c.end().catch(() => undefined);
    throw new Error('the store was closed');
  }
  client = c;
  session += 1;
  state = 'up';
  backoff = reconnectMinMs;
}

function lose(c, error) {
  if (c !== client) return;
  client = undefined;
  state = 'down';
  downSince = Date.now();
  lastError = describe(error).message;
  try {
    c.connection.stream.destroy();
  } catch {}
  c.end().catch(() => undefined);
  reconnectAfter(0);
}

function reconnectAfter(delay) {
  if (closed || timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    connect().catch((error) => {
      state = 'down';
      lastError = describe(error).message;
      const wait = backoff;
      backoff = Math.min(reconnectMaxMs, backoff * 2);
      reconnectAfter(wait);
    });
  }, delay);
}

function unavailable(id, why) {
  return { id, ok: false, error: { message: why, code: 'STORE_UNAVAILABLE' } };
}

function toBuffer(value) {
  return ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

async function query(request) {
  const c = client;
  if (!c || state !== 'up') {
    const since = new Date(downSince).toISOString();
    return unavailable(request.id, 'PostgreSQL is unavailable (reconnecting since ' + since + (lastError ? '; last error: ' + lastError : '') + ')');
  }
  if (request.session !== undefined && request.session !== session) {
    return unavailable(request.id, 'the connection to PostgreSQL was lost during the transaction, which was rolled back');
  }
  const config = { text: request.text, values: request.values ? request.values.map(toBuffer) : undefined };
  if (request.name) config.name = request.name;
  let result = await c.query(config);
  // Several statements in one text (a migration): the last one's result.
  if (Array.isArray(result)) result = result[result.length - 1] || { rows: [], rowCount: 0, fields: [] };
  const binary = (result.fields || []).filter((f) => f.dataTypeID === BYTEA).map((f) => f.name);
  return { id: request.id, ok: true, session, rows: result.rows || [], rowCount: result.rowCount || 0, binary };
}

async function handle(request) {
  if (loadError) return { id: request.id, ok: false, error: { message: loadError, code: 'STORE_UNAVAILABLE' } };
  switch (request.op) {
    case 'connect':
      await connect();
      return { id: request.id, ok: true, session };
    case 'query':
      return query(request);
    case 'reset':
      if (client) lose(client, new Error('a call timed out after ' + timeoutMs + ' ms'));
      return { id: request.id, ok: true };
    case 'close': {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      state = 'closed';
      if (c) await c.end().catch(() => undefined);
      return { id: request.id, ok: true };
    }
    default:
      return { id: request.id, ok: false, error: { message: 'unknown op ' + request.op } };
  }
}

port.on('message', (request) => {
  handle(request).then(answer, (error) => answer({ id: request.id, ok: false, error: describe(error) }));
});
`;
