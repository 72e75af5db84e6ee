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
    origin: 'api',
    ...overrides,
  };
}
