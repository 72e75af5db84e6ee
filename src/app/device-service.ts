import type { Logger } from 'pino';
import type { ProfileChanges, ProfileRegistry } from '../profiles/registry.js';
import { profileNameOf } from '../profiles/resolve.js';
import type { AlarmEventBus } from '../alarms/events.js';
import { DEVICE_REMOVED, DEVICE_UNMONITORED, type AlarmEvent, type ClearReason } from '../alarms/model.js';
import { identify } from '../profiles/resolve.js';
import { ConfigError } from '../config/load.js';
import type { DeviceInput } from '../config/schema.js';
import type { Registrar } from '../registration/registrar.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import { credentialsFor, type DeviceClients } from '../snmp/device-clients.js';
import { ShadowRelationError, type DeviceChanges, type DeviceRecord, type NewDevice } from '../store/devices.js';
import type { Store } from '../store/store.js';
import type { NotificationSources } from '../traps/sources.js';
import { declaredChanged, DeviceInputError, LeadHasShadowsError, LicenseLimitError, refuseShadowedDevices, toNewDevice, type DeviceProbe } from './device-input.js';
import { DeviceOwnership } from './device-ownership.js';

export interface DeviceServiceDeps {
  store: Store;
  /** Devices the installed licenses allow (included allowance + keys). */
  licensedNodes: () => number;
  scheduler: ScanScheduler;
  registrar: Registrar;
  clients: DeviceClients;
  sources: NotificationSources;
  installationCommunity: string;
  /** Where the clears of a removed or unlicensed device's alarms go (SSE, Alertmanager). */
  bus: Pick<AlarmEventBus, 'publish'>;
  clock: { now(): number };
  log: Logger;
  profiles: ProfileRegistry;
  /** Operator thresholds: how often a device's readings must be read, and what to forget of a removed device. */
  thresholds?: { intervalSecondsFor(device: DeviceRecord): number | undefined; forget(deviceId: number): void };
  /** Cluster mode: whether this collector owns the device's shard now (DeviceOwnershipDeps). */
  owns?: (deviceId: number) => boolean;
}

/**
 * Adding, changing and removing devices: keeps the store, the notification
 * sources, the scheduler and the devices' registrations in step.
 */
export class DeviceService {
  /** Devices kept with their history but not scanned or registered: beyond the licensed count. */
  private readonly unlicensed = new Set<number>();
  /** Registrations being removed from devices that went unlicensed, by device id. */
  private readonly deregistering = new Map<number, Promise<void>>();
  /** Which devices are followed and which owned (cluster mode; on one priscan, every device). */
  private readonly ownership: DeviceOwnership;

  constructor(private readonly deps: DeviceServiceDeps) {
    this.ownership = new DeviceOwnership({ scheduler: deps.scheduler, owns: deps.owns });
  }

  /** Schedules every stored device (at start-up), as far as the licenses allow. */
  loadStored(): void {
    this.applyLicensing();
  }

  isMonitored(id: number): boolean {
    return !this.unlicensed.has(id);
  }

  get unlicensedCount(): number {
    return this.unlicensed.size;
  }

  /**
   * The oldest devices up to the licensed count are monitored; the newest beyond it become
   * unlicensed (untracked, history kept), and come back when capacity returns. An unlicensed
   * device's alarms end with a clear saying so: nothing watches them any more.
   */
  applyLicensing(): void {
    const licensed = this.deps.licensedNodes();
    const devices = this.deps.store.devices.list().sort((a, b) => a.id - b.id);
    devices.forEach((device, i) => {
      const wanted = i < licensed;
      const tracked = this.ownership.isFollowed(device.id);
      // In a cluster every collector decides the same from the shared tables; only the owner acts on the device.
      const owned = this.ownership.owns(device.id);
      if (wanted && !tracked) {
        const returning = this.unlicensed.delete(device.id);
        this.track(device);
        // Its alarms were ended when it went: find the current ones now, not at the next safety net.
        if (returning && owned) this.deps.scheduler.requestScan(device.id, 'manual');
      } else if (!wanted && (tracked || !this.unlicensed.has(device.id))) {
        this.unlicensed.add(device.id);
        this.untrack(device);
        if (!owned) return;
        // Also at start-up, for alarms an older priscan left frozen on an unlicensed device.
        this.endAlarms(device.id, DEVICE_UNMONITORED);
        this.deps.log.warn({ device: device.name, licensed }, 'device unlicensed: over the licensed node count, not monitored');
        // Not monitored means not registered either: the device should stop sending to us.
        if (tracked) this.removeRegistration(device);
      }
    });
  }

