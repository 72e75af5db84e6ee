import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

// Cross-site request forgery: the session cookie is SameSite=Strict already; on top, every form
// that changes something carries the session's token in a hidden field, and a browser's Origin
// (or Referer) must be this console's own. Both are checked before any change is made.

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether the request comes from a page of this console. Browsers send Origin with every POST
 * (Referer where an old one does not); a request with neither is no browser's form, and still
 * has to carry the CSRF token. Hosts are compared, not schemes: behind a proxy that ends TLS the
 * page is https while the daemon sees http (the proxy must pass the Host header on).
 */
export function fromOwnOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const claimed = typeof origin === 'string' ? origin : request.headers.referer;
  if (typeof claimed !== 'string') return true;
  try {
    const page = new URL(claimed);
    // Through URL on both sides, so a default port (:80, :443) compares equal to none.
    return page.host === new URL(`${page.protocol}//${request.host}`).host;
  } catch {
    return false;
  }
}

/** Whether the browser sees the console over https (here, or through a proxy): cookies get Secure. */
export function servedOverHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || (typeof request.headers.origin === 'string' && request.headers.origin.startsWith('https://'));
}

/** The CSRF token a form (hidden field _csrf) or a script (X-CSRF-Token header) sent. */
export function sentCsrfToken(request: FastifyRequest, form: URLSearchParams): string | undefined {
  const header = request.headers['x-csrf-token'];
  return form.get('_csrf') ?? (typeof header === 'string' ? header : undefined);
}
