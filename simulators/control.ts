import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { FAULT_MODES, MAX_FAULT_DELAY_MS } from './agent/faults.js';
import { UnknownAlarmError, type SimDevice } from './devices/device.js';
import { ControlErrorCode, sendError } from './control-errors.js';
import type { Fleet } from './fleet.js';
import { addReadingRoutes } from './reading-routes.js';
import { addRecordingRoutes } from './recording-routes.js';

export { ControlErrorCode } from './control-errors.js';

const dropRateBody = z.object({ rate: z.number().min(0).max(1) }).strict();
const faultBody = z.object({ mode: z.enum(FAULT_MODES), delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional() }).strict();

/**
 * The simulators' HTTP control API: list devices, raise and clear alarms,
 * reboot, take offline, set notification loss, make a device answer like a
 * broken agent, and set its sensor readings. A device's id is its address.
 */
export function buildControlApp(fleet: Fleet): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) return sendError(reply, 500, ControlErrorCode.internal, 'internal error');
    return sendError(reply, status, ControlErrorCode.invalidBody, error.message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, ControlErrorCode.notFound, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  const withDevice = (id: string, reply: FastifyReply, action: (device: SimDevice) => unknown) => {
    const device = fleet.get(id);
    if (!device) return sendError(reply, 404, ControlErrorCode.deviceNotFound, `no simulated device at ${id}`);
    try {
      return action(device);
    } catch (error) {
      if (error instanceof UnknownAlarmError) return sendError(reply, 400, ControlErrorCode.unknownAlarm, error.message);
      throw error;
    }
  };

  app.get('/devices', async () => ({ devices: fleet.devices.map((d) => d.status()) }));

  app.get<{ Params: { id: string } }>('/devices/:id', async (request, reply) =>
    withDevice(request.params.id, reply, (d) => d.status()),
  );

  app.post<{ Params: { id: string; name: string } }>('/devices/:id/alarms/:name', async (request, reply) =>
    withDevice(request.params.id, reply, (d) => ({ alarm: request.params.name, changed: d.raise(request.params.name), alarms: d.activeAlarms() })),
  );

  app.delete<{ Params: { id: string; name: string } }>('/devices/:id/alarms/:name', async (request, reply) =>
    withDevice(request.params.id, reply, (d) => ({ alarm: request.params.name, changed: d.clear(request.params.name), alarms: d.activeAlarms() })),
  );

  app.post<{ Params: { id: string } }>('/devices/:id/reboot', async (request, reply) =>
    withDevice(request.params.id, reply, (d) => {
      d.reboot();
      return d.status();
    }),
  );

  for (const [path, online] of [['offline', false], ['online', true]] as const) {
    app.post<{ Params: { id: string } }>(`/devices/:id/${path}`, async (request, reply) =>
      withDevice(request.params.id, reply, (d) => {
        d.setOnline(online);
        return d.status();
      }),
    );
  }

  app.put<{ Params: { id: string } }>('/devices/:id/drop-rate', async (request, reply) => {
    const parsed = dropRateBody.safeParse(request.body);
    if (!parsed.success) {
      return sendError(reply, 400, ControlErrorCode.invalidBody, 'body must be {"rate": <number from 0 to 1>}, the share of notifications to drop');
    }
    return withDevice(request.params.id, reply, (d) => {
      d.setDropRate(parsed.data.rate);
      return d.status();
    });
  });

  app.put<{ Params: { id: string } }>('/devices/:id/fault', async (request, reply) => {
    const parsed = faultBody.safeParse(request.body);
    if (!parsed.success) {
      return sendError(reply, 400, ControlErrorCode.invalidBody, `body must be {"mode": one of ${FAULT_MODES.join(', ')}, "delayMs"?: <ms, for slow>}`);
    }
    return withDevice(request.params.id, reply, (d) => {
      d.setFault(parsed.data.mode, { delayMs: parsed.data.delayMs });
      return d.status();
    });
  });

  addRecordingRoutes(app, fleet);
  addReadingRoutes(app, fleet);
  return app;
}

/** Parses `host:port` for the control listener. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new Error(`control address "${text}" must be HOST:PORT, e.g. 127.0.0.1:9471`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}
