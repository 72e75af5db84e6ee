import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AlarmEventBus } from '../alarms/events.js';
import { COMMUNICATION_LOST, SCAN_FAILED, type Alarm, type AlarmEvent } from '../alarms/model.js';
import { SnmpError } from '../snmp/client.js';
import type { Store } from '../store/store.js';
import type { WriteFence } from '../store/session.js';
import { isFencedError } from '../cluster/errors.js';
import type { DeviceRecord } from '../store/devices.js';
import { credentialsFor, type DeviceClients } from '../snmp/device-clients.js';
import { SNMPV2 } from '../profiles/oids.js';
import { boundAlarms } from './alarm-bounds.js';
import { scanDevice, specOf, type ChainUnit, type ReadingValue } from './evaluate.js';
import { resolveProfile } from '../profiles/resolve.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import type { AlarmSource, Profile } from '../profiles/schema.js';
import type { ScanOutcome, ScanRequest } from './scheduler.js';

export type ScanResult = 'ok' | 'unreachable' | 'failed' | 'skipped';

export interface ScanObserver {
  scanned(trigger: ScanRequest['trigger'], result: ScanResult, durationMs: number, request: ScanRequest): void;
  /** Alarms raised under an `other` code: device text their profile does not know, or a code that was no identifier. */
  foldedRaised?(count: number): void;
}

/** A scan's readings, with the device and profile they were read by. */
export interface ScannedReadings {
  device: DeviceRecord;
  profile: Profile;
  readings: readonly ReadingValue[];
  at: number;
}

export interface ReadingsPort {
  /** The threshold violations among the readings: alarms, keyed like any other. */
  violations(scan: ScannedReadings): Alarm[];
  /** Keeps the readings: last values, history, metrics. */
  record(scan: ScannedReadings): void;
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
  /** What a scan's sensor readings become: threshold violations, and the readings kept. */
  readings?: ReadingsPort;
  /** Whether the device is within the licensed node count (unlicensed devices are kept, not scanned). */
  isLicensed?: (deviceId: number) => boolean;
  observer?: ScanObserver;
  /**
   * Cluster mode: the claim a device's scan result is written under (its shard and the epoch this
   * collector holds it at); undefined when this collector does not own the device now, and then
   * nothing is written. Absent: a single priscan, writes unfenced.
   */
  fenceFor?: (deviceId: number) => WriteFence | undefined;
  /** A result refused by the fence (a peer owns the shard now): it was dropped, the device should be let go. */
  onFenced?: (deviceId: number) => void;
  /** Cluster mode: waits until a fenced write cannot block on this process's own lease renewal. */
  beforeFencedWrite?: () => Promise<void>;
}

/** What a scan stores, run in the one transaction its fence guards. */
type ScanWrite = () => { events: AlarmEvent[]; result: ScanResult };

/**
 * Scans one device: reads its profile's alarm sources, derives the alarm set
 * from what it reads (never from a notification's content), and stores the
 * difference in one transaction. A device that does not answer is a device
 * state and an alarm, never an exception.
 *
 * A shadow (a unit behind its lead's address) reads its own unit's rows. It is lost with its
 * lead: then it is marked unreachable through the lead, without an alarm of its own, so a card
 * that stops answering is one `communication lost` (the lead's), not one per unit.
 */
export class Scanner {
  constructor(private readonly deps: ScannerDeps) {}

  async scan(deviceId: number, request: ScanRequest): Promise<ScanOutcome> {
    const { clock, store, clients, log } = this.deps;
    const device = store.devices.get(deviceId);
    if (!device || !this.licensed(deviceId) || !this.owned(deviceId)) return this.skipped(request);
    const started = clock.now();
    const lead = device.leadId === null ? undefined : store.devices.get(device.leadId);
    // Known lost: nothing is asked of its address for the shadow either.
    if (lead?.state.reachable === false) return this.lostThroughLead(device, lead, { request, started, error: lead.state.lastError ?? 'no answer' });
    const client = clients.clientFor(device, 'read');
    let write: ScanWrite;
    try {
      const profile = await resolveProfile(device, client, { registry: this.deps.profiles, devices: store.devices });
      const findings = await scanDevice(specOf(profile, this.deps.extraSources?.[profile.name], chainUnitOf(device)), client);
      if (!this.licensed(deviceId)) return this.skipped(request);
      const at = clock.now();
      // Threshold violations are alarms like the device's own: one diff, one transaction.
      const violations = this.deps.readings?.violations({ device, profile, readings: findings.readings, at }) ?? [];
      const { alarms, folded } = boundAlarms(profile.name, violations.length > 0 ? [...findings.alarms, ...violations] : findings.alarms);
      write = () => {
        const applied = store.alarms.applyScan(deviceId, alarms, at);
        this.deps.readings?.record({ device, profile, readings: findings.readings, at });
        const foldedRaised = folded.size === 0 ? 0 : applied.raised.filter((event) => folded.has(event.key)).length;
        if (foldedRaised > 0) this.deps.observer?.foldedRaised?.(foldedRaised);
        store.devices.recordScan(deviceId, { at, durationMs: at - started, ok: true, error: null });
        return { events: [...applied.raised, ...applied.cleared], result: 'ok' };
      };
    } catch (error) {
      if (!this.licensed(deviceId)) return this.skipped(request);
      const at = clock.now();
      const message = describeScanError(error);
      const unreachable = error instanceof SnmpError && error.kind === 'timeout';
      if (unreachable && lead && !(await this.answers(lead))) {
        // Its lead's address is silent too: the lead's scan raises the one alarm.
        return this.lostThroughLead(device, lead, { request, started, error: message });
      }
      // It answered, so it is not lost; but its alarms cannot be known: keep them, and say so.
      if (!unreachable) log.warn({ device: device.name, trigger: request.trigger, err: message }, 'scan failed');
      write = () => {
        const raised = store.alarms.raise(deviceId, unreachable ? COMMUNICATION_LOST : SCAN_FAILED, at);
        store.devices.recordScan(deviceId, { at, durationMs: at - started, ok: false, error: message, reachable: !unreachable });
        return { events: raised ? [raised] : [], result: unreachable ? 'unreachable' : 'failed' };
      };
    }
    await this.deps.beforeFencedWrite?.();
    const stored = this.store(deviceId, write);
    if (!stored) return this.skipped(request);
    const storedAt = clock.now();
    this.deps.bus.publish(stored.events, { trigger: request.trigger, requestedAt: request.requestedAt, storedAt });
    this.deps.observer?.scanned(request.trigger, stored.result, storedAt - started, request);
    return { reachable: stored.result !== 'unreachable' };
  }