  /**
   * Re-reads the profile files (SIGHUP, POST /api/v1/profiles/reload). A bad file throws and
   * changes nothing. Devices whose profile changed, or whose `auto` choice changes, are rescanned;
   * those whose registration method changed lose the old registration and get the new one.
   */
  async reloadProfiles(): Promise<ProfileChanges & { rescanned: string[] }> {
    const { profiles, store, scheduler, registrar, log } = this.deps;
    const methodBefore = new Map(profiles.list().map((p) => [p.name, p.registration]));
    const changes = profiles.load();
    const touched = new Set([...changes.added, ...changes.changed, ...changes.removed]);
    const rescanned: string[] = [];
    for (const device of store.devices.list()) {
      // In a cluster each collector reloads its own files and handles the devices it owns.
      if (!this.isMonitored(device.id) || !this.ownership.owns(device.id)) continue;
      const before = profileNameOf(device);
      let now = before;
      if (device.profile === 'auto' && device.state.sysObjectId) {
        const best = profiles.select(device.state.sysObjectId);
        if (best && best.name !== before) {
          store.devices.setResolvedProfile(device.id, best.name, device.state.sysObjectId, device.state.sysDescr);
          now = best.name;
        }
      }
      if (now === before && !(before !== null && touched.has(before))) continue;
      const oldMethod = before === null ? undefined : methodBefore.get(before);
      const newMethod = now === null ? undefined : profiles.get(now)?.registration;
      if (oldMethod && oldMethod !== 'none' && oldMethod !== newMethod && device.priorityScanning) {
        const error = await registrar.deregister(device, oldMethod);
        if (error) log.warn({ device: device.name, err: error }, 'old registration not removed after a profile change');
      }
      const current = store.devices.get(device.id);
      if (!current) continue;
      this.track(current, true);
      scheduler.requestScan(device.id, 'manual');
      rescanned.push(device.name);
    }
    log.info({ ...changes, rescanned: rescanned.length }, 'profiles reloaded');
    return { ...changes, rescanned };
  }

  /** Refuses a profile that is not loaded (`auto` is always fine). */
  private checkProfile(name: string): void {
    if (name !== 'auto') this.deps.profiles.require(name);
  }

  /** Refuses a new device when every licensed node is in use. */
  admit(): void {
    const licensed = this.deps.licensedNodes();
    const used = this.deps.store.devices.count();
    if (used >= licensed) throw new LicenseLimitError(licensed, used);
  }

  /** The add-device dry run: asks the device who it is, changes nothing. */
  async probe(device: NewDevice): Promise<DeviceProbe> {
    const client = this.deps.clients.openOneOff({
      ...credentialsFor(device.snmp, 'read'),
      address: device.address,
      port: device.port,
      timeoutMs: device.timeoutMs,
      retries: device.retries,
    });
    try {
      const { sysObjectId, sysDescr } = await identify(client);
      return { reachable: true, sysObjectId, sysDescr, autoProfile: (sysObjectId && this.deps.profiles.select(sysObjectId)?.name) || null, error: null };
    } catch (error) {
      return { reachable: false, sysObjectId: null, sysDescr: null, autoProfile: null, error: (error as Error).message };
    } finally {
      client.close();
    }
  }

  /**
   * Makes the config file's devices exist as declared; config devices no longer declared are removed.
   * A config device an API device shadows is refused first (see refuseShadowedDevices).
   */
  async syncDeclared(declared: readonly DeviceInput[]): Promise<void> {
    const { store } = this.deps;
    refuseShadowedDevices(store.devices, declared);
    const names = new Set(declared.map((d) => d.name));
    // Removed first, so a device renamed in the config can take the address its old name held;
    // shadows before leads, so no lead is removed under its shadows.
    const gone = store.devices.listByOrigin('config').filter((d) => !names.has(d.name));
    for (const device of [...gone.filter((d) => d.leadId !== null), ...gone.filter((d) => d.leadId === null)]) {
      try {
        await this.remove(device.id);
      } catch (error) {
        if (error instanceof LeadHasShadowsError) throw new ConfigError(`devices: ${device.name} is no longer declared, but ${error.message}`);
        throw error;
      }
    }
    // Leads (and devices of their own) before shadows, so each shadow finds its lead.
    const indexed = declared.map((input, i) => ({ input, i }));
    for (const { input, i } of [...indexed.filter((d) => d.input.lead === undefined), ...indexed.filter((d) => d.input.lead !== undefined)]) {
      const lead = input.lead === undefined ? undefined : store.devices.getByName(String(input.lead));
      if (input.lead !== undefined && !lead) throw new ConfigError(`devices.${i}.lead: no device named ${input.lead}`);
      const existing = store.devices.getByName(input.name);
      try {
        const wanted = toNewDevice(input, 'config', lead);
        if (!existing) {
          this.add(wanted);
        } else if (declaredChanged(existing, wanted)) {
          const { origin: _origin, ...changes } = wanted;
          await this.update(existing.id, changes);
        }
      } catch (error) {
        if (error instanceof DeviceInputError) throw new ConfigError(`devices.${i}.${error.message}`);
        if (error instanceof ShadowRelationError) throw new ConfigError(`devices.${i}.lead: ${error.message}`);
        throw error;
      }
    }
  }

