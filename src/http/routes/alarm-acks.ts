import { z } from 'zod';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import { alarmView as alarmViewSchema, eventView as eventViewSchema, operatorText } from '../schemas.js';
import { alarmView, eventView } from '../views.js';

/** An active alarm, by its device (id or name) and its key as GET /api/v1/alarms lists it. */
const alarmRef = {
  deviceId: z.number().int().min(1).max(2 ** 31).optional().describe('The device\'s id (or give device)'),
  device: z.string().min(1).max(64).optional().describe('The device\'s name (or give deviceId)'),
  key: z.string().min(1).max(1024).describe('The alarm key, as GET /api/v1/alarms lists it'),
};
const oneDevice = (body: { deviceId?: number; device?: string }) => (body.deviceId === undefined) !== (body.device === undefined);
const ONE_DEVICE = { message: 'name the device with deviceId or device (one of them)' };

const ackBody = z.object({ ...alarmRef, comment: operatorText(1000).describe('Why: what is being done about it') }).strict().refine(oneDevice, ONE_DEVICE);
const unackBody = z.object({ ...alarmRef, comment: operatorText(1000).optional() }).strict().refine(oneDevice, ONE_DEVICE);

const ackAnswer = z.object({ alarm: alarmViewSchema, event: eventViewSchema.describe('The ack or unack event logged (and streamed)') });

/** Acknowledging an active alarm, and taking it back (AcknowledgementService): admins only, each an event in the log and the stream. */
export function alarmAckRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { store, acknowledgements } = deps;

  const apply = (body: z.infer<typeof unackBody>, by: string, acknowledge: boolean) => {
    const device = body.deviceId !== undefined ? store.devices.get(body.deviceId) : store.devices.getByName(body.device!);
    if (!device) throw new ApiError('DEVICE_NOT_FOUND', body.deviceId !== undefined ? `no device ${body.deviceId}` : `no device named ${body.device}`);
    const ask = { deviceId: device.id, key: body.key, by, comment: body.comment ?? null };
    const outcome = acknowledge ? acknowledgements.acknowledge(ask) : acknowledgements.unacknowledge(ask);
    if (!outcome.ok) {
      const which = `alarm ${JSON.stringify(body.key)} on ${device.name}`;
      if (outcome.why === 'not-active') throw new ApiError('ALARM_NOT_FOUND', `no active ${which}: it may have cleared (see GET /api/v1/alarms)`);
      const ack = outcome.alarm.acknowledgement;
      if (outcome.why === 'already-acknowledged') {
        throw new ApiError('ALARM_ALREADY_ACKNOWLEDGED', `${which} was acknowledged by ${ack?.by ?? '?'} at ${new Date(ack?.at ?? 0).toISOString()}: withdraw that first (POST /api/v1/alarms/unack)`);
      }
      throw new ApiError('ALARM_NOT_ACKNOWLEDGED', `${which} is not acknowledged`);
    }
    return { alarm: alarmView(outcome.alarm, device.name, deps.maintenanceHolds.holdOf(outcome.alarm)), event: eventView(outcome.event) };
  };

  routes.add({
    method: 'POST',
    url: '/api/v1/alarms/ack',
    summary: 'Acknowledge an active alarm with a comment: logged (and streamed) as an ack event; the alarm stays active until the device clears it',
    tag: 'alarms',
    access: 'admin',
    body: ackBody,
    response: ackAnswer,
    errors: ['DEVICE_NOT_FOUND', 'ALARM_NOT_FOUND', 'ALARM_ALREADY_ACKNOWLEDGED'],
    handler: ({ body, caller }) => apply(body, caller!.name, true),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/alarms/unack',
    summary: 'Withdraw an acknowledgement (logged and streamed as an unack event)',
    tag: 'alarms',
    access: 'admin',
    body: unackBody,
    response: ackAnswer,
    errors: ['DEVICE_NOT_FOUND', 'ALARM_NOT_FOUND', 'ALARM_NOT_ACKNOWLEDGED'],
    handler: ({ body, caller }) => apply(body, caller!.name, false),
  });
}
