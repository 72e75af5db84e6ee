import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiTokens } from '../access/tokens.js';
import type { AlarmEventBus } from '../alarms/events.js';
import type { DeviceService } from '../app/device-service.js';
import type { LicenseService } from '../app/license-service.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { registerConsole } from '../console/plugin.js';
import type { ConsoleServices } from '../console/services.js';
import { authorizer, type Authenticate } from './auth.js';
import { ApiError } from './errors.js';
import { apiErrorHandler, BODY_LIMIT_BYTES, clientErrorHandler, routerErrorHandler } from './framework-errors.js';
import { alarmRoutes } from './routes/alarms.js';
import { deviceRoutes } from './routes/devices.js';
import { licenseRoutes } from './routes/licenses.js';
import { systemRoutes } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';
import { RouteTable, type Access } from './route.js';
import { EventStreams } from './streams.js';

export interface HttpDeps extends ConsoleServices {
  store: Store;
  devices: DeviceService;
  scheduler: ScanScheduler;
  licenses: LicenseService;
  bus: AlarmEventBus;
  registry: Registry;
  tokens: ApiTokens;
  clock: Clock;
  authenticate: Authenticate;
  /** 'public' unless the config puts /metrics behind a token. */
  metricsAccess: Access;
  /** Extra facts for /healthz (listener port, devices, queue). */
  health: () => Record<string, unknown>;
  ready: () => boolean;
  about: () => { version: string; serverId: string | null; serverIdError: string | null; snmpEngineId: string };
}

/**
 * The HTTP API. It reads the store and asks the services for changes; it never speaks SNMP.
 * Every error it answers, including those refused before a route runs, is {"error": {"code", "message"}}.
 */
export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  let closing = false;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // fastify's own 503 while closing has its own body: the onRequest hook below answers instead.
    return503OnClosing: false,
    frameworkErrors: routerErrorHandler,
    clientErrorHandler,
  });
  // Bodies are JSON only: fastify's text/plain parser would hand routes a string (a 400 about the
  // body's type) where the answer is that the media type is wrong (415).
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}: see /docs`).toJSON()),
  );
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    const error = new ApiError('NOT_READY', 'priscan is stopping');
    await reply.code(error.status).header('connection', 'close').send(error.toJSON());
  });

  const streams = new EventStreams({ clock: deps.clock });
  app.addHook('preClose', async () => {
    closing = true;
    streams.closeAll();
  });

  const routes = new RouteTable();
  systemRoutes(routes, deps);
  deviceRoutes(routes, deps);
  alarmRoutes(routes, deps, streams);
  licenseRoutes(routes, deps);
  tokenRoutes(routes, deps, streams);
  // The operator console (issue 14); its session cookie also opens the alarm stream for its pages.
  const sessionCaller = registerConsole(app, { ...deps, recheckStreams: () => streams.recheck() });
  routes.register(app, authorizer(deps.authenticate, sessionCaller));
  return app;
}
