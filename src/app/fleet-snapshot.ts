import type { FleetSnapshot } from '../metrics/state.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import { profileNameOf } from '../profiles/resolve.js';
import type { Store } from '../store/store.js';
import { registrationOf } from './device-input.js';
import type { DeviceService } from './device-service.js';
import type { LicenseService } from './license-service.js';

/** Device and alarm state for the metrics, read from the store at scrape time. */
export function fleetSnapshot(store: Store, service: DeviceService, licenses: LicenseService, profiles: ProfileRegistry): FleetSnapshot {
  const devices = store.devices.list();
  const names = new Map(devices.map((d) => [d.id, d.name]));
  const byId = new Map(devices.map((d) => [d.id, d]));
  return {
    devices: devices.map((d) => {
      const profile = profileNameOf(d);
      return {
        id: d.id,
        name: d.name,
        profile: profile ?? 'auto',
        method: (profile && profiles.get(profile)?.registration) || '',
        up: d.state.reachable,
        // A shadow's registration is its lead's: priscan registers on the lead only.
        registered: registrationOf(d, d.leadId === null ? undefined : byId.get(d.leadId)) === 'registered',
        monitored: service.isMonitored(d.id),
        lastScanAt: d.state.lastScanAt,
        lastScanMs: d.state.lastScanMs,
      };
    }),
    alarms: store.alarms.active().map((a) => ({ deviceId: a.deviceId, device: names.get(a.deviceId) ?? String(a.deviceId), key: a.key, severity: a.severity, code: a.code })),
    license: licenses.usage(),
  };
}
