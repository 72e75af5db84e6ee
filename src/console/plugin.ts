import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokens } from '../access/tokens.js';
import type { LicenseService } from '../app/license-service.js';
import type { Clock } from '../clock.js';
import type { RequestCallers, SessionCaller } from '../http/auth.js';
import type { DeviceSite } from '../access/scope.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import type { Store } from '../store/store.js';
import { accessRefusal, type ConsoleAccess } from './access.js';
import { ConsoleActions } from './actions.js';
import { loadConsoleAssets, type ConsoleAssets } from './assets.js';
import { fromOwnOrigin, sameSecret, sentCsrfToken, servedOverHttps } from './csrf.js';
import { ConsoleData, type Viewer } from './data.js';
import { formRoutes } from './forms.js';
import type { Html } from './html.js';
import { ConsolePageError, sendHtml } from './respond.js';
import { pageRoutes } from './pages.js';
import { ConsoleRefusal, type ConsoleServices } from './services.js';
import { ConsoleSessions, cookie, parseCookies, SESSION_COOKIE, type ConsoleSession, type Flash, type SessionLookup } from './session.js';
import { signInRoutes } from './sign-in.js';
import type { PageContext } from './views/layout.js';
import { errorPage } from './views/sign-in.js';

export interface ConsoleDeps extends ConsoleServices {
  store: Store;
  devices: { isMonitored(id: number): boolean };
  licenses: Pick<LicenseService, 'usage' | 'list' | 'add' | 'remove'>;
  tokens: Pick<ApiTokens, 'authenticate' | 'isActive' | 'current' | 'create' | 'revoke' | 'list'>;
  scheduler: Pick<ScanScheduler, 'requestScan' | 'requestRegistration'>;
  /** Where a device stands, for partners scoped to sites (as the API judges it). */
  deviceSite: DeviceSite;
  clock: Clock;
  /** Ends open event streams whose token stopped working, at once. */
  recheckStreams: () => void;
  /** Where each signed-in request's caller is noted, for the audit log of partners' requests and masking. */
  callers: RequestCallers;
}

/** A page or form request from someone signed in; `viewer` is the token as it is now. */
export interface SignedIn {
  viewer: Viewer;
  session: ConsoleSession;
  ctx: PageContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** Who may use it (ACCESS in access.ts): others get a 403 page and nothing changes. */
export type RouteOptions = ConsoleAccess;

/** What a form did: go to a page (with a one-time message), or show a page at once (a new token). */
export type FormOutcome = { redirect: string; flash?: Flash } | { page: Html; status?: number };

/** Where a form's routes are declared, with the session, CSRF and role checks done for them. */
export interface ConsoleRouter {
  readonly data: ConsoleData;
  readonly actions: ConsoleActions;
  readonly sessions: ConsoleSessions;
  readonly assets: ConsoleAssets;
  readonly deps: ConsoleDeps;
  /** `render` may answer null: no content (a fragment with nothing to show), 204. */
  page(url: string, options: RouteOptions, render: (s: SignedIn) => Html | null): void;
  /** `back`: where a refused request returns, with the refusal's message. */
  form(url: string, options: RouteOptions & { back: (s: SignedIn) => string }, act: (s: SignedIn, form: URLSearchParams) => FormOutcome): void;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/**
 * The operator console: server-rendered pages under /console (GET / leads there), htmx for
 * partial updates, sessions signed in with an API token. Returns the session lookup the API's
 * authorizer takes, so the console's pages can read the alarm event stream with their cookie.
 */
export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): SessionCaller {
  const sessions = new ConsoleSessions({ clock: deps.clock, tokenActive: (id) => deps.tokens.isActive(id) });
  const data = new ConsoleData(deps);
  const actions = new ConsoleActions({ ...deps, data, onTokenRevoked: deps.recheckStreams });
  const assets = loadConsoleAssets();

  app.get('/', (_request, reply) => reply.redirect('/console/', 302));
  app.register(
    async (scope) => {
      // Forms post url-encoded bodies; the parser exists for the console's routes only (the API takes JSON).
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, new URLSearchParams(body as string)));
      scope.addHook('onSend', async (_request, reply) => {
        reply.headers(SECURITY_HEADERS);
      });
      scope.setErrorHandler((error, _request, reply) => {
        if (error instanceof ConsolePageError) return sendHtml(reply, errorPage(assets.urls, error.title, error.message, { href: '/console/', label: 'Back to the console' }), error.status);
        const status = (error as { statusCode?: number }).statusCode;
        if (status && status >= 400 && status < 500) return sendHtml(reply, errorPage(assets.urls, 'Bad request', (error as Error).message, { href: '/console/', label: 'Back to the console' }), status);
        return sendHtml(reply, errorPage(assets.urls, 'Something went wrong', 'The console could not show this page. Try again; if it persists, the daemon\'s log says why.', { href: '/console/', label: 'Back to the console' }), 500);
      });
      scope.setNotFoundHandler((request, reply) =>
        sendHtml(reply, errorPage(assets.urls, 'Not found', `There is no page ${request.url.split('?')[0]}.`, { href: '/console/', label: 'Back to the console' }), 404),
      );
      // Public: the sign-in page needs them too. Versioned URLs, so a browser may keep them.
      scope.get('/assets/:name', async (request, reply) => {
        const file = assets.files.get((request.params as { name: string }).name);
        if (!file) throw new ConsolePageError(404, 'Not found', 'There is no such console file.');
        return reply.type(file.type).header('cache-control', 'public, max-age=31536000, immutable').send(file.body);
      });
      const router = consoleRouter(scope, { data, actions, sessions, assets, deps });
      signInRoutes(scope, router);
      pageRoutes(router);
      formRoutes(router);
    },
    { prefix: '/console' },
  );

  return (request) => {
    const found = signedInAs(sessions, deps, request);
    return found && 'viewer' in found ? { ...found.viewer, signedIn: () => sessions.active(found.session) } : null;
  };
}

