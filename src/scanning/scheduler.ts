import type { Clock } from '../clock.js';
import { ScanLanes, type Lane, type LaneCounts } from './scan-lanes.js';
import { TimerHeap } from './timer-heap.js';

export const SCAN_TRIGGERS = ['trap', 'manual', 'registration', 'periodic'] as const;
export type ScanTrigger = (typeof SCAN_TRIGGERS)[number];

/** Trap-triggered work first, then registration, then the periodic safety net, then probes of lost devices. */
const PRIORITY: Record<ScanTrigger | 'register' | 'probe', number> = { trap: 3, manual: 3, register: 2, registration: 2, periodic: 1, probe: 0 };

/** What a scan serves: why it runs, and the earliest request it answers (for latency). */
export interface ScanRequest {
  trigger: ScanTrigger;
  requestedAt: number;
}

export interface ScanOutcome {
  reachable: boolean;
  /**
   * A shadow got no answer, and its lead's address gave none either: whether the lead is lost
   * is for the lead's own scan to say (one alarm, the lead's), so it is asked for.
   */
  leadUnreachable?: boolean;
}

/** How a request was handled: a new scan, folded into a queued one, or a follow-up after the running one. */
export type RequestResult = 'queued' | 'coalesced' | 'follow-up' | 'unknown-device';

export interface SchedulerObserver {
  scanRequested(trigger: ScanTrigger, result: RequestResult): void;
  /** A lost device was probed: whether it answered. */
  probed?(answered: boolean): void;
}

export interface SchedulerDeps {
  clock: Clock;
  random: () => number;
  concurrency: number;
  /** Runs one scan; reports device failures as data (a throw is retried, see onJobFailed). */
  scan(deviceId: number, request: ScanRequest): Promise<ScanOutcome>;
  /** Writes, verifies or repairs the device's registration (a throw is retried, see onJobFailed). */
  register(deviceId: number): Promise<void>;
  /** Asks a lost device one cheap question (one GET, no retries): whether it answers again (a throw is retried). */
  probe(deviceId: number): Promise<boolean>;
  registrationIntervalMs: number;
  observer?: SchedulerObserver;
  /** A scan, registration check or probe threw (the store out of reach, or a bug): it runs again after JOB_RETRY_MS. */
  onJobFailed?(job: 'scan' | 'registration' | 'probe', deviceId: number, error: unknown): void;
}

export interface DeviceScheduling {
  intervalMs: number;
  /** Whether this device is registered on (priority scanning on). */
  registered: boolean;
  /** The device's SNMP request timeout: a scan that takes longer than one timeout marks the device slow. */
  timeoutMs: number;
  /**
   * A shadow's lead: the device whose notifications may concern it (they scan it too), and
   * whose loss is its own (while the lead is lost, the shadow is neither scanned nor probed).
   */
  lead?: number;
}

interface Slot {
  scheduling: DeviceScheduling;
  queued?: ScanRequest;
  running: boolean;
  dirty?: ScanRequest;
  registrationQueued: boolean;
  /** Its last scan got no answer: until it answers, its safety net is a probe instead of a scan. */
  lost: boolean;
  probeQueued: boolean;
  /** Slow (dead, or answering late) devices run in the slow lane; see ScanLanes. */
  lane: Lane;
  /** How long its last scan in time took: how soon a running scan of it counts as overrunning. */
  lastScanMs?: number;
  /** A scan that threw (the store unavailable): the request, kept for its retry. */
  deferred?: ScanRequest;
}

/** Safety-net scans come up to this share of the interval early (never late), so devices do not scan in step. */
const JITTER = 0.1;
/** A scan running this many times longer than its device's last one is overrunning (probably waiting on a timeout)... */
const OVERRUN_FACTOR = 4;
/** ...but not sooner than this, so a device that usually answers in a millisecond is not called slow for a hiccup. */
const MIN_OVERRUN_MS = 250;
/** Work that threw runs again after this (up to half as much again, spread): a scan during a database outage is kept. */
export const JOB_RETRY_MS = 2000;

/**
 * The scan queue. Per device at most one scan is queued and one running: a
 * request while one is queued changes nothing (but may raise its priority); a
 * request while one runs marks the device dirty for exactly one follow-up. A
 * burst of any size therefore costs at most two scans and misses nothing, and
 * the queue never holds more than a scan and a registration check per device.
 * Devices that time out or answer late run in the slow lane, so they never
 * hold the slots devices that answer need (ScanLanes). A device that stopped answering is not
 * scanned by the safety net: it is probed, as cheaply as SNMP allows, once per interval, and the
 * first answer brings a full scan at once, so its recovery is seen within one interval.
 *
 * A lead's notification scans the lead and each of its shadows (the units behind its address),
 * each under the same rule: a burst costs every one of them at most two scans. A shadow is lost
 * with its lead: it is not scanned or probed on its own while the lead is lost; when the lead
 * goes lost or comes back, its shadows are scanned at once (to be marked unreachable through it,
 * or to be read again).
 */
