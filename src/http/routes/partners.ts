import { z } from 'zod';
import { accessLevel, GRANTS, PARTNER_NAME_MAX, PartnerRequestError, SITE_MAX, SITES_MAX, type Grant } from '../../access/partners.js';
import type { PartnerScope } from '../../access/scope.js';
import { PartnerIdTakenError, type PartnerRecord } from '../../store/partners.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import type { EventStreams } from '../streams.js';

const iso = (ms: number) => new Date(ms).toISOString();

const scopeSchema = z.union([z.literal('all'), z.object({ sites: z.array(z.string().min(1).max(SITE_MAX)).min(1).max(SITES_MAX) }).strict()], {
  error: `must be "all" (every device) or {"sites": ["…"]} (1 to ${SITES_MAX} sites devices are at)`,
});
type ScopeInput = z.infer<typeof scopeSchema>;
const toScope = (input: ScopeInput): PartnerScope => (input === 'all' ? { kind: 'all' } : { kind: 'sites', sites: input.sites });

/** As the URL names a partner; a lower-case or spaced ID is refused here, with the rule. */
const partnerParams = z
  .object({ partnerId: z.string().regex(/^[A-Z0-9]+(?:_[A-Z0-9]+)*$/, 'must be a Partner ID: upper-case letters, digits and underscores, e.g. ACME_INC').max(64).describe('Partner ID') })
  .strict();

const partnerView = z.object({
  partnerId: z.string().describe('Upper-case letters, digits and underscores, made from the name unless given; unique, can change'),
  name: z.string(),
  access: z.enum(['read-only', 'administrator']),
  grants: z.object({
    administrator: z.boolean().describe('May change the devices in its scope (with device-data)'),
    deviceData: z.boolean().describe('May read device data through the API: devices, alarms, events, the stream'),
  }),
  scope: z.union([z.literal('all'), z.object({ sites: z.array(z.string()) })]).describe('"all" devices, or the devices at these sites'),
  implicit: z.boolean().describe('The partner that partner-role tokens naming no partner belong to'),
  tokens: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function view(p: PartnerRecord): z.infer<typeof partnerView> {
  return {
    partnerId: p.partnerId,
    name: p.name,
    access: accessLevel(p),
    grants: { administrator: p.administrator, deviceData: p.deviceData },
    scope: p.scope.kind === 'all' ? 'all' : { sites: [...p.scope.sites] },
    implicit: p.implicit,
    tokens: p.tokens,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

function toApiError(error: unknown): unknown {
  if (error instanceof PartnerRequestError) return new ApiError(error.code, `body: ${error.message}`);
  if (error instanceof PartnerIdTakenError) return new ApiError('PARTNER_ID_TAKEN', error.message);
  return error;
}

/** Partner organisations: the customer's admins only (partners, even administrators, never manage partners). */
export function partnerRoutes(routes: RouteTable, deps: HttpDeps, streams: EventStreams): void {
  const { partners } = deps;
  const notFound = (partnerId: string) => new ApiError('PARTNER_NOT_FOUND', `no partner with Partner ID ${partnerId}: list them with GET /api/v1/partners`);
  const found = (partnerId: string, partner: PartnerRecord | undefined): PartnerRecord => {
    if (!partner) throw notFound(partnerId);
    return partner;
  };
  const changing = <T>(change: () => T): T => {
    try {
      return change();
    } catch (error) {
      throw toApiError(error);
    }
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/partners',
    summary: 'Partner organisations, by Partner ID, with their access level, grants, scope and token count',
    tag: 'partners',
    access: 'admin',
    response: z.object({ partners: z.array(partnerView) }),
    handler: () => ({ partners: partners.list().map(view) }),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/partners',
    summary: 'Add a partner: read-only, without API device data, all devices, unless the body says otherwise',
    tag: 'partners',
    access: 'admin',
    body: z
      .object({
        name: z.string().min(1).max(PARTNER_NAME_MAX).describe('The organisation, e.g. "Acme, Inc."'),
        partnerId: z.string().max(200).optional().describe('Default: made from the name (Acme, Inc. -> ACME_INC)'),
        administrator: z.boolean().optional(),
        deviceData: z.boolean().optional(),
        scope: scopeSchema.optional(),
      })
      .strict(),
    status: 201,
    response: partnerView,
    errors: ['PARTNER_ID_INVALID', 'PARTNER_ID_TAKEN', 'PARTNER_SCOPE_UNKNOWN'],
    handler: ({ body, caller }) =>
      view(changing(() => partners.create({ ...body, scope: body.scope === undefined ? undefined : toScope(body.scope) }, caller!))),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/partners/:partnerId',
    summary: 'One partner',
    tag: 'partners',
    access: 'admin',
    params: partnerParams,
    response: partnerView,
    errors: ['PARTNER_NOT_FOUND'],
    handler: ({ params }) => view(found(params.partnerId, partners.find(params.partnerId))),
  });

  routes.add({
    method: 'PATCH',
    url: '/api/v1/partners/:partnerId',
    summary: 'Rename a partner, change its Partner ID (its tokens stay its own), or change its scope; open streams of its tokens end on a scope change',
    tag: 'partners',
    access: 'admin',
    params: partnerParams,
    body: z
      .object({ name: z.string().min(1).max(PARTNER_NAME_MAX).optional(), partnerId: z.string().max(200).optional(), scope: scopeSchema.optional() })
      .strict()
      .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of name, partnerId, scope' }),
    response: partnerView,
    errors: ['PARTNER_NOT_FOUND', 'PARTNER_ID_INVALID', 'PARTNER_ID_TAKEN', 'PARTNER_SCOPE_UNKNOWN'],
    handler: ({ params, body, caller }) => {
      const { scope, ...rest } = body;
      const updated = changing(() => partners.update(params.partnerId, { ...rest, ...(scope === undefined ? {} : { scope: toScope(scope) }) }, caller!));
      streams.recheck();
      return view(found(params.partnerId, updated));
    },
  });

  const grantParams = partnerParams.extend({ grant: z.enum(GRANTS).describe('administrator or device-data') }).strict();
  const setGrant = (held: boolean) => ({ params, caller }: { params: { partnerId: string; grant: Grant }; caller: Parameters<typeof partners.setGrant>[3] | undefined }) => {
    const updated = found(params.partnerId, partners.setGrant(params.partnerId, params.grant, held, caller!));
    // A revocation ends the partner's open streams now, not at their next periodic check.
    streams.recheck();
    return view(updated);
  };

  routes.add({
    method: 'PUT',
    url: '/api/v1/partners/:partnerId/grants/:grant',
    summary: 'Grant a partner administrator access or API device-data access (each on its own)',
    tag: 'partners',
    access: 'admin',
    params: grantParams,
    response: partnerView,
    errors: ['PARTNER_NOT_FOUND'],
    handler: setGrant(true),
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/partners/:partnerId/grants/:grant',
    summary: 'Revoke a grant, effective at once: the partner\'s next request is refused it, and its open event streams end',
    tag: 'partners',
    access: 'admin',
    params: grantParams,
    response: partnerView,
    errors: ['PARTNER_NOT_FOUND'],
    handler: setGrant(false),
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/partners/:partnerId',
    summary: 'Remove a partner and its tokens (its audit log entries are kept)',
    tag: 'partners',
    access: 'admin',
    params: partnerParams,
    response: z.object({ removed: partnerView }),
    errors: ['PARTNER_NOT_FOUND'],
    handler: ({ params, caller }) => {
      const removed = found(params.partnerId, partners.remove(params.partnerId, caller!));
      streams.recheck();
      return { removed: view(removed) };
    },
  });
}
