import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { planBalance, type BalancePlan } from './balance.js';
import { ClusterConnection, type ClusterHealth } from './connection.js';
import { describe } from './errors.js';
import { INBOX_CHANNEL, forwardToOwner, takeForwarded, type ForwardedNotification } from './inbox.js';
import { claimShards, heartbeat, leave, listCollectors, readLoad, releaseShards, renewShards, type CollectorInfo, type Member } from './leases.js';
import { applyClusterSchema } from './schema.js';
import type { ClusterSettings } from './settings.js';
import { SHARD_COUNT, shardOf, type ShardClaim } from './shards.js';

export interface ClusterCoordinatorDeps {
  database: pg.ClientConfig;
  settings: Readonly<ClusterSettings>;
  clock: Clock;
  log: Logger;
  /**
   * Hands notifications forwarded by peers to this collector. It runs inside the transaction
   * that takes them off the inbox: if it throws they stay queued for the next try. Keep it
   * quick (queue a scan, record the event): renewals wait for it.
   */
  deliver?: (batch: ForwardedNotification[]) => Promise<void> | void;
}

export interface ClusterCoordinatorEvents {
  /** Shards this collector now owns, at these epochs: re-register their devices, scan them. */
  acquired: [claims: ShardClaim[]];
  /** Shards it no longer owns (released, taken, or lease lapsed): stop scanning their devices. */
  lost: [shards: number[]];
  health: [health: ClusterHealth];
}

/** What one round did: for logs, tests and benches. */
export interface RoundReport {
  plan: BalancePlan | undefined;
  acquired: ShardClaim[];
  lost: number[];
}

/**
 * This collector's membership in the cluster: it registers and renews itself, holds and
 * balances shard leases (each claim a new epoch), forwards notifications for devices it does
 * not own, and takes those forwarded to it. PostgreSQL is the only shared thing.
 */
export class ClusterCoordinator extends EventEmitter<ClusterCoordinatorEvents> {
  private readonly held = new Map<number, number>();
  /** On our clock: until when every held lease is surely valid (renewal sent + lease). */
  private heldValidUntil = 0;
  private roundTimer: unknown;
  private roundInFlight: Promise<RoundReport> | undefined;
  /** The round's transaction while it runs: it holds shard leases FOR UPDATE. */
  private leaseTransaction: Promise<unknown> | undefined;
  private draining = false;
  private drainAgain = false;
  private running = false;
  private readonly connection: ClusterConnection;

  constructor(private readonly deps: ClusterCoordinatorDeps) {
    super();
    this.connection = new ClusterConnection({
      database: { application_name: `priscan-cluster-${deps.settings.collectorId}`, ...deps.database },
      clock: deps.clock,
      log: deps.log,
      settings: deps.settings,
      onConnect: async (client) => {
        await client.query(`LISTEN ${INBOX_CHANNEL}`);
      },
      onNotification: (notification) => this.onDoorbell(notification),
      onHealth: (health) => this.onHealth(health),
    });
  }

  get health(): ClusterHealth {
    return this.connection.health;
  }

  /** Connects, brings the cluster schema up to date (refusing a newer one), and joins. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.connection.start();
    try {
      const schema = await this.connection.run((db) => applyClusterSchema(db));
      if (schema.from !== schema.to) this.deps.log.info({ from: schema.from, to: schema.to }, 'cluster: schema migrated');
      await this.connection.run((db) => heartbeat(db, this.member, true));
    } catch (error) {
      await this.connection.stop();
      throw error;
    }
    this.running = true;
    this.deps.log.info({ collector: this.deps.settings.collectorId }, 'cluster: joined');
    // The first balancing round waits one renewal, so collectors started together see each
    // other before anyone claims: otherwise the first would take all 256 shards and hand them
    // over slowly.
    this.scheduleRound(this.deps.settings.renewMs);
  }

  /** Leaves gracefully: gives up every lease at once (peers claim them next round), disconnects. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.deps.clock.clearTimeout(this.roundTimer);
    this.roundTimer = undefined;
    await this.roundInFlight;
    const claims = this.heldShards();
    await this.connection.run((db) => leave(db, this.deps.settings.collectorId, claims)).catch((error: unknown) => this.deps.log.warn({ err: describe(error) }, 'cluster: could not release leases; they lapse on their own'));
    this.dropAll();
    await this.connection.stop();
  }

  /** Shards held now, with their epochs (what fenced writes carry). */
  heldShards(): ShardClaim[] {
    return [...this.held].map(([shard, epoch]) => ({ shard, epoch })).sort((a, b) => a.shard - b.shard);
  }

