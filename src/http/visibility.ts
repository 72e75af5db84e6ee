import { inScope, type DeviceSite, type PartnerScope } from '../access/scope.js';
import type { DeviceRecord } from '../store/devices.js';
import type { Store } from '../store/store.js';
import type { Caller } from './auth.js';
import { ApiError } from './errors.js';

export interface VisibilityDeps {
  store: Store;
  deviceSite: DeviceSite;
}

/**
 * The devices one caller may see: every device, or for a partner the devices in its scope. A
 * device outside it is answered as one that does not exist (404, same message), so a partner
 * cannot learn that it exists. Every route that shows or changes device data asks this; a new
 * such route must too (the api-partners test walks every route with scoped partners).
 */
export class DeviceVisibility {
  /** The view of this caller (undefined: a public route, which shows no device). */
  static of(caller: Caller | undefined, deps: VisibilityDeps): DeviceVisibility {
    const partner = caller?.partner;
    return new DeviceVisibility(partner?.scope ?? null, partner !== undefined && !partner.administrator, deps);
  }

  constructor(
    /** null: no partner, every device. */
    private readonly scope: PartnerScope | null,
    /** Read-only partners see device addresses masked to their last two segments. */
    readonly masked: boolean,
    private readonly deps: VisibilityDeps,
  ) {}

  /** Whether every device is visible (no filtering needed, events of removed devices included). */
  get everything(): boolean {
    return this.scope === null || this.scope.kind === 'all';
  }

  sees(device: DeviceRecord): boolean {
    return this.scope === null || inScope(this.scope, this.deps.deviceSite(device));
  }

  seesId(deviceId: number): boolean {
    if (this.everything) return true;
    const device = this.deps.store.devices.get(deviceId);
    return device !== undefined && this.sees(device);
  }

  /** The visible ones of these devices. */
  filter(devices: readonly DeviceRecord[]): DeviceRecord[] {
    return this.everything ? [...devices] : devices.filter((d) => this.sees(d));
  }

  /** Ids of the visible devices, or undefined when every device is. */
  visibleIds(): number[] | undefined {
    return this.everything ? undefined : this.filter(this.deps.store.devices.list()).map((d) => d.id);
  }

  /** The device with this id, or DEVICE_NOT_FOUND (also when it is out of the caller's scope). */
  device(id: number | string): DeviceRecord {
    const device = this.deps.store.devices.get(Number(id));
    if (!device || !this.sees(device)) throw new ApiError('DEVICE_NOT_FOUND', `no device with id ${id}: list them with GET /api/v1/devices`);
    return device;
  }

  /** The device with this name, or DEVICE_NOT_FOUND (also when it is out of the caller's scope). */
  deviceNamed(name: string): DeviceRecord {
    const device = this.deps.store.devices.getByName(name);
    if (!device || !this.sees(device)) throw new ApiError('DEVICE_NOT_FOUND', `no device named ${name}`);
    return device;
  }

  /** Whether the caller may put a device at this site (an administrator partner only within its scope). */
  mayPlaceAt(site: string | null): boolean {
    return this.scope === null || inScope(this.scope, site);
  }
}
