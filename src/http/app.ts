import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import type { AlarmEventBus } from '../alarms/events.js';
import type { DeviceService } from '../app/device-service.js';
import type { LicenseService } from '../app/license-service.js';
import type { DiscoveryService } from '../discovery/service.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import type { Store } from '../store/store.js';
import { authorizer, type Authenticate } from './auth.js';
import { ApiError } from './errors.js';
import { alarmRoutes } from './routes/alarms.js';
import { deviceRoutes } from './routes/devices.js';
import { discoveryRoutes } from './routes/discovery.js';
import { licenseRoutes } from './routes/licenses.js';
import { systemRoutes } from './routes/system.js';
import { RouteTable, type Access } from './route.js';

export interface HttpDeps {
  store: Store;
  devices: DeviceService;
  discovery: DiscoveryService;
  scheduler: ScanScheduler;
  licenses: LicenseService;
  bus: AlarmEventBus;
  registry: Registry;
  authenticate: Authenticate;
  /** 'public' unless the config puts /metrics behind a token. */
  metricsAccess: Access;
  /** Extra facts for /healthz (listener port, devices, queue). */
  health: () => Record<string, unknown>;
  ready: () => boolean;
  about: () => { version: string; serverId: string | null; serverIdError: string | null; snmpEngineId: string };
}

export const BODY_LIMIT_BYTES = 64 * 1024;

/** The HTTP API. It reads the store and asks the services for changes; it never speaks SNMP. */
export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // URLs the router cannot decode get a coded error like every other bad request.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const message = error.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (bad percent-encoding)' : `bad request: ${error.message}`;
      void reply.code(400).send(new ApiError('VALIDATION_FAILED', message).toJSON());
    },
  });

  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.toJSON());
    const status = (error as FastifyError).statusCode ?? 500;
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(new ApiError('BODY_TOO_LARGE', `request body is larger than ${BODY_LIMIT_BYTES / 1024} KiB`).toJSON());
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json').toJSON());
    }
    if (status < 500) return reply.code(400).send(new ApiError('VALIDATION_FAILED', `body: ${error.message}`).toJSON());
    return reply.code(500).send(new ApiError('INTERNAL', 'internal error').toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}: see /docs`).toJSON()),
  );

  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...streams]) close();
  });

  const routes = new RouteTable();
  systemRoutes(routes, deps);
  deviceRoutes(routes, deps);
  alarmRoutes(routes, deps, streams);
  licenseRoutes(routes, deps);
  discoveryRoutes(routes, deps);
  routes.register(app, authorizer(deps.authenticate));
  return app;
}
