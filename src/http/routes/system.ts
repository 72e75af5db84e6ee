import { z } from 'zod';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import { STORE_UNAVAILABLE_MESSAGE } from '../framework-errors.js';
import { buildOpenApi, docsPage } from '../openapi.js';
import type { RouteTable } from '../route.js';

export function systemRoutes(routes: RouteTable, deps: HttpDeps): void {
  routes.add({
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness: the process is up and serving',
    tag: 'system',
    access: 'public',
    response: z.object({ status: z.literal('ok') }).loose(),
    handler: () => ({ status: 'ok' as const, ...deps.health() }),
  });

  routes.add({
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: every component has started, the notification listener is bound, and the store\'s database answers',
    tag: 'system',
    access: 'public',
    response: z.object({ status: z.literal('ready') }),
    errors: ['NOT_READY', 'STORE_UNAVAILABLE'],
    handler: () => {
      if (!deps.ready()) throw new ApiError('NOT_READY', 'priscan is starting or stopping');
      if (!deps.store.reachable()) throw new ApiError('STORE_UNAVAILABLE', STORE_UNAVAILABLE_MESSAGE);
      return { status: 'ready' as const };
    },
  });

  routes.add({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tag: 'system',
    access: deps.metricsAccess,
    produces: 'text/plain',
    handler: async ({ reply }) => {
      reply.header('content-type', deps.registry.contentType);
      return deps.registry.metrics();
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/about',
    summary: 'Version, server identity (the MAC address license keys are bound to), System ID and registration, and the SNMPv3 engine ID informs are addressed to',
    tag: 'system',
    access: 'read',
    partners: 'installation',
    response: z.object({
      name: z.literal('priscan'),
      version: z.string(),
      serverId: z.string().nullable(),
      serverIdError: z.string().nullable(),
      systemId: z.string().describe('The installation\'s System ID, generated once; registration codes are bound to it'),
      registered: z.boolean().describe('Whether a registration code for this System ID is applied (details: GET /api/v1/registration)'),
      snmpEngineId: z.string().describe('Hex; devices that send v3 informs without discovery are configured with it'),
    }),
    handler: () => ({ name: 'priscan' as const, ...deps.about(), systemId: deps.registration.systemId, registered: deps.registration.current() !== undefined }),
  });

  routes.add({
    method: 'GET',
    url: '/docs/json',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: 'system',
    access: 'public',
    handler: () => buildOpenApi(routes.routes, { title: 'priscan API', version: deps.about().version }),
  });

  routes.add({
    method: 'GET',
    url: '/docs',
    summary: 'A browsable page of this API',
    tag: 'system',
    access: 'public',
    produces: 'text/html',
    handler: ({ reply }) => reply.type('text/html; charset=utf-8').send(docsPage('priscan API')),
  });
}
