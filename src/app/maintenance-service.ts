import { covers, deviceSite, windowState, type MaintenanceScope, type MaintenanceWindow, type WindowState } from '../alarms/maintenance.js';
import type { Clock } from '../clock.js';
import type { DeviceRecord } from '../store/devices.js';
import type { Store } from '../store/store.js';

const MINUTE_MS = 60_000;
/** The longest window: a year and a day. */
export const MAX_WINDOW_MINUTES = 366 * 24 * 60;
/** A start this far in the past is taken as "now" (clocks differ); further back is refused. */
const PAST_START_TOLERANCE_MS = 60_000;

export type MaintenanceRefusal = 'VALIDATION_FAILED' | 'DEVICE_NOT_FOUND' | 'PROFILE_UNKNOWN' | 'MAINTENANCE_NOT_FOUND' | 'MAINTENANCE_ENDED';

/** A window that cannot be planned or ended as asked; `field` names what to correct, when one thing is. */
export class MaintenanceRequestError extends Error {
  override readonly name = 'MaintenanceRequestError';
  constructor(
    readonly code: MaintenanceRefusal,
    readonly field: 'startsAt' | 'endsAt' | undefined,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
  }
}

/** What a window covers, as an operator names it: devices by id or name, a site, or a profile. */
export type MaintenanceScopeAsk = { devices: readonly (number | string)[] } | { site: string } | { profile: string };

export interface MaintenanceAsk {
  /** Default: now. */
  startsAt?: number;
  /** One of endsAt and durationMs. */
  endsAt?: number;
  durationMs?: number;
  reason: string;
  scope: MaintenanceScopeAsk;
  /** The token's name. */
  by: string;
}

export interface MaintenanceServiceDeps {
  store: Pick<Store, 'devices' | 'maintenance'>;
  profiles: { has(name: string): boolean; names(): string[] };
  clock: Clock;
  /** The notifier: it works out which alarms a window holds back, and sends those a window stops holding. */
  holds: { maintenanceChanged(): void };
}

/**
 * Maintenance windows for the API, the CLI (through the API) and the console alike: planned and
 * ended here, each change told to the notifier at once, so alarms are held back or sent as the
 * windows now say.
 */
export class MaintenanceService {
  constructor(private readonly deps: MaintenanceServiceDeps) {}

  /** Stores a window; MaintenanceRequestError for a start in the past, an end before the start, or an unknown device or profile. */
  plan(ask: MaintenanceAsk): MaintenanceWindow {
    const { store, clock, holds } = this.deps;
    const now = clock.now();
    const asked = ask.startsAt ?? now;
    if (asked < now - PAST_START_TOLERANCE_MS) throw new MaintenanceRequestError('VALIDATION_FAILED', 'startsAt', 'must not be in the past (alarms already sent cannot be held back)');
    const startsAt = Math.max(asked, now);
    const endsAt = ask.endsAt ?? startsAt + (ask.durationMs ?? 0);
    if (endsAt <= startsAt) throw new MaintenanceRequestError('VALIDATION_FAILED', 'endsAt', 'must be after startsAt (and after now)');
    if (endsAt - startsAt > MAX_WINDOW_MINUTES * MINUTE_MS) throw new MaintenanceRequestError('VALIDATION_FAILED', 'endsAt', 'a window lasts at most 366 days');
    const window = store.maintenance.create({ startsAt, endsAt, reason: ask.reason, scope: this.scopeOf(ask.scope), createdBy: ask.by, createdAt: now });
    holds.maintenanceChanged();
    return window;
  }

  /** Ends a window now (a scheduled one never starts); MaintenanceRequestError when there is no such window or it had ended. */
  end(id: number): MaintenanceWindow {
    const { store, clock, holds } = this.deps;
    if (!store.maintenance.get(id)) throw new MaintenanceRequestError('MAINTENANCE_NOT_FOUND', undefined, `no maintenance window ${id}`);
    if (!store.maintenance.end(id, clock.now())) throw new MaintenanceRequestError('MAINTENANCE_ENDED', undefined, `maintenance window ${id} has ended already`);
    holds.maintenanceChanged();
    return store.maintenance.get(id)!;
  }

  get(id: number): MaintenanceWindow | undefined {
    return this.deps.store.maintenance.get(id);
  }

  /** Newest start first. */
  list(options: { state?: WindowState; limit: number }): MaintenanceWindow[] {
    return this.deps.store.maintenance.list({ ...options, now: this.deps.clock.now() });
  }

  /**
   * Whether a window running now covers a device, matched as the notifier matches them (its
   * profile, its site). Read once: a page asks it of every device it shows.
   */
  coverage(): (device: DeviceRecord) => boolean {
    const now = this.deps.clock.now();
    const running = this.deps.store.maintenance.endingAfterTime(now).filter((w) => windowState(w, now) === 'active');
    if (running.length === 0) return () => false;
    return (device) => {
      const scoped = { id: device.id, profile: device.profile, resolvedProfile: device.resolvedProfile, site: deviceSite(device) };
      return running.some((w) => covers(w, scoped));
    };
  }

  /** The scope asked for, with device names resolved to ids (each must exist). */
  private scopeOf(scope: MaintenanceScopeAsk): MaintenanceScope {
    if ('site' in scope) return { kind: 'site', site: scope.site };
    if ('profile' in scope) {
      const { profiles } = this.deps;
      if (!profiles.has(scope.profile)) throw new MaintenanceRequestError('PROFILE_UNKNOWN', undefined, `unknown profile "${scope.profile}"; known: ${profiles.names().join(', ')}`);
      return { kind: 'profile', profile: scope.profile };
    }
    const { devices } = this.deps.store;
    const ids = scope.devices.map((ref) => {
      const device = typeof ref === 'number' ? devices.get(ref) : devices.getByName(ref);
      if (!device) throw new MaintenanceRequestError('DEVICE_NOT_FOUND', undefined, typeof ref === 'number' ? `no device ${ref}` : `no device named ${ref}`);
      return device.id;
    });
    return { kind: 'devices', deviceIds: [...new Set(ids)] };
  }
}
