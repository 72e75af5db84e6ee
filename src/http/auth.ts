import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Access } from './route.js';

import type { TokenCaller } from '../access/tokens.js';

/** Who is calling, as their token says; a console session also says whether it is still signed in. */
export type Caller = TokenCaller & { signedIn?: () => boolean };

/** Looks a bearer token up; null when it is unknown or revoked. */
export type Authenticate = (token: string) => Caller | null;

/** The console's session cookie as a credential: its caller, or null. */
export type SessionCaller = (request: FastifyRequest) => Caller | null;

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Checks a request against a route's access: public routes need nothing; every other
 * route needs a valid token, and changes need the admin role. A console session (cookie) stands
 * in for a token on GETs of read routes only: a browser's EventSource cannot send a header, and
 * a cookie must never authorize a change (another site could make the browser send one).
 */
export function authorizer(authenticate: Authenticate, sessionCaller?: SessionCaller) {
  return (request: FastifyRequest, access: Access): Caller | undefined => {
    if (access === 'public') return undefined;
    const header = request.headers.authorization;
    const session = !header && access === 'read' && request.method === 'GET' ? sessionCaller?.(request) : null;
    if (session) return session;
    if (!header) throw new ApiError('UNAUTHORIZED', 'this route needs an API token: send "Authorization: Bearer <token>" (create one with: priscan token create)');
    const match = BEARER.exec(header);
    const caller = match ? authenticate(match[1]!) : null;
    if (!caller) throw new ApiError('UNAUTHORIZED', 'the API token is not valid (unknown, revoked or malformed)');
    if (access === 'admin' && caller.role !== 'admin') {
      throw new ApiError('FORBIDDEN', `the ${caller.role} role cannot change anything; use an admin token`);
    }
    return caller;
  };
}