  /** API additions are admitted against the license; config devices beyond it are kept unlicensed. */
  add(device: NewDevice): DeviceRecord {
    this.checkProfile(device.profile);
    if (device.origin === 'api') this.admit();
    const record = this.deps.store.devices.insert(device);
    this.deps.log.info({ device: record.name, address: record.address, profile: record.profile }, 'device added');
    if (this.deps.store.devices.count() > this.deps.licensedNodes()) this.applyLicensing();
    else this.track(record);
    return record;
  }

  /**
   * Changes a device. A new address or new credentials mean a new registration: the old one is
   * removed from the old address (best effort) and the device is registered again.
   */
  async update(id: number, changes: DeviceChanges): Promise<DeviceRecord> {
    const before = this.deps.store.devices.get(id);
    if (!before) throw new Error(`no device ${id}`);
    if (changes.profile !== undefined) this.checkProfile(changes.profile);
    // The store first: a change it refuses (name or address taken) must leave the registration in place.
    const record = this.deps.store.devices.update(id, changes);
    const moved = record.address !== before.address || record.port !== before.port;
    if (moved && this.isMonitored(id)) {
      const deregistrationError = await this.deps.registrar.deregister(before);
      if (deregistrationError) this.deps.log.warn({ device: before.name, deregistrationError }, 'old registration not removed');
    }
    // A shadow's address is its lead's: the lead's notifications stay the lead's.
    if (before.leadId === null) this.deps.sources.delete(before.address);
    this.deps.clients.forget(id);
    // Its shadows followed its address, port and credentials (src/store/devices.ts): new sessions for them too.
    for (const shadow of this.deps.store.devices.shadowsOf(id)) this.deps.clients.forget(shadow.id);
    if (this.isMonitored(id)) this.track(record, true);
    return record;
  }

  /** De-registers first (best effort: an unreachable device is removed anyway), then deletes. */
  async remove(id: number): Promise<{ deregistrationError: string | null } | undefined> {
    const device = this.deps.store.devices.get(id);
    if (!device) return undefined;
    // Before anything is undone: a chain's units are the operator's to remove or move.
    const shadows = this.deps.store.devices.shadowsOf(id);
    if (shadows.length > 0) throw new LeadHasShadowsError(device, shadows);
    const monitored = this.isMonitored(id);
    this.untrack(device);
    // An unlicensed device was never registered (or was de-registered when it became unlicensed).
    const deregistrationError = monitored ? await this.deps.registrar.deregister(device) : null;
    await this.deregistering.get(id);
    this.deps.clients.forget(id);
    const at = this.deps.clock.now();
    // One transaction: the alarms' clears are logged with the delete, never a dangling raise.
    this.publish(this.deps.store.removeDevice(id, { reason: DEVICE_REMOVED, at }) ?? [], 'removal', at);
    this.unlicensed.delete(id);
    this.deps.thresholds?.forget(id);
    this.deps.log.info({ device: device.name, deregistrationError }, 'device removed');
    // A freed node lets the oldest unlicensed device back in.
    if (this.unlicensed.size > 0) this.applyLicensing();
    return { deregistrationError };
  }

  /** Their thresholds changed, or a scan found their profile: the interval may change; `scan` shows the change now. */
  applyCadence(ids: readonly number[], scan = false): void {
    for (const id of ids) {
      const device = this.deps.store.devices.get(id);
      if (!device || !this.deps.scheduler.has(id)) continue;
      this.deps.scheduler.setInterval(id, this.scanIntervalSeconds(device) * 1000);
      if (scan) this.deps.scheduler.requestScan(id, 'manual');
    }
  }

  /** Its safety-net interval: its own, or faster where its readings ask (profile or thresholds). */
  scanIntervalSeconds(device: DeviceRecord): number {
    return Math.min(device.intervalSeconds, this.deps.thresholds?.intervalSecondsFor(device) ?? Infinity);
  }

  /** Ends the device's active alarms without a scan, saying why, and tells the subscribers. */
  private endAlarms(deviceId: number, reason: ClearReason): void {
    const at = this.deps.clock.now();
    this.publish(this.deps.store.alarms.clearAll(deviceId, { reason, at }), 'licensing', at);
  }

  private publish(events: readonly AlarmEvent[], trigger: string, at: number): void {
    this.deps.bus.publish(events, { trigger, requestedAt: at, storedAt: this.deps.clock.now() });
  }

