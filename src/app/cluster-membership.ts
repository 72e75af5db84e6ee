import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ClusterCoordinator } from '../cluster/coordinator.js';
import { clusterSettingsOf } from '../cluster/config.js';
import type { Config } from '../config/schema.js';
import { postgresConnection } from '../store/open.js';
import { describe } from '../cluster/errors.js';
import type { ForwardedNotification } from '../cluster/inbox.js';
import type { ShardClaim } from '../cluster/shards.js';
import type { ClusterView } from '../cluster/view.js';
import type { AcceptedNotification } from '../traps/intake.js';
import type { WriteFence } from '../store/session.js';

/** What a notification forwarded to the owner carries: what the owner's intake would have passed on. */
interface ForwardedPayload {
  restart: boolean;
  receivedAt: number;
}

export interface ClusterMembershipDeps {
  coordinator: ClusterCoordinator;
  /** The devices this collector follows, and which it schedules (DeviceService). */
  devices: {
    ownershipChanged(): { tracked: number; untracked: number };
    syncShared(): void;
    /** The device whose shard a device lives in: a shadow lives with its lead (one owner per chain). */
    shardDeviceOf(deviceId: number): number;
  };
  /** Verifies license keys another collector installed (LicenseService.refresh). */
  licenses: { refresh(): boolean };
  /** Whether the scheduler knows the device (owned, licensed). */
  scheduled: (deviceId: number) => boolean;
  /** What a notification from an owned device does here: re-register after a restart, queue a scan. */
  handle: (notification: AcceptedNotification) => void;
  collectorId: string;
  /** Where this collector receives notifications, to tell it from its peers. */
  notifyAddr: string;
  clock: Clock;
  log: Logger;
  /** How often the shared devices and licenses tables are read again. */
  syncMs: number;
}

/** Notifications that could not be forwarded (PostgreSQL away) are kept, this many at most, and retried. */
const MAX_PENDING_FORWARDS = 10_000;

/**
 * The daemon's side of cluster mode: follows the coordinator's `acquired` and `lost` events
 * (owned devices are scheduled, registered here and scanned; lost ones dropped at once), fences
 * scan results with the shard's epoch, forwards notifications for devices a peer owns and handles
 * those forwarded here, and picks up devices and licenses other collectors changed (by polling
 * the shared tables every `syncMs`).
 */
export class ClusterMembership {
  private timer: unknown;
  /** Since when the shared tables could not be read (PostgreSQL away); undefined while they can. */
  private syncFailingSince: number | undefined;
  private running = false;
  private pending: Array<{ deviceId: number; payload: ForwardedPayload }> = [];
  private peerEndpoints: { address: string; port: number }[] = [];
  private dropped = 0;

  /** What the API and /metrics read of the cluster. */
  readonly view: ClusterView;

  constructor(private readonly deps: ClusterMembershipDeps) {
    this.view = { collectorId: deps.collectorId, ownsDevice: (deviceId) => this.owns(deviceId), collectors: () => deps.coordinator.collectors() };
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { coordinator } = this.deps;
    coordinator.on('acquired', (claims) => this.onAcquired(claims));
    coordinator.on('lost', (shards) => this.onLost(shards));
    coordinator.on('health', (health) => this.deps.log.info({ health }, 'cluster: database connection'));
    await coordinator.start();
    this.running = true;
    await this.refreshPeers();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.deps.clock.clearTimeout(this.timer);
    // Leaving gives every shard up at once (`lost` untracks them): peers take them next round.
    await this.deps.coordinator.stop();
  }

  /** The fence for a device's writes; undefined when a peer owns it (nothing may be written). */
  fenceFor(deviceId: number): WriteFence | undefined {
    return this.deps.coordinator.claimFor(this.deps.devices.shardDeviceOf(deviceId));
  }

  /** Resolves when a fenced write may run without waiting on this collector's own lease renewal. */
  writable(): Promise<void> {
    return this.deps.coordinator.leasesUnlocked();
  }

  owns(deviceId: number): boolean {
    return this.fenceFor(deviceId) !== undefined;
  }

  /** Other collectors' notification addresses, live or dead: their registrations come off devices we own. */
  peers(): readonly { address: string; port: number }[] {
    return this.peerEndpoints;
  }

  /** A notification the intake accepted: handled here if we own the device, else queued for its owner. */
  notification(n: AcceptedNotification): void {
    if (this.owns(n.deviceId)) {
      this.deps.handle(n);
      return;
    }
    this.forward(n.deviceId, { restart: n.restart, receivedAt: n.receivedAt });
  }

