import type { DeviceSettings } from '../../simulators/devices/device.js';
import type { NewDevice } from '../../src/store/devices.js';

/** A device as the store takes it, with the defaults an operator gets; tests override what they look at. */
export function newDevice(overrides: Partial<NewDevice> = {}): NewDevice {
  return {
    name: 'ups-1',
    address: '127.0.10.1',
    port: 161,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null },
    profile: 'auto',
    priorityScanning: true,
    intervalSeconds: 300,
    timeoutMs: 3000,
    retries: 1,
    site: null,
    leadId: null,
    chainPosition: null,
    origin: 'api',
    ...overrides,
  };
}

/** How a simulated device is set up in unit tests: its address, the usual communities, a fixed clock. */
export function simSettings(overrides: Partial<DeviceSettings> & Pick<DeviceSettings, 'address'>): DeviceSettings {
  return {
    port: 161,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => 1_700_000_000_000 },
    apcTrapPort: 162,
    onBatteryRepeatMs: 60_000,
    ...overrides,
  };
}
