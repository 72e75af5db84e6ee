import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply } from 'fastify';
import { isStoreUnavailable } from '../store/errors.js';
import { ApiError, type ApiErrorCode } from './errors.js';

// Requests refused before a route runs (by Node's HTTP parser, fastify's router or its body
// parser) get the API's one error body, {"error": {"code", "message"}}, like every other error.

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Body parser refusals, by fastify's code: what the API answers instead. */
const BODY_ERRORS: Readonly<Record<string, { code: ApiErrorCode; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: `request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB` },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body: not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body: empty, but the content-type says application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'body: its length differs from the Content-Length header' },
};

/** Said when the store's database cannot be reached; never the database's own message, which names its address. */
export const STORE_UNAVAILABLE_MESSAGE = 'the database cannot be reached now (PostgreSQL down or restarting); try again shortly';

/**
 * fastify's setErrorHandler: coded errors as they are, body parser refusals translated, the
 * store's database out of reach a 503, anything else a bare 500.
 */
export function apiErrorHandler(error: FastifyError | ApiError, _request: unknown, reply: FastifyReply): FastifyReply {
  if (error instanceof ApiError) return reply.code(error.status).send(error.toJSON());
  if (isStoreUnavailable(error)) return send(reply, new ApiError('STORE_UNAVAILABLE', STORE_UNAVAILABLE_MESSAGE));
  const known = BODY_ERRORS[error.code];
  if (known) return send(reply, new ApiError(known.code, known.message));
  // Other 4xx from fastify's parsers (e.g. a prototype-polluting key): say what, never how.
  if ((error.statusCode ?? 500) < 500) return send(reply, new ApiError('VALIDATION_FAILED', `body: ${error.message}`));
  return send(reply, new ApiError('INTERNAL', 'internal error'));
}

/** fastify's frameworkErrors: URLs its router cannot decode or parameters over its length limit. */
export function routerErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? 'the URL is not valid (bad percent-encoding)'
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? 'a path parameter is longer than 100 characters'
        : 'bad request';
  void send(reply, new ApiError('VALIDATION_FAILED', message));
}

function send(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).send(error.toJSON());
}

/** Node's HTTP parser errors (request line, headers, framing), by Node's code. */
function clientErrorOf(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return new ApiError('HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError('REQUEST_TIMEOUT', 'the request did not arrive in time');
  return new ApiError('MALFORMED_REQUEST', 'the request is not valid HTTP/1.1 (request line, headers or framing)');
}

/** What Node keeps on a socket about the response in progress (not public API, but stable since Node 12). */
interface HttpSocket extends Duplex {
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * The server's 'clientError' handler: Node's parser refused the request before fastify saw it
 * (oversized headers, a malformed request line), so the answer is written to the socket here,
 * then the connection is closed (the parser cannot go on after an error).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as HttpSocket)._httpMessage;
  // Never write into a response already under way on this connection (Node's own rule).
  if (socket.writable && !inFlight?.headersSent) {
    const apiError = clientErrorOf(error.code);
    const body = JSON.stringify(apiError.toJSON());
    socket.write(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
