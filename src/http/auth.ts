import type { FastifyRequest } from 'fastify';
import type { PartnerAccess, TokenCaller } from '../access/tokens.js';
import { ApiError } from './errors.js';
import type { RouteSpec } from './route.js';

/** Who is calling, as their token says; a console session also says whether it is still signed in. */
export type Caller = TokenCaller & { signedIn?: () => boolean };

/** Looks a bearer token up; null when it is unknown or revoked. */
export type Authenticate = (token: string) => Caller | null;

/** The console's session cookie as a credential: its caller, or null. */
export type SessionCaller = (request: FastifyRequest) => Caller | null;

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** The caller of each request once its token was checked, and when: for the audit log and masking. */
export class RequestCallers {
  private readonly seen = new WeakMap<FastifyRequest, { caller: Caller; at: number; audited: boolean }>();

  set(request: FastifyRequest, caller: Caller, at: number): void {
    this.seen.set(request, { caller, at, audited: false });
  }

  get(request: FastifyRequest): { caller: Caller; at: number; audited: boolean } | undefined {
    return this.seen.get(request);
  }

  /** The request's audit line is written (a stream writes it when it opens, not when it ends). */
  markAudited(request: FastifyRequest): void {
    const entry = this.seen.get(request);
    if (entry) entry.audited = true;
  }
}

/**
 * Checks a request against a route's access: public routes need nothing; every other route needs
 * a valid token, and changes need the admin role. A partner's token may use what the route allows
 * partners (RouteSpec.partners) with the grants its partner holds now. A console session (cookie)
 * stands in for a token on GETs of read routes only: a browser's EventSource cannot send a header,
 * and a cookie must never authorize a change (another site could make the browser send one).
 */
export function authorizer(authenticate: Authenticate, callers: RequestCallers, now: () => number, sessionCaller?: SessionCaller) {
  return (request: FastifyRequest, route: Pick<RouteSpec, 'access' | 'partners'>): Caller | undefined => {
    if (route.access === 'public') return undefined;
    const header = request.headers.authorization;
    const session = !header && route.access === 'read' && request.method === 'GET' ? sessionCaller?.(request) : null;
    let caller: Caller | null;
    if (session) {
      caller = session;
    } else {
      if (!header) throw new ApiError('UNAUTHORIZED', 'this route needs an API token: send "Authorization: Bearer <token>" (create one with: priscan token create)');
      const match = BEARER.exec(header);
      caller = match ? authenticate(match[1]!) : null;
      if (!caller) throw new ApiError('UNAUTHORIZED', 'the API token is not valid (unknown, revoked or malformed)');
    }
    callers.set(request, caller, now());
    if (caller.partner) {
      const refusal = partnerRefusal(caller.partner, route);
      if (refusal) throw new ApiError('FORBIDDEN', refusal);
      return caller;
    }
    if (route.access === 'admin' && caller.role !== 'admin') {
      throw new ApiError('FORBIDDEN', `the ${caller.role} role cannot change anything; use an admin token`);
    }
    return caller;
  };
}

/**
 * Why a partner's token may not use the route, or undefined when it may. The console asks it of
 * its pages and forms too (`what`: 'page'), so a partner may do the same on both.
 */
export function partnerRefusal(partner: PartnerAccess, route: Pick<RouteSpec, 'access' | 'partners'>, what = 'route'): string | undefined {
  const use = route.partners;
  const who = `partner ${partner.partnerId}`;
  if (use === undefined || (route.access === 'admin' && use !== 'device-admin')) {
    return `${who}'s tokens cannot use this ${what}: it is for the customer's own tokens`;
  }
  if (use === 'installation') return undefined;
  if (!partner.deviceData) return `${who} has no API device-data access: the customer's administrator can grant it (device-data)`;
  if (use === 'device-admin' && !partner.administrator) {
    return `${who} has read-only access: the customer's administrator can grant it administrator access`;
  }
  return undefined;
}
