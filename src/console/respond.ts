import type { FastifyReply } from 'fastify';
import type { Html } from './html.js';

/** A page that cannot be shown as asked: its status, title and what to do. */
export class ConsolePageError extends Error {
  override readonly name = 'ConsolePageError';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Pages hold what the viewer may see, for this viewer only: never kept by a cache. */
export function sendHtml(reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.text);
}