export class ScanScheduler {
  private readonly queue: ScanLanes;
  private readonly slots = new Map<number, Slot>();
  /** Shadows by lead, kept from the shadows' scheduling: a lead's notification reaches each. */
  private readonly shadows = new Map<number, Set<number>>();
  private readonly periodic: TimerHeap;
  private readonly verification: TimerHeap;

  constructor(private readonly deps: SchedulerDeps) {
    this.queue = new ScanLanes({ clock: deps.clock, concurrency: deps.concurrency });
    this.periodic = new TimerHeap(deps.clock, (id) => this.safetyNet(id));
    this.verification = new TimerHeap(deps.clock, (id) => this.requestRegistration(id));
  }

  start(): void {
    this.periodic.start();
    this.verification.start();
  }

  /** Stops timers, drops queued work, and waits up to `deadlineMs` for running scans. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.periodic.stop();
    this.verification.stop();
    this.queue.clear();
    for (const slot of this.slots.values()) {
      slot.queued = undefined;
      slot.dirty = undefined;
      slot.registrationQueued = false;
      slot.probeQueued = false;
    }
    if (this.queue.running === 0) return true;
    let timer: unknown;
    const finished = await Promise.race([
      this.queue.onIdle().then(() => true),
      new Promise<boolean>((resolve) => (timer = this.deps.clock.setTimeout(() => resolve(false), deadlineMs))),
    ]);
    this.deps.clock.clearTimeout(timer);
    return finished;
  }

  get queued(): number {
    return this.queue.queued;
  }

  get running(): number {
    return this.queue.running;
  }

  /** Queued and running work per lane (a running scan that overran counts as slow). */
  lanes(): Record<Lane, LaneCounts> {
    return this.queue.counts();
  }

  /** Starts scheduling a device: a first safety-net scan within one interval, spread so devices do not scan together. */
  addDevice(id: number, scheduling: DeviceScheduling): void {
    this.slots.set(id, { scheduling, running: false, registrationQueued: false, lost: false, probeQueued: false, lane: 'normal' });
    this.follow(id, undefined, scheduling.lead);
    this.periodic.schedule(id, this.deps.clock.now() + this.deps.random() * scheduling.intervalMs);
    if (scheduling.registered) this.requestRegistration(id);
  }

  updateDevice(id: number, scheduling: DeviceScheduling): void {
    const slot = this.slots.get(id);
    if (!slot) return this.addDevice(id, scheduling);
    const wasRegistered = slot.scheduling.registered;
    this.follow(id, slot.scheduling.lead, scheduling.lead);
    slot.scheduling = scheduling;
    this.periodic.schedule(id, this.deps.clock.now() + this.deps.random() * scheduling.intervalMs);
    if (scheduling.registered && !wasRegistered) this.requestRegistration(id);
    if (!scheduling.registered) this.verification.unschedule(id);
  }

  /**
   * A new safety-net interval alone (a faster cadence for the device's readings, or back to its
   * own): nothing else of the device changes. A scan queued or running restarts the interval when
   * it ends; otherwise a shorter interval starts now, spread like a new device's first scan.
   */
  setInterval(id: number, intervalMs: number): void {
    const slot = this.slots.get(id);
    if (!slot || slot.scheduling.intervalMs === intervalMs) return;
    const shorter = intervalMs < slot.scheduling.intervalMs;
    slot.scheduling = { ...slot.scheduling, intervalMs };
    if (shorter && !slot.queued && !slot.running) this.periodic.schedule(id, this.deps.clock.now() + this.deps.random() * intervalMs);
  }

  /** Forgets a device; a scan already running finishes, nothing else of it runs. */
  removeDevice(id: number): void {
    this.follow(id, this.slots.get(id)?.scheduling.lead, undefined);
    this.slots.delete(id);
    this.queue.remove(scanKey(id));
    this.queue.remove(registrationKey(id));
    this.queue.remove(probeKey(id));
    this.periodic.unschedule(id);
    this.verification.unschedule(id);
  }

  has(id: number): boolean {
    return this.slots.has(id);
  }

