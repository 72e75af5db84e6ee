import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AlarmEventBus } from '../alarms/events.js';
import { COMMUNICATION_LOST, SCAN_FAILED, type AlarmEvent } from '../alarms/model.js';
import { SnmpError } from '../snmp/client.js';
import type { Store } from '../store/store.js';
import type { DeviceClients } from '../snmp/device-clients.js';
import { scanDevice, specOf } from './evaluate.js';
import { resolveProfile } from '../profiles/resolve.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import type { AlarmSource } from '../profiles/schema.js';
import type { ScanOutcome, ScanRequest } from './scheduler.js';

export type ScanResult = 'ok' | 'unreachable' | 'failed' | 'skipped';

export interface ScanObserver {
  scanned(trigger: ScanRequest['trigger'], result: ScanResult, durationMs: number, request: ScanRequest): void;
}

export interface ScannerDeps {
  clock: Clock;
  store: Store;
  clients: DeviceClients;
  bus: AlarmEventBus;
  log: Logger;
  profiles: ProfileRegistry;
  /** Sources scanned beside a profile's own, by profile name (the operator's configured tables). */
  extraSources?: Readonly<Record<string, readonly AlarmSource[]>>;
  /** Whether the device is within the licensed node count (unlicensed devices are kept, not scanned). */
  isLicensed?: (deviceId: number) => boolean;
  observer?: ScanObserver;
}

/**
 * Scans one device: reads its profile's alarm sources, derives the alarm set
 * from what it reads (never from a notification's content), and stores the
 * difference in one transaction. A device that does not answer is a device
 * state and an alarm, never an exception.
 */
export class Scanner {
  constructor(private readonly deps: ScannerDeps) {}

  async scan(deviceId: number, request: ScanRequest): Promise<ScanOutcome> {
    const { clock, store, clients, log } = this.deps;
    const device = store.devices.get(deviceId);
    if (!device || !this.licensed(deviceId)) return this.skipped(request);
    const started = clock.now();
    const client = clients.clientFor(device, 'read');
    let events: AlarmEvent[] = [];
    let result: ScanResult;
    try {
      const profile = await resolveProfile(device, client, { registry: this.deps.profiles, devices: store.devices });
      const findings = await scanDevice(specOf(profile, this.deps.extraSources?.[profile.name]), client);
      if (!this.licensed(deviceId)) return this.skipped(request);
      const at = clock.now();
      const applied = store.alarms.applyScan(deviceId, findings.alarms, at);
      events = [...applied.raised, ...applied.cleared];
      store.devices.recordScan(deviceId, { at, durationMs: at - started, ok: true, error: null });
      result = 'ok';
    } catch (error) {
      if (!this.licensed(deviceId)) return this.skipped(request);
      const at = clock.now();
      const message = describeScanError(error);
      if (error instanceof SnmpError && error.kind === 'timeout') {
        const lost = store.alarms.raise(deviceId, COMMUNICATION_LOST, at);
        if (lost) events = [lost];
        result = 'unreachable';
      } else {
        // It answered, so it is not lost; but its alarms cannot be known: keep them, and say so.
        const failed = store.alarms.raise(deviceId, SCAN_FAILED, at);
        if (failed) events = [failed];
        result = 'failed';
        log.warn({ device: device.name, trigger: request.trigger, err: message }, 'scan failed');
      }
      store.devices.recordScan(deviceId, { at, durationMs: at - started, ok: false, error: message, reachable: result === 'failed' });
    }
    const storedAt = clock.now();
    this.deps.bus.publish(events, { trigger: request.trigger, requestedAt: request.requestedAt, storedAt });
    this.deps.observer?.scanned(request.trigger, result, storedAt - started, request);
    return { reachable: result !== 'unreachable' };
  }

  private licensed(deviceId: number): boolean {
    return !this.deps.isLicensed || this.deps.isLicensed(deviceId);
  }

  /** Unlicensed while the scan ran: its alarms were ended, and what was read is not stored. */
  private skipped(request: ScanRequest): ScanOutcome {
    this.deps.observer?.scanned(request.trigger, 'skipped', 0, request);
    return { reachable: true };
  }
}

function describeScanError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