  /**
   * Writes a scan's result in one transaction, fenced in cluster mode. A write the fence refuses
   * (the shard moved to a peer while the scan ran, or this collector was paused past its lease)
   * lands nowhere: undefined, and the device is let go.
   */
  private store(deviceId: number, write: ScanWrite): ReturnType<ScanWrite> | undefined {
    const fence = this.deps.fenceFor?.(deviceId);
    if (this.deps.fenceFor && !fence) return undefined;
    try {
      return this.deps.store.writeFenced(fence, write);
    } catch (error) {
      if (!isFencedError(error)) throw error;
      this.deps.log.warn({ deviceId, shard: fence?.shard, epoch: fence?.epoch }, 'scan result fenced out: a peer owns the shard now; dropped');
      this.deps.onFenced?.(deviceId);
      return undefined;
    }
  }

  /** In cluster mode, whether this collector owns the device now. */
  private owned(deviceId: number): boolean {
    return !this.deps.fenceFor || this.deps.fenceFor(deviceId) !== undefined;
  }

  /**
   * Whether a device that stopped answering answers again: one GET of sysUpTime.0, no retries,
   * on a session of its own. Any answer counts (an error status too: the device is there).
   */
  async probe(deviceId: number): Promise<boolean> {
    const device = this.deps.store.devices.get(deviceId);
    // An unlicensed device is kept, not monitored: nothing is sent to it (licensed again, it is scanned at once).
    if (!device || !this.licensed(deviceId)) return false;
    return this.answers(device);
  }

  /**
   * A shadow that gets no answer, where its lead's address gives none either: unreachable through
   * its lead, recorded as its state (reachable false, the reason in lastError) and no alarm. Its
   * alarms are kept, as a lost device's are.
   */
  private async lostThroughLead(device: DeviceRecord, lead: DeviceRecord, scan: { request: ScanRequest; started: number; error: string }): Promise<ScanOutcome> {
    const { clock, store } = this.deps;
    const at = clock.now();
    if (!this.licensed(device.id)) return this.skipped(scan.request);
    const error = `unreachable through its lead ${lead.name}: ${scan.error}`;
    await this.deps.beforeFencedWrite?.();
    const stored = this.store(device.id, () => {
      store.devices.recordScan(device.id, { at, durationMs: at - scan.started, ok: false, error, reachable: false });
      return { events: [], result: 'unreachable' };
    });
    if (!stored) return this.skipped(scan.request);
    this.deps.observer?.scanned(scan.request.trigger, 'unreachable', clock.now() - scan.started, scan.request);
    return { reachable: false, leadUnreachable: true };
  }

  private async answers(device: DeviceRecord): Promise<boolean> {
    const { address, port, timeoutMs } = device;
    const client = this.deps.clients.openOneOff({ ...credentialsFor(device.snmp, 'read'), address, port, timeoutMs, retries: 0 });
    try {
      await client.get([SNMPV2.sysUpTime]);
      return true;
    } catch (error) {
      return !(error instanceof SnmpError && error.kind === 'timeout');
    } finally {
      client.close();
    }
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

/** The unit of a chain a device is: its rows only (a shadow: nothing but them). */
function chainUnitOf(device: DeviceRecord): ChainUnit | undefined {
  return device.chainPosition === null ? undefined : { position: device.chainPosition, shadow: device.leadId !== null };
}

function describeScanError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