  /** A scan of the device; a notification (`trap`) from a lead scans its shadows too. Returns what became of the device's own. */
  requestScan(id: number, trigger: ScanTrigger, requestedAt = this.deps.clock.now()): RequestResult {
    const slot = this.slots.get(id);
    const result = slot ? this.coalesce(id, slot, { trigger, requestedAt }) : 'unknown-device';
    this.deps.observer?.scanRequested(trigger, result);
    // The notification may concern any unit behind the lead's address: nothing in it says which.
    if (trigger === 'trap' && slot) this.scanShadows(id, { trigger, requestedAt });
    return result;
  }

  /** Each shadow of the lead gets the request, coalesced like any other. */
  private scanShadows(leadId: number, request: ScanRequest): void {
    for (const shadowId of this.shadows.get(leadId) ?? []) {
      const shadow = this.slots.get(shadowId);
      if (!shadow) continue;
      // Not inside the observer call: without an observer, `?.` would skip the request itself.
      const result = this.coalesce(shadowId, shadow, { ...request });
      this.deps.observer?.scanRequested(request.trigger, result);
    }
  }

  /** Keeps the shadows-by-lead map in step with a device's lead (undefined: none). */
  private follow(id: number, before: number | undefined, after: number | undefined): void {
    if (before === after) return;
    if (before !== undefined) {
      const set = this.shadows.get(before);
      set?.delete(id);
      if (set?.size === 0) this.shadows.delete(before);
    }
    if (after !== undefined) {
      let set = this.shadows.get(after);
      if (!set) this.shadows.set(after, (set = new Set()));
      set.add(id);
    }
  }

  /** A shadow whose lead is lost: the lead's probe stands for it. */
  private lostWithLead(slot: Slot): boolean {
    const lead = slot.scheduling.lead;
    return lead !== undefined && this.slots.get(lead)?.lost === true;
  }

  /** Queues a registration check (write, verify or repair), then a scan. */
  requestRegistration(id: number): void {
    const slot = this.slots.get(id);
    if (!slot || slot.registrationQueued || !slot.scheduling.registered) return;
    slot.registrationQueued = true;
    this.enqueue(slot, registrationKey(id), PRIORITY.register, async () => {
      slot.registrationQueued = false;
      if (this.slots.get(id) !== slot) return;
      try {
        await this.deps.register(id);
      } catch (error) {
        this.deps.onJobFailed?.('registration', id, error);
        if (this.slots.get(id) === slot) this.verification.schedule(id, this.retryAt());
        return;
      }
      if (this.slots.get(id) !== slot) return;
      const hour = this.deps.registrationIntervalMs;
      this.verification.schedule(id, this.deps.clock.now() + hour * (1 - JITTER + 2 * JITTER * this.deps.random()));
      this.requestScan(id, 'registration');
    });
  }

  /** The safety net came due: a scan, or for a lost device a probe. */
  private safetyNet(id: number): void {
    const slot = this.slots.get(id);
    if (slot?.deferred) {
      const { trigger, requestedAt } = slot.deferred;
      slot.deferred = undefined;
      this.requestScan(id, trigger, requestedAt);
    } else if (slot && this.lostWithLead(slot)) this.scheduleSafetyNet(id, slot);
    else if (slot?.lost) this.requestProbe(id, slot);
    else this.requestScan(id, 'periodic');
  }

  /**
   * A lost device's safety net: one GET with no retries costs a dead device one datagram and one
   * timeout, where a scan costs a timeout per retry; an answer brings the scan at once.
   */
  private requestProbe(id: number, slot: Slot): void {
    // A scan queued or running asks the same question (and reschedules the safety net when done).
    if (slot.probeQueued || slot.queued || slot.running) return;
    slot.probeQueued = true;
    this.enqueue(slot, probeKey(id), PRIORITY.probe, async () => {
      slot.probeQueued = false;
      if (this.slots.get(id) !== slot || !slot.lost) return;
      let answered: boolean;
      try {
        answered = await this.deps.probe(id);
      } catch (error) {
        this.deps.onJobFailed?.('probe', id, error);
        if (this.slots.get(id) === slot) this.periodic.schedule(id, this.retryAt());
        return;
      }
      if (this.slots.get(id) !== slot) return;
      this.deps.observer?.probed?.(answered);
      if (!answered) this.scheduleSafetyNet(id, slot);
      else if (slot.lost && !slot.queued && !slot.running) this.requestScan(id, 'periodic');
    });
  }

  private coalesce(id: number, slot: Slot, request: ScanRequest): RequestResult {
    if (slot.queued) {
      if (PRIORITY[request.trigger] > PRIORITY[slot.queued.trigger]) {
        slot.queued.trigger = request.trigger;
        this.queue.raise(scanKey(id), PRIORITY[request.trigger]);
      }
      return 'coalesced';
    }
    if (slot.running) {
      if (slot.dirty) {
        if (PRIORITY[request.trigger] > PRIORITY[slot.dirty.trigger]) slot.dirty.trigger = request.trigger;
        return 'coalesced';
      }
      slot.dirty = { ...request };
      return 'follow-up';
    }
    this.queueScan(id, slot, { ...request });
    return 'queued';
  }

