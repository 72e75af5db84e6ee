import { z } from 'zod';
import { windowState, type MaintenanceWindow } from '../../alarms/maintenance.js';
import { MAX_WINDOW_MINUTES, MaintenanceRequestError, type MaintenanceAsk } from '../../app/maintenance-service.js';
import { profileNameSchema } from '../../profiles/schema.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import { operatorText } from '../schemas.js';

const MINUTE_MS = 60_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const windowId = z.object({ id: z.string().regex(/^[1-9]\d{0,9}$/, 'must be a maintenance window id (a positive whole number)').describe('Maintenance window id') }).strict();

const windowView = z.object({
  id: z.number().int(),
  state: z.enum(['scheduled', 'active', 'ended']),
  startsAt: z.string(),
  endsAt: z.string().describe('As planned'),
  endedAt: z.string().nullable().describe('When an admin ended it early; null otherwise'),
  reason: z.string(),
  scope: z.union([
    z.object({ kind: z.literal('devices'), devices: z.array(z.object({ id: z.number().int(), name: z.string() })).describe('Devices deleted since are left out') }),
    z.object({ kind: z.literal('site'), site: z.string() }),
    z.object({ kind: z.literal('profile'), profile: z.string() }),
  ]),
  createdBy: z.string().describe('The API token\'s name'),
  createdAt: z.string(),
});

const createBody = z
  .object({
    startsAt: z.iso.datetime({ offset: true }).optional().describe('Default: now. Not in the past: alarms already sent cannot be held back'),
    endsAt: z.iso.datetime({ offset: true }).optional().describe('When it ends (or give durationMinutes)'),
    durationMinutes: z.number().int().min(1).max(MAX_WINDOW_MINUTES).optional(),
    reason: operatorText(500),
    devices: z
      .array(z.union([z.number().int().min(1).max(2 ** 31), z.string().min(1).max(64)]))
      .min(1)
      .max(1000)
      .optional()
      .describe('Scope: these devices, by id or name'),
    site: z.string().min(1).max(128).optional().describe('Scope: every device at this site'),
    profile: profileNameSchema.optional().describe('Scope: every device of this profile (auto devices by the profile they resolved to)'),
  })
  .strict()
  .refine((b) => (b.endsAt === undefined) !== (b.durationMinutes === undefined), { message: 'give endsAt or durationMinutes (one of them)' })
  .refine((b) => [b.devices, b.site, b.profile].filter((s) => s !== undefined).length === 1, { message: 'give one scope: devices, site or profile' });

const listQuery = z
  .object({
    state: z.enum(['scheduled', 'active', 'ended']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** Maintenance windows (MaintenanceService): admins plan and end them; anyone with a token reads them. */
export function maintenanceRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { store, clock, maintenance } = deps;

  const view = (w: MaintenanceWindow): z.infer<typeof windowView> => {
    const { scope } = w;
    return {
      id: w.id,
      state: windowState(w, clock.now()),
      startsAt: iso(w.startsAt)!,
      endsAt: iso(w.endsAt)!,
      endedAt: iso(w.endedAt),
      reason: w.reason,
      scope:
        scope.kind === 'devices'
          ? { kind: 'devices', devices: scope.deviceIds.flatMap((id) => store.devices.get(id) ?? []).map((d) => ({ id: d.id, name: d.name })) }
          : scope,
      createdBy: w.createdBy,
      createdAt: iso(w.createdAt)!,
    };
  };
  const find = (id: string): MaintenanceWindow => {
    const window = maintenance.get(Number(id));
    if (!window) throw new ApiError('MAINTENANCE_NOT_FOUND', `no maintenance window ${id}: list them with GET /api/v1/maintenance`);
    return window;
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/maintenance',
    summary: 'Maintenance windows, newest start first',
    tag: 'maintenance',
    access: 'read',
    query: listQuery,
    response: z.object({ windows: z.array(windowView) }),
    handler: ({ query }) => ({ windows: maintenance.list({ state: query.state, limit: query.limit }).map(view) }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/maintenance/:id',
    summary: 'One maintenance window',
    tag: 'maintenance',
    access: 'read',
    params: windowId,
    response: z.object({ window: windowView }),
    errors: ['MAINTENANCE_NOT_FOUND'],
    handler: ({ params }) => ({ window: view(find(params.id)) }),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/maintenance',
    summary: 'Plan a maintenance window: alarms raised in it are stored and shown but not sent to Alertmanager or webhooks until it ends',
    tag: 'maintenance',
    access: 'admin',
    body: createBody,
    status: 201,
    response: z.object({ window: windowView }),
    errors: ['DEVICE_NOT_FOUND', 'PROFILE_UNKNOWN'],
    handler: ({ body, caller }) => ({ window: view(refusedAsApiError(() => maintenance.plan(askOf(body, caller!.name)))) }),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/maintenance/:id/end',
    summary: 'End a maintenance window now (a scheduled one never starts): the alarms it held that are still active are sent',
    tag: 'maintenance',
    access: 'admin',
    params: windowId,
    response: z.object({ window: windowView }),
    errors: ['MAINTENANCE_NOT_FOUND', 'MAINTENANCE_ENDED'],
    handler: ({ params }) => ({ window: view(refusedAsApiError(() => maintenance.end(find(params.id).id))) }),
  });
}

/** The body as the service takes it: times in ms, one scope. */
function askOf(body: z.infer<typeof createBody>, by: string): MaintenanceAsk {
  return {
    startsAt: body.startsAt === undefined ? undefined : Date.parse(body.startsAt),
    endsAt: body.endsAt === undefined ? undefined : Date.parse(body.endsAt),
    durationMs: body.durationMinutes === undefined ? undefined : body.durationMinutes * MINUTE_MS,
    reason: body.reason,
    scope: body.site !== undefined ? { site: body.site } : body.profile !== undefined ? { profile: body.profile } : { devices: body.devices ?? [] },
    by,
  };
}

function refusedAsApiError<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    if (error instanceof MaintenanceRequestError) throw new ApiError(error.code, error.field ? `body: ${error.field}: ${error.reason}` : error.reason);
    throw error;
  }
}