  /**
   * Notifications peers forwarded to us, inside the coordinator's transaction that takes them
   * off the inbox: handled exactly as if received here (a scan queued, coalesced with any other).
   */
  deliver(batch: readonly ForwardedNotification[]): void {
    for (const row of batch) {
      // Added through another collector's API since our last look: read the devices again first.
      if (!this.deps.scheduled(row.deviceId)) this.deps.devices.syncShared();
      const payload = row.payload as Partial<ForwardedPayload>;
      this.deps.handle({ deviceId: row.deviceId, restart: payload.restart === true, receivedAt: typeof payload.receivedAt === 'number' ? payload.receivedAt : row.receivedAt.getTime() });
    }
  }

  private forward(deviceId: number, payload: ForwardedPayload): void {
    this.deps.coordinator.forward(deviceId, payload).catch((error: unknown) => {
      // PostgreSQL away: keep it and try again on the next tick, rather than lose it.
      if (this.pending.length >= MAX_PENDING_FORWARDS) {
        this.dropped++;
        if (this.dropped === 1 || this.dropped % 1000 === 0) this.deps.log.error({ dropped: this.dropped }, 'cluster: notifications for peers dropped: the retry queue is full');
        return;
      }
      this.pending.push({ deviceId, payload });
      if (this.pending.length === 1) this.deps.log.warn({ err: describe(error) }, 'cluster: a notification for a peer could not be forwarded; retrying');
    });
  }

  private onAcquired(claims: ShardClaim[]): void {
    const { tracked } = this.deps.devices.ownershipChanged();
    this.deps.log.info({ shards: claims.length, devices: tracked }, 'cluster: shards acquired; registering and scanning their devices');
  }

  private onLost(shards: number[]): void {
    const { untracked } = this.deps.devices.ownershipChanged();
    this.deps.log.info({ shards: shards.length, devices: untracked }, 'cluster: shards lost; their devices are no longer scanned here');
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      void this.tick().finally(() => {
        if (this.running) this.schedule();
      });
    }, this.deps.syncMs);
  }

  /** Reads the shared tables again, retries forwards that failed, and refreshes the peers' addresses. */
  private async tick(): Promise<void> {
    try {
      if (this.deps.licenses.refresh()) this.deps.log.info('cluster: license keys installed by a peer verified');
      this.deps.devices.syncShared();
      if (this.syncFailingSince !== undefined) this.deps.log.info({ failedForMs: this.deps.clock.now() - this.syncFailingSince }, 'cluster: the shared devices read again');
      this.syncFailingSince = undefined;
    } catch (error) {
      // Once per outage, not once per sync (every deviceSyncMs while PostgreSQL is down).
      if (this.syncFailingSince === undefined) this.deps.log.warn({ err: describe(error) }, 'cluster: could not read the shared devices; retrying every sync until PostgreSQL answers');
      this.syncFailingSince ??= this.deps.clock.now();
    }
    const retry = this.pending;
    this.pending = [];
    for (const { deviceId, payload } of retry) {
      if (this.owns(deviceId)) this.deps.handle({ deviceId, ...payload });
      else this.forward(deviceId, payload);
    }
    await this.refreshPeers();
  }

  private async refreshPeers(): Promise<void> {
    try {
      const collectors = await this.deps.coordinator.collectors();
      this.peerEndpoints = collectors.filter((c) => c.notifyAddr !== this.deps.notifyAddr).map((c) => endpointOf(c.notifyAddr));
    } catch (error) {
      this.deps.log.debug({ err: describe(error) }, 'cluster: peers not read this time');
    }
  }
}

function endpointOf(hostPort: string): { address: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { address: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
}

/** The parts of the daemon cluster mode works with. */
export interface ClusterParts {
  devices: ClusterMembershipDeps['devices'];
  licenses: ClusterMembershipDeps['licenses'];
  scheduler: { has(deviceId: number): boolean };
  handle: ClusterMembershipDeps['handle'];
  clock: Clock;
  log: Logger;
}

/** This collector's membership, from a config with `cluster:` (and, the schema ensures, `store.postgres`). */
export function clusterMembershipFrom(config: Readonly<Config>, parts: ClusterParts): ClusterMembership {
  const cluster = config.cluster!;
  const { log, clock } = parts;
  if (!cluster.licenseMac) log.warn("cluster.licenseMac is not set: license keys verify against this machine's MAC, so on one collector only (docs/scale-out.md)");
  const settings = clusterSettingsOf(cluster);
  let membership: ClusterMembership | undefined;
  const coordinator = new ClusterCoordinator({
    database: postgresConnection(config.store.postgres!).connection,
    settings,
    clock,
    log,
    deliver: (batch) => membership?.deliver(batch),
  });
  membership = new ClusterMembership({
    coordinator,
    devices: parts.devices,
    licenses: parts.licenses,
    scheduled: (id) => parts.scheduler.has(id),
    handle: parts.handle,
    collectorId: settings.collectorId,
    notifyAddr: settings.notifyAddr,
    clock,
    log,
    syncMs: cluster.deviceSyncMs,
  });
  return membership;
}
