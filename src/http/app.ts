import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { DeviceService } from '../app/device-service.js';
import { toNewDevice } from '../app/device-service.js';
import { deviceInputSchema } from '../config/schema.js';
import { describeIssue } from '../config/load.js';
import type { Store } from '../store/store.js';
import { StoreConflictError } from '../store/devices.js';
import { ApiError } from './errors.js';
import { alarmView, deviceView, eventView } from './views.js';

export interface HttpDeps {
  store: Store;
  devices: DeviceService;
  registry: Registry;
  /** Extra facts for /healthz (listener port, devices, queue). */
  health: () => Record<string, unknown>;
}

const idParam = z.object({ id: z.string().regex(/^[1-9]\d{0,9}$/, 'must be a device id (a positive whole number)') });
const eventsQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError('VALIDATION_FAILED', describeIssue(parsed.error.issues[0] as z.core.$ZodIssue, what));
  return parsed.data;
}

/** The HTTP API. It reads the store and asks the device service for changes; it never speaks SNMP. */
export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.toJSON());
    const status = (error as FastifyError).statusCode ?? 500;
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(new ApiError('BODY_TOO_LARGE', 'request body is larger than 64 KiB').toJSON());
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json').toJSON());
    }
    if (status < 500) return reply.code(400).send(new ApiError('VALIDATION_FAILED', `body: ${error.message}`).toJSON());
    return reply.code(500).send(new ApiError('INTERNAL', 'internal error').toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON()),
  );

  app.get('/healthz', async () => ({ status: 'ok', ...deps.health() }));

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });

  app.get('/api/v1/devices', async () => ({ devices: deps.store.devices.list().map(deviceView) }));

  app.get('/api/v1/devices/:id', async (request) => {
    const { id } = parse(idParam, request.params, 'path');
    const device = deps.store.devices.get(Number(id));
    if (!device) throw new ApiError('DEVICE_NOT_FOUND', `no device ${id}`);
    return deviceView(device);
  });

  app.post('/api/v1/devices', async (request, reply) => {
    const input = parse(deviceInputSchema, request.body, 'body');
    try {
      const device = deps.devices.add(toNewDevice(input, 'api'));
      return reply.code(201).send(deviceView(device));
    } catch (error) {
      if (error instanceof StoreConflictError) throw new ApiError('DEVICE_EXISTS', error.message);
      throw error;
    }
  });

  app.delete('/api/v1/devices/:id', async (request) => {
    const { id } = parse(idParam, request.params, 'path');
    const device = deps.store.devices.get(Number(id));
    if (!device) throw new ApiError('DEVICE_NOT_FOUND', `no device ${id}`);
    if (device.origin === 'config') {
      throw new ApiError('DEVICE_FROM_CONFIG', `device ${device.name} is declared in the config file; remove it there`);
    }
    const result = await deps.devices.remove(device.id);
    return { deleted: device.id, deregistrationError: result?.deregistrationError ?? null };
  });

  app.get('/api/v1/alarms', async () => {
    const names = new Map(deps.store.devices.list().map((d) => [d.id, d.name]));
    return { alarms: deps.store.alarms.active().map((a) => alarmView(a, names.get(a.deviceId))) };
  });

  app.get('/api/v1/events', async (request) => {
    const { after, limit } = parse(eventsQuery, request.query, 'query');
    const events = deps.store.alarms.events(after, limit);
    return { events: events.map(eventView), lastId: events.at(-1)?.id ?? after };
  });

  return app;
}
