// Requests refused before any route runs get the API's one error body, {"error": {"code", "message"}},
// like every other error: those Node's HTTP parser refuses (over a real socket: oversized headers,
// malformed request lines and framing) and those fastify's body parser refuses (app.inject).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS } from '../../src/http/errors.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// This file's listener lives on 127.0.185.0/24.
const HOST = '127.0.185.1';
let t: TestDaemon;
let port = 0;

beforeAll(async () => {
  t = await startTestDaemon({ http: { listen: { address: HOST, port: 0 } } });
  port = Number(new URL(t.running.httpUrl).port);
});

afterAll(async () => {
  await t?.stop();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Writes `request` as raw bytes on a new connection and reads what comes back until the server closes it (5 s at most). */
function rawRequest(request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => (closed = true));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
      if (!match) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(match[1]), headers, body: rest.join('\r\n\r\n'), closed });
    });
  });
}

/** The one error shape, with a code from the catalogue whose status is the one answered. */
function expectCodedError(status: number, body: string, code: string): void {
  const parsed = JSON.parse(body) as { error: { code: keyof typeof API_ERROR_STATUS; message: unknown } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message']);
  expect(parsed.error.code).toBe(code);
  expect(API_ERROR_STATUS[parsed.error.code]).toBe(status);
  expect(parsed.error.message).toMatch(/\w{3}/);
}

const admin = () => `Authorization: Bearer ${t.adminToken}\r\n`;

describe('requests the HTTP parser refuses, over a real socket', () => {
  it.each<[string, () => string, number, string]>([
    ['headers larger than the server accepts', () => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['a request line that is not HTTP', () => 'GARBAGE\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['an unknown HTTP version', () => 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['a header name with a space', () => 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['broken chunked framing', () => `POST /api/v1/devices HTTP/1.1\r\nHost: x\r\n${admin()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, 400, 'MALFORMED_REQUEST'],
    ['two Content-Length headers', () => 'POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400, 'MALFORMED_REQUEST'],
  ])('%s', async (_what, request, status, code) => {
    const answer = await rawRequest(request());
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expectCodedError(status, answer.body, code);
    expect(answer.closed, 'the connection is closed: the parser cannot go on after an error').toBe(true);
  });

  it.each([
    ['invalid JSON', 'application/json', '{', 400, 'VALIDATION_FAILED'],
    ['an empty JSON body', 'application/json', '', 400, 'VALIDATION_FAILED'],
    ['text/plain', 'text/plain', '{}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a form', 'application/x-www-form-urlencoded', 'name=x', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ] as const)('a body in %s, over a real socket', async (_what, type, body, status, code) => {
    const answer = await rawRequest(
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n${admin()}Content-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(status);
    expectCodedError(status, answer.body, code);
  });

  it('a body announced larger than the limit, over a real socket', async () => {
    const answer = await rawRequest(`POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n${admin()}Content-Type: application/json\r\nContent-Length: 70000\r\nConnection: close\r\n\r\n{}`);
    expect(answer.status).toBe(413);
    expectCodedError(413, answer.body, 'BODY_TOO_LARGE');
  });

  it('still serves, and created nothing', async () => {
    const answer = await rawRequest('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(t.running.tokens.list().map((token) => token.name)).toEqual(['test-admin']);
  });
});

describe('bodies the body parser refuses (inject)', () => {
  const post = (headers: Record<string, string>, payload: string) =>
    t.running.http.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${t.adminToken}`, ...headers }, payload });

  it.each([
    ['invalid JSON', { 'content-type': 'application/json' }, '{"name":', 400, 'VALIDATION_FAILED'],
    ['a prototype-polluting key', { 'content-type': 'application/json' }, '{"__proto__": {"role": "admin"}}', 400, 'VALIDATION_FAILED'],
    ['text/plain', { 'content-type': 'text/plain' }, '{"name":"x","role":"admin"}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 64 KiB', { 'content-type': 'application/json' }, JSON.stringify({ name: 'x', pad: 'x'.repeat(64 * 1024) }), 413, 'BODY_TOO_LARGE'],
  ] as const)('%s', async (_what, headers, payload, status, code) => {
    const res = await post(headers, payload);
    expect(res.statusCode).toBe(status);
    expectCodedError(status, res.body, code);
  });
});