  /**
   * The claim a write for this device must be fenced with, if this collector owns it. None once
   * the leases lapsed on our clock (e.g. after a pause), even before the next round notices:
   * a peer may own the shard by then.
   */
  claimFor(deviceId: number): ShardClaim | undefined {
    if (this.deps.clock.now() >= this.heldValidUntil) return undefined;
    const shard = shardOf(deviceId);
    const epoch = this.held.get(shard);
    return epoch === undefined ? undefined : { shard, epoch };
  }

  /**
   * Resolves once no round of ours holds lease rows locked. A fenced write in this process must
   * wait for it: the fence share-locks the lease row, and a synchronous store session blocking on
   * our own round's lock would stop the event loop the round needs to commit (a deadlock until
   * the store's time limit).
   */
  async leasesUnlocked(): Promise<void> {
    while (this.leaseTransaction) await this.leaseTransaction.catch(() => undefined);
  }

  /** Queues a notification for the owner of its device (CLUSTER_UNAVAILABLE while disconnected). */
  forward(deviceId: number, payload: unknown): Promise<{ id: number; shard: number }> {
    return this.connection.run((db) => forwardToOwner(db, { deviceId, payload, receivedBy: this.deps.settings.collectorId }));
  }

  /** Every collector the database knows, with the shards each holds. */
  collectors(): Promise<CollectorInfo[]> {
    return this.connection.run((db) => listCollectors(db));
  }

  /** One round now: renew, balance, drain. The timers call it; tests may too. */
  runRound(): Promise<RoundReport> {
    this.roundInFlight ??= this.round().finally(() => (this.roundInFlight = undefined));
    return this.roundInFlight;
  }

  private get member(): Member {
    const { collectorId, notifyAddr, apiAddr, leaseMs } = this.deps.settings;
    return { collectorId, notifyAddr, apiAddr, leaseMs };
  }

  private scheduleRound(delayMs: number): void {
    this.roundTimer = this.deps.clock.setTimeout(() => {
      void this.runRound().finally(() => {
        if (this.running) this.scheduleRound(this.deps.settings.renewMs);
      });
    }, delayMs);
  }

