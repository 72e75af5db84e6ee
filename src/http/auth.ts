import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Access } from './route.js';

import type { TokenCaller } from '../access/tokens.js';

/** Who is calling, as their token says. */
export type Caller = TokenCaller;

/** Looks a bearer token up; null when it is unknown or revoked. */
export type Authenticate = (token: string) => Caller | null;

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Checks a request against a route's access: public routes need nothing; every other
 * route needs a valid token, and changes need the admin role.
 */
export function authorizer(authenticate: Authenticate) {
  return (request: FastifyRequest, access: Access): Caller | undefined => {
    if (access === 'public') return undefined;
    const header = request.headers.authorization;
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