/**
 * The session of a request and its token as it is now (a partner's grants and scope may have
 * changed since sign-in); `ended` when the cookie's session ended, or its token stopped working.
 */
function signedInAs(sessions: ConsoleSessions, deps: Pick<ConsoleDeps, 'tokens'>, request: FastifyRequest): { session: ConsoleSession; viewer: Viewer } | Exclude<SessionLookup, { session: ConsoleSession }> {
  const found = sessions.lookup(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
  if (!found || !('session' in found)) return found;
  const viewer = deps.tokens.current(found.session.caller.id);
  return viewer ? { session: found.session, viewer } : { ended: 'revoked' };
}

function consoleRouter(scope: FastifyInstance, parts: Omit<ConsoleRouter, 'page' | 'form'>): ConsoleRouter {
  const { sessions, assets, deps } = parts;

  /** The signed-in request, or undefined once a redirect to the sign-in page was sent. */
  const signedIn = (request: FastifyRequest, reply: FastifyReply): SignedIn | undefined => {
    const found = signedInAs(sessions, deps, request);
    if (!found || !('session' in found)) {
      const path = request.url;
      const signIn = `/console/sign-in?${new URLSearchParams({ ...(request.method === 'GET' ? { next: path } : {}), ...(found ? { ended: found.ended } : {}) }).toString()}`;
      if (found) reply.header('set-cookie', cookie(SESSION_COOKIE, '', { secure: servedOverHttps(request), maxAgeSeconds: 0 }));
      // htmx follows a redirect silently and would swap the sign-in page into a table: tell it to navigate.
      if (request.headers['hx-request']) void reply.code(401).header('hx-redirect', signIn).send();
      else void reply.redirect(signIn, 303);
      return undefined;
    }
    const { session, viewer } = found;
    // As an API request: a partner's console requests go to the audit log, its pages are masked.
    deps.callers.set(request, viewer, deps.clock.now());
    const flash = session.flash;
    session.flash = undefined;
    const ctx: PageContext = { viewer, csrf: session.csrf, flash, assets: assets.urls, path: request.url.split('?')[0]! };
    return { viewer, session, ctx, request, reply };
  };

  const allowed = (s: SignedIn, options: RouteOptions): void => {
    const refusal = accessRefusal(s.viewer, options);
    if (refusal) throw new ConsolePageError(403, 'Not allowed', refusal);
  };

  return {
    ...parts,
    page(url, options, render) {
      scope.get(url, async (request, reply) => {
        const s = signedIn(request, reply);
        if (!s) return reply;
        allowed(s, options);
        const rendered = render(s);
        return rendered ? sendHtml(reply, rendered) : reply.code(204).header('cache-control', 'no-store').send();
      });
    },
    form(url, options, act) {
      scope.post(url, async (request, reply) => {
        const s = signedIn(request, reply);
        if (!s) return reply;
        const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
        // Checked before the role, and before anything changes: a forged request learns nothing.
        if (!fromOwnOrigin(request) || !sameSecret(sentCsrfToken(request, form), s.session.csrf)) {
          throw new ConsolePageError(403, 'Form refused', 'This form could not be verified as coming from your console page (missing or stale CSRF token, or another site). Nothing was changed: reload the page and try again.');
        }
        allowed(s, options);
        let outcome: FormOutcome;
        try {
          outcome = act(s, form);
        } catch (error) {
          if (!(error instanceof ConsoleRefusal)) throw error;
          s.session.flash = { kind: 'error', text: error.message };
          return reply.redirect(options.back(s), 303);
        }
        if ('page' in outcome) return sendHtml(reply, outcome.page, outcome.status);
        s.session.flash = outcome.flash;
        return reply.redirect(outcome.redirect, 303);
      });
    },
  };
}
