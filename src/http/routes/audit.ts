import { z } from 'zod';
import type { AuditEntry } from '../../store/audit.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const auditView = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.object({
    kind: z.enum(['partner', 'admin', 'viewer', 'host']).describe('host: the command line on the database'),
    token: z.string().nullable().describe('The name of the token used'),
  }),
  partnerId: z.string().nullable().describe('The partner the entry is about (its Partner ID then)'),
  action: z.string().describe('A partner\'s request ("GET /api/v1/devices/:id") or a change (partner.create, partner.update, partner.grant, partner.revoke, partner.remove, partner.token.create, partner.token.revoke)'),
  target: z.string().nullable().describe('The path requested, or the partner changed'),
  status: z.number().int().nullable().describe('The HTTP status answered'),
  detail: z.string().nullable(),
});

function view(e: AuditEntry): z.infer<typeof auditView> {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    actor: { kind: e.actorKind, token: e.actorToken },
    partnerId: e.partnerId,
    action: e.action,
    target: e.target,
    status: e.status,
    detail: e.detail,
  };
}

export function auditRoutes(routes: RouteTable, deps: HttpDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'The audit log, oldest first: every request of a partner\'s token and every change to a partner\'s access; page with after=<lastId>',
    tag: 'partners',
    access: 'admin',
    query: z
      .object({
        after: z.coerce.number().int().min(0).default(0).describe('Return entries with a larger id'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        partner: z.string().min(1).max(64).optional().describe('Only entries about this Partner ID (kept across renames)'),
      })
      .strict(),
    response: z.object({ entries: z.array(auditView), lastId: z.number().int().describe('Pass as after= for the next page') }),
    errors: ['PARTNER_NOT_FOUND'],
    handler: ({ query }) => {
      let partner: number | undefined;
      if (query.partner !== undefined) {
        partner = deps.partners.find(query.partner)?.id;
        if (partner === undefined) throw new ApiError('PARTNER_NOT_FOUND', `no partner with Partner ID ${query.partner}: list them with GET /api/v1/partners`);
      }
      const entries = deps.audit.list({ after: query.after, limit: query.limit, ...(partner === undefined ? {} : { partner }) });
      return { entries: entries.map(view), lastId: entries.at(-1)?.id ?? query.after };
    },
  });
}
