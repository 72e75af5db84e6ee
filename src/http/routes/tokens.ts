import { z } from 'zod';
import { ROLES, TOKEN_NAME_PATTERN, TokenRequestError, type TokenInfo } from '../../access/tokens.js';
import { TokenNameTakenError } from '../../store/tokens.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import type { EventStreams } from '../streams.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const tokenName = z.string().regex(TOKEN_NAME_PATTERN, 'must be 1 to 64 letters, digits, space, dot, underscore, @ or dash, starting with a letter or digit');

/** A token as listings show it: never the token, never its hash. */
const tokenView = z.object({
  id: z.number().int(),
  name: z.string(),
  role: z.enum(ROLES),
  prefix: z.string().describe('The token\'s first characters, to tell tokens apart'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('Recorded at most once a minute'),
  expiresAt: z.string().nullable().describe('null: never expires'),
  expired: z.boolean(),
  partner: z.string().nullable().describe('The Partner ID of the partner a partner token belongs to; null for other roles'),
});

export function tokenRoutes(routes: RouteTable, deps: HttpDeps, streams: EventStreams): void {
  const { tokens, clock, partners, audit } = deps;
  const view = (t: TokenInfo): z.infer<typeof tokenView> => ({
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    createdAt: iso(t.createdAt)!,
    lastUsedAt: iso(t.lastUsedAt),
    expiresAt: iso(t.expiresAt),
    expired: t.expiresAt !== null && t.expiresAt <= clock.now(),
    partner: t.partner?.partnerId ?? null,
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/tokens',
    summary: 'API tokens, oldest first, without their secrets',
    tag: 'tokens',
    access: 'admin',
    response: z.object({ tokens: z.array(tokenView) }),
    handler: () => ({ tokens: tokens.list().map(view) }),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/tokens',
    summary: 'Create a token; the answer is the only time the token is shown (only its hash is kept)',
    tag: 'tokens',
    access: 'admin',
    body: z
      .object({
        name: tokenName,
        role: z.enum(ROLES),
        partner: z.string().min(1).max(80).optional().describe('Partner ID (role partner only): the token gets that partner\'s access; absent: the implicit partner LEGACY_PARTNER'),
        expiresAt: z.iso.datetime({ offset: true }).optional().describe('When it stops working (ISO 8601, in the future); absent: never'),
      })
      .strict(),
    status: 201,
    response: z.object({ token: z.string().describe('Send as "Authorization: Bearer <token>"; shown once'), info: tokenView }),
    errors: ['TOKEN_NAME_TAKEN', 'PARTNER_NOT_FOUND'],
    handler: ({ body, caller }) => {
      const partner = body.partner === undefined ? undefined : partners.find(body.partner);
      if (body.partner !== undefined && !partner) throw new ApiError('PARTNER_NOT_FOUND', `no partner with Partner ID ${body.partner}: list them with GET /api/v1/partners`);
      try {
        const created = tokens.create({ name: body.name, role: body.role, expiresAt: body.expiresAt === undefined ? null : Date.parse(body.expiresAt), ...(partner ? { partner: partner.id } : {}) });
        if (created.info.partner) audit.partnerChange(caller!, created.info.partner, 'partner.token.create', created.info.name);
        return { token: created.token, info: view(created.info) };
      } catch (error) {
        if (error instanceof TokenNameTakenError) throw new ApiError('TOKEN_NAME_TAKEN', error.message);
        if (error instanceof TokenRequestError) throw new ApiError('VALIDATION_FAILED', `body: ${error.message}`);
        throw error;
      }
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/tokens/:name',
    summary: 'Revoke a token: requests with it are refused from now on, and its open event streams end',
    tag: 'tokens',
    access: 'admin',
    params: z.object({ name: tokenName.describe('Token name, exactly as listed') }).strict(),
    response: z.object({ revoked: tokenView }),
    errors: ['TOKEN_NOT_FOUND'],
    handler: ({ params, caller }) => {
      // By exact name only: the CLI's "a number is an id" would let "1 " revoke token 1.
      const named = tokens.list().find((token) => token.name === params.name);
      const revoked = named && tokens.revoke(named.id);
      if (!revoked) throw new ApiError('TOKEN_NOT_FOUND', `no token named ${JSON.stringify(params.name)}: list them with GET /api/v1/tokens`);
      if (revoked.partner) audit.partnerChange(caller!, revoked.partner, 'partner.token.revoke', revoked.name);
      streams.recheck();
      return { revoked: view(revoked) };
    },
  });
}
