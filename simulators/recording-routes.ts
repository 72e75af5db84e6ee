import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { bodyProblems, ControlErrorCode, sendError } from './control-errors.js';
import { RecordingChangeError, VALUE_TYPE_NAMES } from './devices/recorded-values.js';
import { NoNotificationError, SnmprecDevice } from './devices/snmprec-device.js';
import type { Fleet } from './fleet.js';

const valueShape = {
  type: z.enum(VALUE_TYPE_NAMES, { error: () => `type must be one of ${VALUE_TYPE_NAMES.join(', ')}` }),
  value: z.union([z.string(), z.number()]).optional(),
  hex: z.string().optional(),
};
const columns = z.record(z.string(), z.object(valueShape).strict());
const alertBody = z.object({ trapOid: z.string().optional(), objects: z.array(z.string()).max(64).optional() }).strict();
const changesBody = z
  .object({
    set: z.array(z.object({ oid: z.string(), ...valueShape }).strict()).optional(),
    delete: z.array(z.string()).optional(),
    setRows: z.array(z.object({ entry: z.string(), index: z.string(), columns }).strict()).optional(),
    deleteRows: z.array(z.object({ entry: z.string(), index: z.string() }).strict()).optional(),
    notify: z.union([z.boolean(), alertBody]).optional(),
  })
  .strict();
/** `?notify=true` on a single change: send the configured notification once it is applied. */
const notifyQuery = z.object({ notify: z.enum(['true', 'false']).optional() }).strict();

type Params = { id: string; oid: string; entry: string; index: string };

/**
 * Routes that change what an `snmprec` device answers: values, table rows (an alarm table's rows
 * come and go), and the "alert present" notification to send after a change. Every change is
 * checked whole before any of it applies; a refused one answers 400 and changes nothing.
 */
export function addRecordingRoutes(app: FastifyInstance, fleet: Fleet): void {
  const withRecording = (id: string, reply: FastifyReply, action: (device: SnmprecDevice) => unknown) => {
    const device = fleet.get(id);
    if (!device) return sendError(reply, 404, ControlErrorCode.deviceNotFound, `no simulated device at ${id}`);
    if (!(device instanceof SnmprecDevice)) {
      return sendError(reply, 409, ControlErrorCode.notARecording, `${device.kind} device ${id} is not a recording: values change on snmprec devices only (other kinds change through their named alarms)`);
    }
    try {
      return action(device);
    } catch (error) {
      if (error instanceof RecordingChangeError) return sendError(reply, 400, ControlErrorCode.invalidChange, error.message);
      if (error instanceof NoNotificationError) return sendError(reply, 409, ControlErrorCode.noNotification, error.message);
      throw error;
    }
  };

  /** Parses body and query; on a problem answers 400 and returns undefined. */
  const parsed = <T>(schema: z.ZodType<T>, input: unknown, reply: FastifyReply, what: string): T | undefined => {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    sendError(reply, 400, ControlErrorCode.invalidBody, `${what}: ${bodyProblems(result.error)}`);
    return undefined;
  };
  const notifyFrom = (query: unknown, reply: FastifyReply): { notify: true | undefined } | undefined => {
    const q = parsed(notifyQuery, query ?? {}, reply, 'query');
    return q && { notify: q.notify === 'true' ? true : undefined };
  };

  app.put<{ Params: Params }>('/devices/:id/values/:oid', async (request, reply) => {
    const q = notifyFrom(request.query, reply);
    const body = q && parsed(z.object(valueShape).strict(), request.body, reply, 'body must be {"type", "value" or "hex"}');
    if (!q || !body) return reply;
    return withRecording(request.params.id, reply, (d) => d.applyChanges({ set: [{ ...body, oid: request.params.oid }] }, q.notify));
  });

  app.delete<{ Params: Params }>('/devices/:id/values/:oid', async (request, reply) => {
    const q = notifyFrom(request.query, reply);
    if (!q) return reply;
    return withRecording(request.params.id, reply, (d) => d.applyChanges({ delete: [request.params.oid] }, q.notify));
  });

  app.put<{ Params: Params }>('/devices/:id/rows/:entry/:index', async (request, reply) => {
    const q = notifyFrom(request.query, reply);
    const body = q && parsed(z.object({ columns }).strict(), request.body, reply, 'body must be {"columns": {"<column>": {"type", "value" or "hex"}}}');
    if (!q || !body) return reply;
    const { entry, index } = request.params;
    return withRecording(request.params.id, reply, (d) => d.applyChanges({ setRows: [{ entry, index, columns: body.columns }] }, q.notify));
  });

  app.delete<{ Params: Params }>('/devices/:id/rows/:entry/:index', async (request, reply) => {
    const q = notifyFrom(request.query, reply);
    if (!q) return reply;
    const { entry, index } = request.params;
    return withRecording(request.params.id, reply, (d) => d.applyChanges({ deleteRows: [{ entry, index }] }, q.notify));
  });

  app.post<{ Params: Params }>('/devices/:id/changes', async (request, reply) => {
    const body = parsed(changesBody, request.body, reply, 'body must be {"set", "delete", "setRows", "deleteRows", "notify"}');
    if (!body) return reply;
    const { notify, ...changes } = body;
    return withRecording(request.params.id, reply, (d) => d.applyChanges(changes, notify === true ? true : notify === false ? undefined : notify));
  });

  app.post<{ Params: Params }>('/devices/:id/notify', async (request, reply) => {
    const body = parsed(alertBody, request.body ?? {}, reply, 'body must be {"trapOid"?, "objects"?}');
    if (!body) return reply;
    return withRecording(request.params.id, reply, (d) => d.sendAlertPresent(body));
  });
}