  private queueScan(id: number, slot: Slot, request: ScanRequest): void {
    slot.queued = request;
    this.enqueue(slot, scanKey(id), PRIORITY[request.trigger], async () => {
      const current = slot.queued;
      slot.queued = undefined;
      if (!current || this.slots.get(id) !== slot) return;
      slot.running = true;
      const started = this.deps.clock.now();
      let outcome: ScanOutcome;
      try {
        outcome = await this.deps.scan(id, current);
      } catch (error) {
        slot.running = false;
        this.deps.onJobFailed?.('scan', id, error);
        this.deferScan(id, slot, current);
        return;
      }
      slot.running = false;
      this.afterScan(id, slot, { outcome, durationMs: this.deps.clock.now() - started, request: current });
    });
  }

  /** A scan that threw says nothing of the device: its request (or a follow-up of higher priority) is asked again later. */
  private deferScan(id: number, slot: Slot, request: ScanRequest): void {
    if (this.slots.get(id) !== slot) return;
    const dirty = slot.dirty;
    slot.dirty = undefined;
    const kept = dirty && PRIORITY[dirty.trigger] > PRIORITY[request.trigger] ? { ...dirty, requestedAt: Math.min(dirty.requestedAt, request.requestedAt) } : request;
    slot.deferred = slot.deferred && PRIORITY[slot.deferred.trigger] > PRIORITY[kept.trigger] ? slot.deferred : kept;
    this.periodic.schedule(id, this.retryAt());
  }

  private retryAt(): number {
    return this.deps.clock.now() + JOB_RETRY_MS * (1 + 0.5 * this.deps.random());
  }

  private afterScan(id: number, slot: Slot, scan: { outcome: ScanOutcome; durationMs: number; request: ScanRequest }): void {
    const { outcome, durationMs, request } = scan;
    if (this.slots.get(id) !== slot) return;
    slot.deferred = undefined; // this scan read the device after any deferred request
    const wasLost = slot.lost;
    slot.lost = !outcome.reachable;
    this.followLead(slot, outcome, request);
    // A lead that went lost or came back: its shadows follow it now, not at their next safety net.
    if (wasLost !== slot.lost) this.scanShadows(id, request);
    if (!slot.lost && slot.probeQueued) {
      this.queue.remove(probeKey(id));
      slot.probeQueued = false;
    }
    const lane: Lane = outcome.reachable && durationMs <= slot.scheduling.timeoutMs ? 'normal' : 'slow';
    if (lane === 'normal') slot.lastScanMs = durationMs;
    if (lane !== slot.lane) {
      slot.lane = lane;
      this.queue.move(scanKey(id), lane);
      this.queue.move(registrationKey(id), lane);
    }
    // Any completed scan restarts the safety-net interval (for a lost device: its probes).
    this.scheduleSafetyNet(id, slot);
    const dirty = slot.dirty;
    slot.dirty = undefined;
    if (dirty) this.queueScan(id, slot, dirty);
  }

  /** A shadow found its lead's address silent before the lead's own scan did: that scan decides, now. */
  private followLead(slot: Slot, outcome: ScanOutcome, request: ScanRequest): void {
    const leadId = slot.scheduling.lead;
    const lead = leadId === undefined ? undefined : this.slots.get(leadId);
    // The lead alone: its shadows are asked when it is found lost.
    if (outcome.leadUnreachable && lead && !lead.lost) this.coalesce(leadId!, lead, { ...request });
  }

  private scheduleSafetyNet(id: number, slot: Slot): void {
    const interval = slot.scheduling.intervalMs;
    this.periodic.schedule(id, this.deps.clock.now() + interval * (1 - JITTER * this.deps.random()));
  }

  private enqueue(slot: Slot, key: string, priority: number, run: () => Promise<void>): void {
    const { timeoutMs } = slot.scheduling;
    const overdueAfterMs = slot.lastScanMs === undefined ? timeoutMs : Math.min(timeoutMs, Math.max(MIN_OVERRUN_MS, OVERRUN_FACTOR * slot.lastScanMs));
    this.queue.add({ key, priority, lane: slot.lane, overdueAfterMs, run });
  }
}

const scanKey = (id: number) => `scan:${id}`;
const registrationKey = (id: number) => `register:${id}`;
const probeKey = (id: number) => `probe:${id}`;
