import { z } from 'zod';
import { ThresholdExistsError, ThresholdFromConfigError, ThresholdInputError, ThresholdNotFoundError } from '../../app/threshold-service.js';
import { thresholdOverrideSchema, thresholdSettingsShape } from '../../config/schema.js';
import { THRESHOLD_LEVELS } from '../../profiles/schema.js';
import { THRESHOLD_SCOPES, type EffectiveThreshold } from '../../thresholds/evaluate.js';
import type { ThresholdOverride } from '../../thresholds/overrides.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import { DeviceVisibility } from '../visibility.js';
import type { RouteTable } from '../route.js';
import { deviceIdParams } from '../schemas.js';

const thresholdIdParams = z
  .object({
    id: z
      .string()
      .regex(/^([1-9]\d{0,9}|config-\d{1,4})$/, "must be a threshold id: a number, or config-N for the config file's thresholds.N")
      .describe('Threshold id, as GET /api/v1/thresholds lists it'),
  })
  .strict();

/** What a threshold sets, as written in the config file and sent to the API. */
const settingsView = {
  reading: z.string(),
  level: z.enum(THRESHOLD_LEVELS),
  instance: z.string().optional().describe('One row, by label or index; absent: every row'),
  above: z.number().optional(),
  below: z.number().optional(),
  outside: z.tuple([z.number(), z.number()]).readonly().optional(),
  disabled: z.literal(true).optional().describe('Removes the inherited threshold'),
  hysteresis: z.number().optional(),
  forSeconds: z.number().int().optional(),
  intervalSeconds: z.number().int().optional(),
};

const overrideView = z.object({
  id: z.string().describe('config-N: thresholds.N of the config file (read-only here)'),
  origin: z.enum(['config', 'api']),
  profile: z.string().optional(),
  site: z.string().optional(),
  device: z.string().optional().describe("The device's name"),
  deviceId: z.number().int().optional(),
  ...settingsView,
});

const effectiveView = z.object({
  device: z.object({ id: z.number().int(), name: z.string(), site: z.string().nullable() }),
  profile: z.string().nullable().describe('null: an auto device not scanned yet (no thresholds apply until its profile is known)'),
  intervalSeconds: z.number().int().describe("The device's own safety-net interval"),
  scanIntervalSeconds: z.number().int().describe('The interval it is scanned at: faster where its readings or thresholds ask for it'),
  thresholds: z.array(
    z.object({
      ...settingsView,
      hysteresis: z.number(),
      forSeconds: z.number().int(),
      scope: z.enum(THRESHOLD_SCOPES).describe('Where it comes from: the profile file, or an override per profile, site or device'),
      origin: z.enum(['profile-file', 'config', 'api']),
      override: z.string().nullable().describe('The override id; null for a profile default'),
    }),
  ),
});

/**
 * PATCH body: any setting; a new limit (above, below, outside, disabled) replaces the old one; null
 * takes a setting back (instance: every row; hysteresis, forSeconds: inherited). The target stays.
 */
const patchBody = z
  .object({
    reading: thresholdSettingsShape.reading.optional(),
    level: thresholdSettingsShape.level.optional(),
    instance: thresholdSettingsShape.instance.nullable(),
    above: thresholdSettingsShape.above.nullable(),
    below: thresholdSettingsShape.below.nullable(),
    outside: thresholdSettingsShape.outside.nullable(),
    disabled: thresholdSettingsShape.disabled,
    hysteresis: thresholdSettingsShape.hysteresis.nullable(),
    forSeconds: thresholdSettingsShape.forSeconds.nullable(),
    intervalSeconds: thresholdSettingsShape.intervalSeconds.nullable(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one setting to change' });

function toView(o: ThresholdOverride): z.infer<typeof overrideView> {
  const { id, origin, scope, target, deviceId, ...settings } = o;
  return { id, origin, [scope]: target, ...(deviceId !== undefined ? { deviceId } : {}), ...settings };
}

function effectiveThresholdView(t: EffectiveThreshold): z.infer<typeof effectiveView>['thresholds'][number] {
  const { override, scope, ...settings } = t;
  return { ...settings, scope, origin: override?.origin ?? 'profile-file', override: override?.id ?? null };
}

function toApiError(error: unknown): unknown {
  if (error instanceof ThresholdInputError) return new ApiError('THRESHOLD_INVALID', `body${error.field ? `.${error.field}` : ''}: ${error.reason}`);
  if (error instanceof ThresholdExistsError) return new ApiError('THRESHOLD_EXISTS', error.message);
  if (error instanceof ThresholdFromConfigError) return new ApiError('THRESHOLD_FROM_CONFIG', error.message);
  if (error instanceof ThresholdNotFoundError) return new ApiError('THRESHOLD_NOT_FOUND', error.message);
  return error;
}

function answer<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    throw toApiError(error);
  }
}

export function thresholdRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { thresholds, store, devices } = deps;

  routes.add({
    method: 'GET',
    url: '/api/v1/thresholds',
    summary: "Operator thresholds on top of the profiles' defaults: the config file's, then the API's",
    tag: 'thresholds',
    access: 'read',
    response: z.object({ thresholds: z.array(overrideView) }),
    handler: () => ({ thresholds: thresholds.overrides().map(toView) }),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/thresholds',
    summary: 'Set a threshold on every device of a profile, of a site, or on one device; the devices concerned are scanned at once',
    tag: 'thresholds',
    access: 'admin',
    body: thresholdOverrideSchema,
    status: 201,
    response: overrideView,
    errors: ['THRESHOLD_INVALID', 'THRESHOLD_EXISTS'],
    handler: ({ body }) => toView(answer(() => thresholds.add(body))),
  });

  routes.add({
    method: 'PATCH',
    url: '/api/v1/thresholds/:id',
    summary: 'Change what a threshold sets (not what it is set on); the devices concerned are scanned at once',
    tag: 'thresholds',
    access: 'admin',
    params: thresholdIdParams,
    body: patchBody,
    response: overrideView,
    errors: ['THRESHOLD_NOT_FOUND', 'THRESHOLD_FROM_CONFIG', 'THRESHOLD_INVALID', 'THRESHOLD_EXISTS'],
    handler: ({ params, body }) => toView(answer(() => thresholds.update(params.id, body))),
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/thresholds/:id',
    summary: 'Remove a threshold: what it replaced applies again from the next scan, which runs at once',
    tag: 'thresholds',
    access: 'admin',
    params: thresholdIdParams,
    response: z.object({ deleted: overrideView }),
    errors: ['THRESHOLD_NOT_FOUND', 'THRESHOLD_FROM_CONFIG'],
    handler: ({ params }) => ({ deleted: toView(answer(() => thresholds.remove(params.id))) }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/devices/:id/thresholds',
    summary: 'The thresholds that apply to a device, each with where it comes from, and the interval it is scanned at',
    tag: 'thresholds',
    access: 'read',
    partners: 'device-data',
    params: deviceIdParams,
    response: effectiveView,
    errors: ['DEVICE_NOT_FOUND'],
    handler: ({ params, caller }) => {
      // A partner's device outside its scope is answered as one that does not exist.
      const device = DeviceVisibility.of(caller, deps).device(params.id);
      const { profile, thresholds: effective } = thresholds.effective(device);
      return {
        device: { id: device.id, name: device.name, site: device.site },
        profile: profile?.name ?? null,
        intervalSeconds: device.intervalSeconds,
        scanIntervalSeconds: devices.scanIntervalSeconds(device),
        thresholds: effective.map(effectiveThresholdView),
      };
    },
  });
}
