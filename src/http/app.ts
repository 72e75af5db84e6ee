import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AuditLog } from '../access/audit.js';
import { maskAddressesIn } from '../access/mask.js';
import type { Partners } from '../access/partners.js';
import type { DeviceSite } from '../access/scope.js';
import type { ApiTokens } from '../access/tokens.js';
import type { AlarmEventBus } from '../alarms/events.js';
import type { DeviceService } from '../app/device-service.js';
import type { LicenseService } from '../app/license-service.js';
import type { ThresholdService } from '../app/threshold-service.js';
import type { ReadingsService } from '../app/readings-service.js';
import type { DiscoveryService } from '../discovery/service.js';
import type { RegistrationService } from '../app/registration-service.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { authorizer, RequestCallers, type Authenticate } from './auth.js';
import { ApiError } from './errors.js';
import { apiErrorHandler, BODY_LIMIT_BYTES, clientErrorHandler, routerErrorHandler } from './framework-errors.js';
import { alarmAckRoutes } from './routes/alarm-acks.js';
import { alarmRoutes } from './routes/alarms.js';
import { auditRoutes } from './routes/audit.js';
import { deviceRoutes } from './routes/devices.js';
import { profileRoutes } from './routes/profiles.js';
import { readingRoutes } from './routes/readings.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import { discoveryRoutes } from './routes/discovery.js';
import { licenseRoutes } from './routes/licenses.js';
import { partnerRoutes } from './routes/partners.js';
import { registrationRoutes } from './routes/registration.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import type { ClusterView } from '../cluster/view.js';
import { systemRoutes } from './routes/system.js';
import { thresholdRoutes } from './routes/thresholds.js';
import { tokenRoutes } from './routes/tokens.js';
import { RouteTable, type Access } from './route.js';
import { EventStreams } from './streams.js';
import { DeviceVisibility } from './visibility.js';

export interface HttpDeps {
  store: Store;
  devices: DeviceService;
  thresholds: ThresholdService;
  discovery: DiscoveryService;
  scheduler: ScanScheduler;
  licenses: LicenseService;
  profiles: ProfileRegistry;
  readings: ReadingsService;
  bus: AlarmEventBus;
  registry: Registry;
  tokens: ApiTokens;
  partners: Partners;
  audit: AuditLog;
  registration: RegistrationService;
  /** Where a device stands, for partners scoped to sites. */
  deviceSite: DeviceSite;
  clock: Clock;
  authenticate: Authenticate;
  /** 'public' unless the config puts /metrics behind a token. */
  metricsAccess: Access;
  /** Extra facts for /healthz (listener port, devices, queue). */
  health: () => Record<string, unknown>;
  ready: () => boolean;
  about: () => { version: string; serverId: string | null; serverIdError: string | null; snmpEngineId: string };
  /** Who called each request (filled in by the authorizer): for the audit log and masking. */
  callers: RequestCallers;
  /** Which alarms maintenance holds back from notification, and where to say a window changed (the notifier). */
  maintenance: {
    holdOf(alarm: { deviceId: number; key: string; raisedAt: number }): { windowId: number } | undefined;
    maintenanceChanged(): void;
  };
  /** Cluster mode: which collector owns what (undefined for a single priscan). */
  cluster?: ClusterView;
}

/** The HTTP API's dependencies before the app adds its own (who called each request). */
export type HttpAppDeps = Omit<HttpDeps, 'callers'>;

/**
 * The HTTP API. It reads the store and asks the services for changes; it never speaks SNMP.
 * Every error it answers, including those refused before a route runs, is {"error": {"code", "message"}}.
 */
export function buildHttpApp(appDeps: HttpAppDeps): FastifyInstance {
  const deps: HttpDeps = { ...appDeps, callers: new RequestCallers() };
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

  partnerHooks(app, deps);

  const streams = new EventStreams({ clock: deps.clock });
  app.addHook('preClose', async () => {
    closing = true;
    streams.closeAll();
  });

  const routes = new RouteTable();
  systemRoutes(routes, deps);
  deviceRoutes(routes, deps);
  readingRoutes(routes, deps);
  alarmRoutes(routes, deps, streams);
  alarmAckRoutes(routes, deps);
  maintenanceRoutes(routes, deps);
  licenseRoutes(routes, deps);
  profileRoutes(routes, deps);
  tokenRoutes(routes, deps, streams);
  discoveryRoutes(routes, deps);
  thresholdRoutes(routes, deps);
  partnerRoutes(routes, deps, streams);
  auditRoutes(routes, deps);
  registrationRoutes(routes, deps);
  routes.register(app, authorizer(deps.authenticate, deps.callers, () => deps.clock.now()));
  return app;
}

/**
 * What every answer to a partner's token goes through, whatever the route: read-only partners get
 * every device address in it masked (the routes mask already; this catches what a device's own
 * text or a future route lets through), and each request is written to the audit log with its status.
 */
function partnerHooks(app: FastifyInstance, deps: HttpDeps): void {
  app.addHook('onSend', async (request, _reply, payload) => {
    const caller = deps.callers.get(request)?.caller;
    if (!caller || typeof payload !== 'string' || !DeviceVisibility.of(caller, deps).masked) return payload;
    return maskAddressesIn(payload, deps.store.devices.list().map((d) => d.address));
  });
  app.addHook('onResponse', async (request, reply) => {
    const seen = deps.callers.get(request);
    if (!seen?.caller.partner || seen.audited) return;
    deps.audit.partnerRequest(seen.caller, { at: seen.at, method: request.method, route: request.routeOptions.url ?? request.url, path: request.url, status: reply.statusCode });
  });
}
