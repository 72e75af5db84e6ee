import { z } from 'zod';
import { DeviceInputError, leadHasShadows, LicenseLimitError, mergeSnmp, toDeviceSnmp, toNewDevice } from '../../app/device-input.js';
import { describeIssue } from '../../config/load.js';
import { deviceInputSchema, type DeviceInput } from '../../config/schema.js';
import { ShadowRelationError, StoreConflictError, type DeviceChanges, type DeviceRecord } from '../../store/devices.js';
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
  if (error instanceof ShadowRelationError) return new ApiError('DEVICE_LEAD_INVALID', error.message);
  if (error instanceof DeviceInputError) return new ApiError('VALIDATION_FAILED', `body.${error.message}`);
  return error;
}

/** Runs `f`, turning the refusals of the device service and the store into API errors. */
function refusing<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw toApiError(error);
  }
}

export function deviceRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { store, devices, scheduler } = deps;
  const visible = (caller: Caller | undefined) => DeviceVisibility.of(caller, deps);
  const find = (id: string, caller: Caller | undefined): DeviceRecord => visible(caller).device(id);
  /** The lead an input names, by id or name; one the caller cannot see is answered as one that does not exist. */
  const findLead = (ref: NonNullable<DeviceInput['lead']>, caller: Caller | undefined): DeviceRecord => {
    const lead = typeof ref === 'number' ? store.devices.get(ref) : store.devices.getByName(ref);
    if (!lead || !visible(caller).sees(lead)) throw new ApiError('DEVICE_LEAD_INVALID', `lead: no device ${typeof ref === 'number' ? `with id ${ref}` : `named ${ref}`}`);
    return lead;
  };
  /** `all`: every device, when showing many (one lookup each otherwise). */
  const chainOf = (d: DeviceRecord, caller: Caller | undefined, all?: ReadonlyMap<number, DeviceRecord>) => {
    const lead = d.leadId === null ? undefined : (all?.get(d.leadId) ?? store.devices.get(d.leadId));
    const shadows = all ? [...all.values()].filter((s) => s.leadId === d.id) : store.devices.shadowsOf(d.id);
    const seen = visible(caller);
    return { lead, leadVisible: lead !== undefined && seen.sees(lead), shadows: shadows.filter((s) => seen.sees(s)).map((s) => s.id) };
  };
  const view = (d: DeviceRecord, caller: Caller | undefined, all?: ReadonlyMap<number, DeviceRecord>) =>
    deviceView(d, { masked: visible(caller).masked, isMonitored: (id) => devices.isMonitored(id) }, chainOf(d, caller, all));
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
      const all = store.devices.list();
      const byId = new Map(all.map((d) => [d.id, d]));
      const list = visible(caller).filter(all).filter((d) => {
        if (withSeverity && !withSeverity.has(d.id)) return false;
        if (query.profile && (d.resolvedProfile ?? d.profile) !== query.profile) return false;
        if (query.site && d.site !== query.site) return false;
        if (query.status) {
          const status = !devices.isMonitored(d.id) ? 'unlicensed' : d.state.reachable === null ? 'unknown' : d.state.reachable ? 'up' : 'down';
          if (status !== query.status) return false;
        }
        return true;
      });
      return { devices: list.map((d) => view(d, caller, byId)) };
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
    summary: 'Add a device (registers priscan on it and scans it), or a shadow of a lead (`lead`, `chainPosition`); ?dryRun=true only tests SNMP reachability',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    query: deviceCreateQuery,
    body: deviceInputSchema,
    status: 201,
    response: z.union([deviceViewSchema, deviceProbeView]),
    errors: ['DEVICE_EXISTS', 'DEVICE_LEAD_INVALID', 'LICENSE_NODE_LIMIT'],
    handler: async ({ query, body, caller, reply }) => {
      const lead = body.lead === undefined ? undefined : findLead(body.lead, caller);
      const wanted = refusing(() => toNewDevice(body, 'api', lead));
      // Where it will stand: a shadow without a site of its own stands at its lead's.
      refuseOutOfScope(caller, wanted);
      if (query.dryRun === 'true') {
        reply.code(200);
        return { dryRun: true as const, ...(await devices.probe(wanted)) };
      }
      return view(refusing(() => devices.add(wanted)), caller);
    },
  });

  routes.add({
    method: 'PATCH',
    url: '/api/v1/devices/:id',
    summary: 'Change a device; a new address or new credentials re-register priscan on it; `lead` moves a shadow to another lead (null: a device of its own)',
    tag: 'devices',
    access: 'admin',
    partners: 'device-admin',
    params: deviceIdParams,
    body: deviceUpdateBody,
    response: deviceViewSchema,
    errors: ['DEVICE_NOT_FOUND', 'DEVICE_FROM_CONFIG', 'DEVICE_EXISTS', 'DEVICE_LEAD_INVALID'],
    handler: async ({ params, body, caller }) => {
      const device = find(params.id, caller);
      // A new site (once devices have one) must be within an administrator partner's scope too.
      if ('site' in body) refuseOutOfScope(caller, body);
      if (device.origin === 'config') throw new ApiError('DEVICE_FROM_CONFIG', `device ${device.name} is declared in the config file; change it there`);
      const { snmp, lead: leadRef, ...rest } = body;
      const shadowAfter = leadRef === undefined ? device.leadId !== null : leadRef !== null;
      if (snmp && shadowAfter) throw new ApiError('VALIDATION_FAILED', "body.snmp: a shadow is reached with its lead's credentials: change them on the lead");
      const merged = snmp ? mergeSnmp(device.snmp, snmp) : undefined;
      if (merged && !merged.success) throw new ApiError('VALIDATION_FAILED', describeIssue(merged.error.issues[0] as z.core.$ZodIssue, 'body.snmp'));
      const changes: DeviceChanges = { ...rest, ...(merged ? { snmp: toDeviceSnmp(merged.data) } : {}), ...leadChange(leadRef, rest, caller) };
      return view(await devices.update(device.id, changes).catch((error: unknown) => Promise.reject(toApiError(error))), caller);
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
    errors: ['DEVICE_NOT_FOUND', 'DEVICE_FROM_CONFIG', 'DEVICE_HAS_SHADOWS'],
    handler: async ({ params, caller }) => {
      const device = find(params.id, caller);
      if (device.origin === 'config') throw new ApiError('DEVICE_FROM_CONFIG', `device ${device.name} is declared in the config file; remove it there`);
      const shadows = store.devices.shadowsOf(device.id);
      if (shadows.length > 0) {
        // Named as far as the caller may see them.
        const shown = visible(caller).filter(shadows);
        throw new ApiError('DEVICE_HAS_SHADOWS', leadHasShadows(device, shown.map((s) => `${s.name} (id ${s.id})`), shadows.length - shown.length));
      }
      const result = await devices.remove(device.id);
      return { deleted: device.id, deregistrationError: result?.deregistrationError ?? null };
    },
  });

  /**
   * What a PATCH's `lead` changes. Made a shadow (or moved to another lead), a device goes to its
   * lead's address and port unless the body names them, and stops registering itself unless the
   * body says otherwise (the store then refuses it).
   */
  function leadChange(ref: DeviceInput['lead'] | null, rest: Partial<Pick<DeviceChanges, 'address' | 'port' | 'priorityScanning'>>, caller: Caller | undefined): DeviceChanges {
    if (ref === undefined) return {};
    if (ref === null) return { leadId: null };
    const lead = findLead(ref, caller);
    return {
      leadId: lead.id,
      ...(rest.address === undefined ? { address: lead.address } : {}),
      ...(rest.address === undefined && rest.port === undefined ? { port: lead.port } : {}),
      ...(rest.priorityScanning === undefined ? { priorityScanning: false } : {}),
    };
  }

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