  private async round(): Promise<RoundReport> {
    const report: RoundReport = { plan: undefined, acquired: [], lost: [] };
    // Whatever the database says later, past this point another collector may own our shards.
    if (this.held.size > 0 && this.deps.clock.now() >= this.heldValidUntil) {
      this.deps.log.warn({ shards: this.held.size }, 'cluster: leases lapsed without renewal');
      report.lost = this.dropAll();
    }
    if (!this.running || this.connection.health !== 'connected') return report;

    const sentAt = this.deps.clock.now();
    const { collectorId: me, joinGraceMs, movesPerRound, hysteresis } = this.deps.settings;
    const before = this.heldShards();
    let outcome: { kept: ShardClaim[]; released: number[]; acquired: ShardClaim[]; plan: BalancePlan | undefined };
    try {
      const transaction = this.connection.transaction(async (db) => {
        const joined = await heartbeat(db, this.member, false);
        const renewed = await renewShards(db, this.member, before);
        const kept = before.filter((c) => renewed.has(c.shard));
        // Back after our lease lapsed (e.g. PostgreSQL was down longer than a lease): peers are
        // coming back too. Balance next round, once they are seen, or the first back takes all.
        if (joined) return { kept, released: [], acquired: [], plan: undefined };
        const load = await readLoad(db, me, kept.map((c) => c.shard), joinGraceMs);
        // Leases recorded as ours from an earlier life are free to us, not held.
        const collectors = load.collectors.map((c) => (c.id === me ? { ...c, owned: kept.length } : c));
        const plan = planBalance({ me, shardCount: SHARD_COUNT, collectors, freeOrphaned: load.freeOrphaned, freeReleased: load.freeReleased, movesPerRound, hysteresis });
        const released = await releaseShards(db, me, kept, plan.release);
        const holding = kept.map((c) => c.shard).filter((s) => !released.includes(s));
        const orphaned = await claimShards(db, this.member, { kind: 'orphaned', limit: plan.claimOrphaned, held: holding });
        const handedOver = await claimShards(db, this.member, { kind: 'released', limit: plan.claimReleased, held: [...holding, ...orphaned.map((c) => c.shard)] });
        return { kept, released, acquired: [...orphaned, ...handedOver], plan };
      });
      this.leaseTransaction = transaction;
      outcome = await transaction.finally(() => (this.leaseTransaction = undefined));
    } catch (error) {
      this.deps.log.warn({ err: describe(error) }, 'cluster: round failed');
      return report;
    }

    this.heldValidUntil = sentAt + this.deps.settings.leaseMs;
    const keptShards = new Set(outcome.kept.map((c) => c.shard));
    const lost = before.map((c) => c.shard).filter((s) => !keptShards.has(s) || outcome.released.includes(s));
    for (const shard of lost) this.held.delete(shard);
    for (const claim of outcome.acquired) this.held.set(claim.shard, claim.epoch);
    report.plan = outcome.plan;
    report.lost = [...report.lost, ...lost];
    report.acquired = outcome.acquired;
    if (lost.length > 0) this.announce('lost', lost);
    if (outcome.acquired.length > 0) this.announce('acquired', outcome.acquired);
    // Every round, not only on NOTIFY: a doorbell rung while we were away is not heard again.
    await this.drainInbox();
    return report;
  }

  /** Drops every held shard (e.g. leases lapsed, or leaving) and says so. */
  private dropAll(): number[] {
    const shards = [...this.held.keys()].sort((a, b) => a - b);
    this.held.clear();
    if (shards.length > 0) this.announce('lost', shards);
    return shards;
  }

  /** Takes forwarded notifications of our shards until none are left. */
  private async drainInbox(): Promise<void> {
    const deliver = this.deps.deliver;
    if (!deliver || this.held.size === 0 || this.connection.health !== 'connected') return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    const batchSize = this.deps.settings.inboxBatch;
    try {
      do {
        this.drainAgain = false;
        let taken: number;
        do {
          const claims = this.heldShards();
          taken = await this.connection.transaction(async (db) => {
            const batch = await takeForwarded(db, this.deps.settings.collectorId, claims, batchSize);
            if (batch.length > 0) await deliver(batch);
            return batch.length;
          });
        } while (taken === batchSize);
      } while (this.drainAgain);
    } catch (error) {
      this.deps.log.warn({ err: describe(error) }, 'cluster: inbox delivery failed; the notifications stay queued');
    } finally {
      this.draining = false;
    }
  }

  private onDoorbell(notification: pg.Notification): void {
    if (notification.channel !== INBOX_CHANNEL) return;
    if (this.held.has(Number(notification.payload))) void this.drainInbox();
  }

  private onHealth(health: ClusterHealth): void {
    this.announce('health', health);
    // Back after an outage: renew before the leases lapse, and take what was queued meanwhile.
    if (health === 'connected' && this.running) void this.runRound();
  }

  /** Emits without letting a listener's exception into the round. */
  private announce<K extends keyof ClusterCoordinatorEvents>(event: K, ...args: ClusterCoordinatorEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ClusterCoordinatorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.deps.log.error({ err: describe(error), event }, 'cluster: a listener failed');
    }
  }
}
