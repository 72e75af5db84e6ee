import { z } from 'zod';
import { LicenseLimitError, mergeSnmp, toDeviceSnmp, toNewDevice } from '../../app/device-service.js';
import { describeIssue } from '../../config/load.js';
import { deviceInputSchema } from '../../config/schema.js';
import { StoreConflictError, type DeviceRecord } from '../../store/devices.js';
import { UnknownProfileError } from '../../profiles/registry.js';
import type { HttpDeps } from '../app.js';
import type { Caller } from '../auth.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import { deviceCreateQuery, deviceIdParams, deviceListQuery, deviceProbeView, deviceUpdateBody, deviceView as deviceViewSchema } from '../schemas.js';
import { deviceView } from '../views.js';
import { DeviceVisibility } from '../visibility.js';

function toApiError(error: unknown): unknown {
  if (error instanceof StoreConflictError) return new ApiError('DEVICE_EXISTS', error.message);
  if (error instanceof LicenseLimitError) return new ApiError('LICENSE_NODE_LIMIT', error.message);
  if (error instanceof UnknownProfileError) return new ApiError('PROFILE_UNKNOWN', error.message);
  return error;
}

export function deviceRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { store, devices, scheduler } = deps;
  const visible = (caller: Caller | undefined) => DeviceVisibility.of(caller, deps);
  const find = (id: string, caller: Caller | undefined): DeviceRecord => visible(caller).device(id);
  const view = (d: DeviceRecord, caller: Caller | undefined) => deviceView(d, { masked: visible(caller).masked, isMonitored: (id) => devices.isMonitored(id) });
  /** An administrator partner places devices only at the sites of its scope. */
  const refuseOutOfScope = (caller: Caller | undefined, wanted: object) => {
    if (!visible(caller).mayPlaceAt(deps.deviceSite(wanted))) {
      throw new ApiError('FORBIDDEN', `partner ${caller!.partner!.partnerId} may place devices only at the sites of its scope`);
    }
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/devices',
    summary: 'List devices, optionally filtered by status, profile, site or active alarm severity',
    tag: 'devices',
    access: 'read',
    partners: 'device-data',
    query: deviceListQuery,
    response: z.object({ devices: z.array(deviceViewSchema) }),
    handler: ({ query, caller }) => {
      const withSeverity = query.severity ? new Set(store.alarms.active({ severity: query.severity }).map((a) => a.deviceId)) : undefined;
      const list = visible(caller).filter(store.devices.list()).filter((d) => {
        if (withSeverity && !withSeverity.has(d.id)) return false;
        if (query.profile && (d.resolvedProfile ?? d.profile) !== query.profile) return false;
        if (query.site && d.site !== query.site) return false;
        if (query.status) {
          const status = !devices.isMonitored(d.id) ? 'unlicensed' : d.state.reachable === null ? 'unknown' : d.state.reachable ? 'up' : 'down';
          if (status !== query.status) return false;
        }
        return true;
      });
      return { devices: list.map((d) => view(d, caller)) };
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/devices/:id',
    summary: 'One device with its scan and registration state',
    tag: 'devices',
    access: 'read',
    partners: 'device-data',
    params: deviceIdParams,
    response: deviceViewSchema,
    errors: ['DEVICE_NOT_FOUND'],
    handler: ({ params, caller }) => view(find(params.id, caller), caller),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/devices',
    summary: 'Add a device (registers priscan on it and scans it); ?dryRun=true only tests SNMP reachability',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    query: deviceCreateQuery,
    body: deviceInputSchema,
    status: 201,
    response: z.union([deviceViewSchema, deviceProbeView]),
    errors: ['DEVICE_EXISTS', 'LICENSE_NODE_LIMIT'],
    handler: async ({ query, body, caller, reply }) => {
      refuseOutOfScope(caller, body);
      const wanted = toNewDevice(body, 'api');
      if (query.dryRun === 'true') {
        reply.code(200);
        return { dryRun: true as const, ...(await devices.probe(wanted)) };
      }
      try {
        return view(devices.add(wanted), caller);
      } catch (error) {
        throw toApiError(error);
      }
    },
  });

  routes.add({
    method: 'PATCH',
    url: '/api/v1/devices/:id',
    summary: 'Change a device; a new address or new credentials re-register priscan on it',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    params: deviceIdParams,
    body: deviceUpdateBody,
    response: deviceViewSchema,
    errors: ['DEVICE_NOT_FOUND', 'DEVICE_FROM_CONFIG', 'DEVICE_EXISTS'],
    handler: async ({ params, body, caller }) => {
      const device = find(params.id, caller);
      // A new site (once devices have one) must be within an administrator partner's scope too.
      if ('site' in body) refuseOutOfScope(caller, body);
      if (device.origin === 'config') throw new ApiError('DEVICE_FROM_CONFIG', `device ${device.name} is declared in the config file; change it there`);
      const { snmp, ...rest } = body;
      const merged = snmp ? mergeSnmp(device.snmp, snmp) : undefined;
      if (merged && !merged.success) throw new ApiError('VALIDATION_FAILED', describeIssue(merged.error.issues[0] as z.core.$ZodIssue, 'body.snmp'));
      try {
        const updated = await devices.update(device.id, { ...rest, ...(merged ? { snmp: toDeviceSnmp(merged.data) } : {}) });
        return view(updated, caller);
      } catch (error) {
        throw toApiError(error);
      }
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/devices/:id',
    summary: 'Remove a device: de-registers priscan from it first, then deletes it (its event history is kept)',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    params: deviceIdParams,
    response: z.object({ deleted: z.number().int(), deregistrationError: z.string().nullable() }),
    errors: ['DEVICE_NOT_FOUND', 'DEVICE_FROM_CONFIG'],
    handler: async ({ params, caller }) => {
      const device = find(params.id, caller);
      if (device.origin === 'config') throw new ApiError('DEVICE_FROM_CONFIG', `device ${device.name} is declared in the config file; remove it there`);
      const result = await devices.remove(device.id);
      return { deleted: device.id, deregistrationError: result?.deregistrationError ?? null };
    },
  });

  const requestNow = (what: 'scan' | 'register') => (params: { id: string }, caller: Caller | undefined) => {
    const device = find(params.id, caller);
    if (!devices.isMonitored(device.id)) throw new ApiError('LICENSE_NODE_LIMIT', `device ${device.name} is unlicensed: add a license key to monitor it`);
    if (what === 'scan') return { device: device.id, scan: scheduler.requestScan(device.id, 'manual') };
    scheduler.requestRegistration(device.id);
    return { device: device.id, registration: 'queued' };
  };

  routes.add({
    method: 'POST',
    url: '/api/v1/devices/:id/scan',
    summary: 'Scan the device now, at priority (coalesced with any scan already queued)',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    params: deviceIdParams,
    status: 202,
    response: z.object({ device: z.number().int(), scan: z.string().describe('queued, coalesced or follow-up') }),
    errors: ['DEVICE_NOT_FOUND', 'LICENSE_NODE_LIMIT'],
    handler: ({ params, caller }) => requestNow('scan')(params, caller),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/devices/:id/register',
    summary: 'Verify and repair priscan\'s registration on the device now (then scan it)',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    params: deviceIdParams,
    status: 202,
    response: z.object({ device: z.number().int(), registration: z.literal('queued') }),
    errors: ['DEVICE_NOT_FOUND', 'LICENSE_NODE_LIMIT'],
    handler: ({ params, caller }) => requestNow('register')(params, caller),
  });
}
