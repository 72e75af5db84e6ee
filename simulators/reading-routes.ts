import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { bodyProblems, ControlErrorCode, sendError } from './control-errors.js';
import type { SimDevice } from './devices/device.js';
import { ReadingValueError, UnknownReadingError } from './devices/readings.js';
import type { Fleet } from './fleet.js';

const readingBody = z.object({ value: z.number() }).strict();

type Params = { id: string; name: string };

/**
 * Routes that set a simulated device's sensor readings by hand (a value past a threshold only the
 * manager knows) and release them. A refused name or value answers 400 and changes nothing.
 */
export function addReadingRoutes(app: FastifyInstance, fleet: Fleet): void {
  const withDevice = (id: string, reply: FastifyReply, action: (device: SimDevice) => unknown) => {
    const device = fleet.get(id);
    if (!device) return sendError(reply, 404, ControlErrorCode.deviceNotFound, `no simulated device at ${id}`);
    try {
      return action(device);
    } catch (error) {
      if (error instanceof UnknownReadingError) return sendError(reply, 400, ControlErrorCode.unknownReading, error.message);
      if (error instanceof ReadingValueError) return sendError(reply, 400, ControlErrorCode.invalidReading, error.message);
      throw error;
    }
  };
  const shown = (device: SimDevice, name: string) => device.readings.list().find((r) => r.name === name);

  app.put<{ Params: Params }>('/devices/:id/readings/:name', async (request, reply) => {
    const body = readingBody.safeParse(request.body);
    if (!body.success) return sendError(reply, 400, ControlErrorCode.invalidBody, `body must be {"value": <number, in the MIB object's raw units>}: ${bodyProblems(body.error)}`);
    const { id, name } = request.params;
    return withDevice(id, reply, (d) => {
      d.setReading(name, body.data.value);
      return { reading: shown(d, name) };
    });
  });

  app.delete<{ Params: Params }>('/devices/:id/readings/:name', async (request, reply) => {
    const { id, name } = request.params;
    return withDevice(id, reply, (d) => ({ changed: d.clearReading(name), reading: shown(d, name) }));
  });
}
