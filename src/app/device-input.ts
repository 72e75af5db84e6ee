// What operators write about devices (config file or API) and what it becomes: stored devices
// and credentials, the errors that refuse it, and the config devices an API device shadows.
import { ConfigError } from '../config/load.js';
import { deviceInputProblem, deviceSnmpSchema, type DeviceInput, type DeviceSnmpInput } from '../config/schema.js';
import { definedOnly, type DeviceRecord, type DevicesRepository, type DeviceSnmp, type NewDevice } from '../store/devices.js';

/** A device input that describes no device: no address, or a shadow with credentials of its own. */
export class DeviceInputError extends Error {
  override readonly name = 'DeviceInputError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * The device an operator declared. A shadow (`input.lead` set: `lead` is that device, looked up
 * by the caller) is reached through its lead: the lead's address and port unless it names them
 * (the store refuses others), the lead's credentials, no registration of its own, and the lead's
 * site unless it names one.
 */
export function toNewDevice(input: DeviceInput, origin: NewDevice['origin'], lead?: DeviceRecord): NewDevice {
  const problem = deviceInputProblem(input);
  if (problem) throw new DeviceInputError(problem.field, problem.message);
  if ((input.lead === undefined) !== (lead === undefined)) throw new Error(`device ${input.name}: its lead must be looked up first`);
  return {
    name: input.name,
    address: input.address ?? lead!.address,
    port: input.port ?? lead?.port ?? 161,
    snmp: lead ? lead.snmp : toDeviceSnmp(input.snmp!),
    profile: input.profile,
    priorityScanning: input.priorityScanning ?? lead === undefined,
    intervalSeconds: input.intervalSeconds,
    timeoutMs: input.timeoutMs,
    retries: input.retries,
    site: input.site ?? lead?.site ?? null,
    leadId: lead?.id ?? null,
    chainPosition: input.chainPosition ?? null,
    origin,
  };
}

/** Refused removal: the device is the lead of shadows, which priscan does not remove or re-parent by itself. */
export class LeadHasShadowsError extends Error {
  override readonly name = 'LeadHasShadowsError';
  constructor(
    readonly lead: DeviceRecord,
    readonly shadows: readonly DeviceRecord[],
  ) {
    super(leadHasShadows(lead, shadows.map((s) => `${s.name} (id ${s.id})`)));
  }
}

/** Why a lead is not removed: what to do with its shadows first. `shown`: the shadows to name. */
export function leadHasShadows(lead: Pick<DeviceRecord, 'name'>, shown: readonly string[], unnamed = 0): string {
  const named = unnamed > 0 ? [...shown, `${unnamed} more`] : shown;
  return (
    `device ${lead.name} is the lead of ${named.join(', ')}: remove them first, or give each another lead ` +
    '(PATCH /api/v1/devices/ID with {"lead": …}, or {"lead": null} and an address of its own)'
  );
}

/**
 * A device's registration as operators see it: a shadow's is its lead's (priscan registers on
 * the lead only, and the lead's notifications are the shadow's too).
 */
export function registrationOf(device: DeviceRecord, lead: DeviceRecord | undefined): DeviceRecord['state']['registration'] {
  return device.leadId !== null && lead ? lead.state.registration : device.state.registration;
}

/** Stored credentials from what an operator wrote (config file or API). */
export function toDeviceSnmp(snmp: DeviceSnmpInput): DeviceSnmp {
  if (snmp.version !== '3') {
    return { version: snmp.version, readCommunity: snmp.readCommunity, writeCommunity: snmp.writeCommunity, notifyCommunity: snmp.notifyCommunity ?? null };
  }
  const { version: _version, user, contextName, ...security } = snmp;
  return { version: '3', usm: { name: user, ...security }, contextName: contextName ?? null };
}

