import { ReadingInstanceRequiredError, ReadingNotFoundError } from '../../app/readings-service.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import { deviceIdParams, readingHistoryQuery, readingHistoryView as readingHistoryViewSchema, readingsView as readingsViewSchema } from '../schemas.js';
import { readingHistoryView, readingsView } from '../views.js';
import { DeviceVisibility } from '../visibility.js';

/** What a history request covers when it does not say: the last day. */
const DEFAULT_SPAN_MS = 24 * 3_600_000;

function toApiError(error: unknown): unknown {
  if (error instanceof ReadingNotFoundError) return new ApiError('READING_NOT_FOUND', error.message);
  if (error instanceof ReadingInstanceRequiredError) return new ApiError('READING_INSTANCE_REQUIRED', error.message);
  return error;
}

export function readingRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { readings, clock } = deps;

  routes.add({
    method: 'GET',
    url: '/api/v1/devices/:id/readings',
    summary: 'The device\'s sensor readings: last value of each reading and row, with unit, label and when it was read',
    tag: 'readings',
    access: 'read',
    partners: 'device-data',
    params: deviceIdParams,
    response: readingsViewSchema,
    errors: ['DEVICE_NOT_FOUND'],
    handler: ({ params, caller }) => {
      // A partner's device outside its scope is answered as one that does not exist.
      const visible = DeviceVisibility.of(caller, deps);
      const device = visible.device(params.id);
      return readingsView(device, readings.lastValues(device), visible.masked);
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/devices/:id/readings/history',
    summary: 'One reading\'s history (one row of a table reading), oldest first; page with since=<next>',
    tag: 'readings',
    access: 'read',
    partners: 'device-data',
    params: deviceIdParams,
    query: readingHistoryQuery,
    response: readingHistoryViewSchema,
    errors: ['DEVICE_NOT_FOUND', 'READING_NOT_FOUND', 'READING_INSTANCE_REQUIRED'],
    handler: ({ params, query, caller }) => {
      const visible = DeviceVisibility.of(caller, deps);
      const device = visible.device(params.id);
      const until = query.until ? Date.parse(query.until) : clock.now();
      const since = query.since ? Date.parse(query.since) : until - DEFAULT_SPAN_MS;
      try {
        const history = readings.history(device, { reading: query.reading, instance: query.instance, since, until, limit: query.limit });
        return readingHistoryView(device, history, { since, until }, visible.masked);
      } catch (error) {
        throw toApiError(error);
      }
    },
  });
}