  /** Takes priscan's registration off a device that went unlicensed (best effort), and records that. */
  private removeRegistration(device: DeviceRecord): void {
    const removal: Promise<void> = this.deps.registrar.deregister(device).then((error) => {
      if (error) this.deps.log.warn({ device: device.name, err: error }, 'could not remove the registration of an unlicensed device');
      // Licensed again meanwhile: its new registration is under way and records its own state.
      if (device.priorityScanning && !this.isMonitored(device.id) && this.deps.store.devices.get(device.id)) {
        this.deps.store.devices.recordRegistration(device.id, {
          at: this.deps.clock.now(),
          state: error ? 'failed' : 'removed',
          error: error ? `not removed from the device (it is no longer monitored): ${error}` : null,
        });
      }
      if (this.deregistering.get(device.id) === removal) this.deregistering.delete(device.id);
    });
    this.deregistering.set(device.id, removal);
  }

  private untrack(device: DeviceRecord): void {
    this.ownership.unfollow(device.id);
    this.deps.scheduler.removeDevice(device.id);
    if (device.leadId === null) this.deps.sources.delete(device.address);
  }

  /** Cluster mode: the device whose shard a device lives in (a shadow's lead). */
  shardDeviceOf(id: number): number {
    return this.ownership.shardDeviceOf(id);
  }

  /** Cluster mode: shards moved; devices now owned are scheduled, those no longer owned dropped. */
  ownershipChanged(): { tracked: number; untracked: number } {
    return this.ownership.ownershipChanged((device) => this.schedule(device, false));
  }

  /**
   * Cluster mode: devices added, changed or removed through any collector's API are picked up
   * here by reading the shared table again.
   */
  syncShared(): void {
    const stored = new Map(this.deps.store.devices.list().map((d) => [d.id, d]));
    const { removed, changed } = this.ownership.changesIn(stored);
    for (const before of removed) {
      this.untrack(before);
      this.deps.clients.forget(before.id);
      this.unlicensed.delete(before.id);
      this.deps.thresholds?.forget(before.id);
    }
    for (const { before, now } of changed) {
      if (now.address !== before.address && before.leadId === null) this.deps.sources.delete(before.address);
      this.deps.clients.forget(now.id);
      this.track(now, true);
    }
    for (const id of this.unlicensed) if (!stored.has(id)) this.unlicensed.delete(id);
    this.applyLicensing();
  }

  /**
   * Where the device's notifications are accepted from, and which of them scan. A shadow's come
   * from its lead's address and are the lead's: the scheduler scans the shadows of a notified lead.
   */
  private listen(device: DeviceRecord, community: string): void {
    if (device.leadId !== null) return;
    const { snmp } = device;
    // Until an `auto` device's profile is known, every notification from it scans.
    const scanOn = this.deps.profiles.get(profileNameOf(device) ?? '')?.notifications.scanOn;
    this.deps.sources.set(device.address, {
      deviceId: device.id,
      community,
      ...(snmp.version === '3' ? { usm: snmp.usm } : {}),
      ...(scanOn && scanOn !== 'any' ? { scanOn } : {}),
    });
  }

  /** A scan found an `auto` device's profile: its cadence, and the notifications that scan it, follow. */
  profileResolved(id: number): void {
    this.applyCadence([id]);
    const device = this.deps.store.devices.get(id);
    if (device) this.ownership.refresh(device);
    if (device && this.deps.scheduler.has(id)) this.listen(device, this.notifyCommunity(device));
  }

  private notifyCommunity(device: DeviceRecord): string {
    // A v3 device may still send v1/v2c (a hidden-table or APC registration carries a community).
    return (device.snmp.version === '3' ? null : device.snmp.notifyCommunity) ?? this.deps.installationCommunity;
  }

  private track(device: DeviceRecord, changed = false): void {
    this.listen(device, this.notifyCommunity(device));
    this.ownership.follow(device);
    if (!this.ownership.owns(device.id)) {
      this.deps.scheduler.removeDevice(device.id);
      return;
    }
    this.schedule(device, changed);
  }

  private schedule(device: DeviceRecord, changed: boolean): void {
    const scheduling = {
      intervalMs: this.scanIntervalSeconds(device) * 1000,
      registered: device.priorityScanning,
      timeoutMs: device.timeoutMs,
      ...(device.leadId === null ? {} : { lead: device.leadId }),
    };
    if (changed) this.deps.scheduler.updateDevice(device.id, scheduling);
    else this.deps.scheduler.addDevice(device.id, scheduling);
    if (changed && device.priorityScanning) this.deps.scheduler.requestRegistration(device.id);
    // Back from unlicensed while its old registration is still being removed: the removal may
    // undo the registration just requested, so verify (and repair) once it has finished.
    const removal = this.deregistering.get(device.id);
    if (removal && device.priorityScanning) void removal.then(() => this.deps.scheduler.requestRegistration(device.id));
  }
}