/** Stored credentials back in the form an operator writes them (with their secrets). */
function toSnmpInput(snmp: DeviceSnmp): DeviceSnmpInput {
  if (snmp.version !== '3') {
    const { notifyCommunity, ...rest } = snmp;
    return { ...rest, ...(notifyCommunity === null ? {} : { notifyCommunity }) };
  }
  const { name, ...security } = snmp.usm;
  return { version: '3', user: name, ...security, ...(snmp.contextName === null ? {} : { contextName: snmp.contextName }) };
}

const AUTH_FIELDS = ['authProtocol', 'authPassword'] as const;
const PRIV_FIELDS = ['privProtocol', 'privPassword'] as const;

/**
 * A PATCH of a device's credentials: the fields sent replace the stored ones; a change of
 * version (community to v3 or back) starts afresh; lowering a v3 level drops the keys the new
 * level does not use unless the patch names them. Validated as a whole, like a new device.
 */
export function mergeSnmp(stored: DeviceSnmp, patch: Readonly<Record<string, unknown>> & { version?: string }) {
  const family = (version: string | undefined) => (version === '3' ? 'usm' : 'community');
  const fresh = patch.version !== undefined && family(patch.version) !== family(stored.version);
  const merged: Record<string, unknown> = { ...(fresh ? {} : toSnmpInput(stored)), ...definedOnly(patch) };
  const drop = merged.level === 'noAuthNoPriv' ? [...AUTH_FIELDS, ...PRIV_FIELDS] : merged.level === 'authNoPriv' ? PRIV_FIELDS : [];
  for (const field of drop) if (!(field in patch)) delete merged[field];
  return deviceSnmpSchema.safeParse(merged);
}

/** Refused admission: every licensed node is in use. */
export class LicenseLimitError extends Error {
  override readonly name = 'LicenseLimitError';
  constructor(
    readonly licensed: number,
    readonly used: number,
  ) {
    super(`licensed for ${licensed} nodes and ${used} in use: add a license key (priscan license add) or remove a device`);
  }
}

/** What the add-device dry run found: whether the device answers, and what `auto` would make of it. */
export interface DeviceProbe {
  reachable: boolean;
  sysObjectId: string | null;
  sysDescr: string | null;
  /** The profile `auto` would choose; null when none matches. */
  autoProfile: string | null;
  error: string | null;
}

/**
 * A config device whose name or address an API-added device holds is never ignored, nor does it
 * replace that device: throws a ConfigError naming the key and the device (start-up exits 2).
 * The daemon calls it before any device is scanned, so a refused start-up touches nothing.
 */
export function refuseShadowedDevices(devices: Pick<DevicesRepository, 'getByName' | 'getByAddress'>, declared: readonly DeviceInput[]): void {
  declared.forEach((input, i) => {
    // A shadow's address is its lead's, whoever holds it.
    const keys = input.lead === undefined && input.address !== undefined ? (['name', 'address'] as const) : (['name'] as const);
    for (const key of keys) {
      const holder = key === 'name' ? devices.getByName(input.name) : devices.getByAddress(input.address!);
      if (holder?.origin !== 'api') continue;
      throw new ConfigError(
        `devices.${i}.${key}: ${input[key]} is already the ${key} of device ${holder.id} (${holder.name}, address ${holder.address}, added through the API); ` +
          `a config device never replaces it: change devices.${i}.${key}, or remove device ${holder.id} first (priscan devices remove ${holder.id})`,
      );
    }
  });
}

/** Whether a config device differs from what the config declares now. */
export function declaredChanged(existing: DeviceRecord, wanted: NewDevice): boolean {
  const current: NewDevice = {
    name: existing.name,
    address: existing.address,
    port: existing.port,
    snmp: existing.snmp,
    profile: existing.profile,
    priorityScanning: existing.priorityScanning,
    intervalSeconds: existing.intervalSeconds,
    timeoutMs: existing.timeoutMs,
    retries: existing.retries,
    site: existing.site,
    leadId: existing.leadId,
    chainPosition: existing.chainPosition,
    origin: existing.origin,
  };
  return stableJson(current) !== stableJson(wanted);
}

/** JSON with object keys sorted, so equal records compare equal whatever order built them. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
