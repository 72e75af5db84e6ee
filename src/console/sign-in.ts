import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromOwnOrigin, sameSecret, sentCsrfToken, servedOverHttps } from './csrf.js';
import type { ConsoleRouter } from './plugin.js';
import { ConsolePageError, sendHtml } from './respond.js';
import { cookie, parseCookies, SESSION_COOKIE } from './session.js';
import { signInPage } from './views/sign-in.js';

/** Ties a sign-in form to the browser that loaded it: no other site can sign someone in as itself. */
const SIGN_IN_COOKIE = 'priscan_signin';
/** Console paths a sign-in may return to: never another site, never the sign-in page itself. */
const NEXT = /^\/console(\/(?!sign-in)[A-Za-z0-9._~\-/]*)?(\?[A-Za-z0-9._~\-=&%+]*)?$/;

const ENDED: Record<string, string> = {
  revoked: 'Your session ended: its token was revoked or has expired. Sign in with a valid token.',
  expired: 'Your session ended after a long time without use. Sign in again.',
};

function safeNext(next: unknown): string | undefined {
  return typeof next === 'string' && NEXT.test(next) && !next.includes('//') && !next.includes('/..') ? next : undefined;
}

export function signInRoutes(scope: FastifyInstance, router: ConsoleRouter): void {
  const { sessions, assets, deps } = router;
  const secure = servedOverHttps;

  const form = (request: FastifyRequest, reply: FastifyReply, next: string | undefined, problem: string | undefined, status: number) => {
    const nonce = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(SIGN_IN_COOKIE, nonce, { secure: secure(request) }));
    return sendHtml(reply, signInPage(assets.urls, { nonce, next, problem }), status);
  };

  scope.get('/sign-in', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const next = safeNext(query.next);
    const found = sessions.lookup(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    if (found && 'session' in found) return reply.redirect(next ?? '/console/', 303);
    return form(request, reply, next, typeof query.ended === 'string' ? ENDED[query.ended] : undefined, 200);
  });

  scope.post('/sign-in', async (request, reply) => {
    const body = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
    const next = safeNext(body.get('next'));
    const nonce = parseCookies(request.headers.cookie).get(SIGN_IN_COOKIE);
    if (!fromOwnOrigin(request) || nonce === undefined || !sameSecret(body.get('_signin'), nonce)) {
      return form(request, reply, next, 'The sign-in form could not be verified (it came from another page, or it is old). Sign in again here.', 403);
    }
    const caller = deps.tokens.authenticate((body.get('token') ?? '').trim());
    if (!caller) return form(request, reply, next, 'That token is not valid: unknown, revoked, expired or mistyped.', 401);
    // As an API request with the token: a partner's sign-in goes to the audit log.
    deps.callers.set(request, caller, deps.clock.now());
    const { id } = sessions.create({ id: caller.id, role: caller.role, name: caller.name });
    reply.header('set-cookie', [cookie(SESSION_COOKIE, id, { secure: secure(request) }), cookie(SIGN_IN_COOKIE, '', { secure: secure(request), maxAgeSeconds: 0 })]);
    return reply.redirect(next ?? '/console/', 303);
  });

  scope.post('/sign-out', async (request, reply) => {
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    const found = sessions.lookup(id);
    if (found && 'session' in found) {
      const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
      if (!fromOwnOrigin(request) || !sameSecret(sentCsrfToken(request, form), found.session.csrf)) {
        throw new ConsolePageError(403, 'Form refused', 'Sign-out could not be verified as coming from your console page. Nothing was changed: reload the page and try again.');
      }
      sessions.end(id!);
      deps.recheckStreams();
    }
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', { secure: secure(request), maxAgeSeconds: 0 }));
    return reply.redirect('/console/sign-in', 303);
  });
}
