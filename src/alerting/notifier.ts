import type { AlarmEventBus } from '../alarms/events.js';
import { covers, deviceSite, effectiveEnd, holdOf, type Hold, type MaintenanceWindow } from '../alarms/maintenance.js';
import type { ActiveAlarm, AlarmEvent } from '../alarms/model.js';
import type { Clock } from '../clock.js';
import { alarmIdentity } from './alerts.js';
import type { AlertingLog } from './delivery-engine.js';
import type { AlarmNotification, AlarmSink } from './sink.js';

/** Counts for metrics: events kept from the sinks by maintenance, and alarms sent when it ended. */
export interface MaintenanceObserver {
  held(events: number): void;
  released(alarms: number): void;
}

/** What a window's scope is matched against (the site is read through deviceSite). */
export interface ScopedDevice {
  id: number;
  profile: string;
  resolvedProfile: string | null;
}

export interface AlarmNotifierDeps {
  bus: Pick<AlarmEventBus, 'subscribe'>;
  /** Started in order before events flow, stopped in reverse. */
  sinks: readonly AlarmSink[];
  alarms: { active(): readonly ActiveAlarm[]; lastRaise(deviceId: number, key: string): AlarmEvent | undefined };
  devices: { get(id: number): ScopedDevice | undefined };
  windows: { endingAfterTime(at: number): MaintenanceWindow[]; markReleased(ids: readonly number[], at: number): void };
  clock: Clock;
  log: AlertingLog;
  observer?: MaintenanceObserver;
}

interface HeldAlarm {
  deviceId: number;
  key: string;
  raisedAt: number;
  hold: Hold;
}

/** Node fires a longer timeout at once: a window's end further out is reached in steps. */
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;
/** A release the store could not serve (PostgreSQL down) is tried again after this. */
export const RELEASE_RETRY_MS = 10_000;

/**
 * Between the alarm bus and the notification sinks: every event goes on to every sink, except the
 * raise of an alarm inside a maintenance window, and whatever follows it (ack, unack, clear) while
 * the maintenance lasts. When it ends, each alarm it held that is still active is sent then, as
 * its original raise. Which alarms are held is worked out again from the store at start, so
 * maintenance that ended while priscan was down releases its alarms at the next start; a window
 * records its release, so they are not sent twice.
 */
export class AlarmNotifier {
  readonly name = 'notifier';
  private held = new Map<string, HeldAlarm>();
  /** Windows that may hold an alarm: not ended before the oldest held raise (refreshed on every change). */
  private windows: MaintenanceWindow[] = [];
  private unsubscribe: (() => void) | undefined;
  private timer: unknown;
  private running = false;

  constructor(private readonly deps: AlarmNotifierDeps) {}

  /** Alarms held back right now. */
  get heldCount(): number {
    return this.held.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Before the sinks start: Alertmanager's first resend must already leave held alarms out.
    this.rebuild(this.deps.clock.now());
    for (const sink of this.deps.sinks) await sink.start();
    this.unsubscribe = this.deps.bus.subscribe((events) => this.onEvents(events));
    this.running = true;
    this.releaseDue();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const sink of [...this.deps.sinks].reverse()) {
      await sink.stop().catch((error: unknown) => this.deps.log.warn({ sink: sink.name, err: error }, 'notification sink failed to stop'));
    }
  }

  /** The window holding this alarm back from notification, if one is. */
  holdOf(alarm: Pick<ActiveAlarm, 'deviceId' | 'key' | 'raisedAt'>): { windowId: number } | undefined {
    const held = this.held.get(alarmIdentity(alarm.deviceId, alarm.key));
    return held && held.raisedAt === alarm.raisedAt ? { windowId: held.hold.windowId } : undefined;
  }

  /** The active alarms sinks may show as firing (Alertmanager's periodic resend). */
  notifiable(): ActiveAlarm[] {
    return this.deps.alarms.active().filter((alarm) => this.holdOf(alarm) === undefined);
  }

  /** A window was added or ended: holds are worked out again, and what is due is sent now. */
  maintenanceChanged(): void {
    if (this.running) this.releaseDue();
  }

  /** The held set from the store: active alarms raised inside maintenance whose release is still to be done. */
  private rebuild(now: number): void {
    this.held.clear();
    const active = this.deps.alarms.active();
    this.windows = this.deps.windows.endingAfterTime(earliest(now, active));
    if (this.windows.length === 0) return;
    const released = new Set(this.windows.filter((w) => w.releasedAt !== null).map((w) => w.id));
    for (const alarm of active) {
      const hold = this.holdFor(alarm.deviceId, alarm.raisedAt, now);
      // Over, and its end was already dealt with: the alarm was sent then.
      if (!hold || (hold.until <= now && released.has(hold.endingWindowId))) continue;
      this.held.set(alarmIdentity(alarm.deviceId, alarm.key), { deviceId: alarm.deviceId, key: alarm.key, raisedAt: alarm.raisedAt, hold });
    }
  }

  private holdFor(deviceId: number, raisedAt: number, now: number): Hold | undefined {
    const device = this.deps.devices.get(deviceId);
    if (!device) return undefined;
    const scoped = { id: device.id, profile: device.profile, resolvedProfile: device.resolvedProfile, site: deviceSite(device) };
    return holdOf(raisedAt, this.windows.filter((w) => covers(w, scoped)), now);
  }

  private onEvents(events: readonly AlarmEvent[]): void {
    const now = this.deps.clock.now();
    const passed: AlarmNotification[] = [];
    let held = 0;
    let newlyHeld = false;
    for (const event of events) {
      const id = alarmIdentity(event.deviceId, event.key);
      if (event.kind === 'raise') {
        const hold = this.windows.length > 0 ? this.holdFor(event.deviceId, event.at, now) : undefined;
        if (hold) {
          this.held.set(id, { deviceId: event.deviceId, key: event.key, raisedAt: event.at, hold });
          held += 1;
          newlyHeld = true;
          continue;
        }
        this.held.delete(id);
      } else if (this.held.has(id)) {
        // The sinks never heard of the raise: its acknowledgements and its clear are not theirs either.
        if (event.kind === 'clear') this.held.delete(id);
        held += 1;
        continue;
      }
      passed.push(event);
    }
    if (held > 0) this.deps.observer?.held(held);
    if (passed.length > 0) this.toSinks(passed);
    if (newlyHeld) this.schedule(now);
  }

  /** Sends the held alarms whose maintenance is over, marks ended windows released, and sets the next timer. */
  private releaseDue(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.deps.clock.now();
    this.windows = this.deps.windows.endingAfterTime(earliest(now, this.held.values()));
    const due: HeldAlarm[] = [];
    for (const [id, entry] of this.held) {
      // A window added since may continue the maintenance; one ended early shortens it; a device
      // moved out of every window's scope is no longer held.
      entry.hold = this.holdFor(entry.deviceId, entry.raisedAt, now) ?? { ...entry.hold, until: now };
      if (entry.hold.until > now) continue;
      due.push(entry);
      this.held.delete(id);
    }
    if (due.length > 0) this.release(due);
    const ended = this.windows.filter((w) => w.releasedAt === null && effectiveEnd(w) <= now);
    if (ended.length > 0) {
      this.deps.windows.markReleased(ended.map((w) => w.id), now);
      for (const w of ended) w.releasedAt = now;
    }
    this.schedule(now);
  }

  /** Sends each alarm still active as the raise that was held back. */
  private release(due: readonly HeldAlarm[]): void {
    const active = new Map(this.deps.alarms.active().map((a) => [alarmIdentity(a.deviceId, a.key), a.raisedAt]));
    const released: AlarmNotification[] = [];
    for (const entry of due) {
      if (active.get(alarmIdentity(entry.deviceId, entry.key)) !== entry.raisedAt) continue;
      const raise = this.deps.alarms.lastRaise(entry.deviceId, entry.key);
      if (raise?.at === entry.raisedAt) released.push({ ...raise, releasedFrom: { windowId: entry.hold.endingWindowId } });
    }
    if (released.length === 0) return;
    this.deps.log.info({ alarms: released.length }, 'maintenance ended: sending the alarms it held back');
    this.deps.observer?.released(released.length);
    this.toSinks(released);
  }

  private schedule(now: number): void {
    this.deps.clock.clearTimeout(this.timer);
    let next = Infinity;
    for (const entry of this.held.values()) next = Math.min(next, entry.hold.until);
    for (const w of this.windows) if (w.releasedAt === null) next = Math.min(next, effectiveEnd(w));
    this.timer = next === Infinity ? undefined : this.deps.clock.setTimeout(() => this.releaseDueFromTimer(), Math.min(MAX_TIMER_MS, Math.max(0, next - now)));
  }

  /**
   * A window's end, on a timer: a store that cannot be read now (PostgreSQL down) must not end the
   * process (an exception in a timer would); the alarms stay held and the release is tried again.
   */
  private releaseDueFromTimer(): void {
    try {
      this.releaseDue();
    } catch (error) {
      this.deps.log.warn({ err: error, retryInMs: RELEASE_RETRY_MS }, 'cannot release alarms held by maintenance now; will retry');
      if (this.running) this.timer = this.deps.clock.setTimeout(() => this.releaseDueFromTimer(), RELEASE_RETRY_MS);
    }
  }

  private toSinks(events: readonly AlarmNotification[]): void {
    for (const sink of this.deps.sinks) {
      try {
        sink.deliver(events);
      } catch (error) {
        this.deps.log.warn({ sink: sink.name, err: error }, 'notification sink refused events');
      }
    }
  }
}

/** The earliest of `now` and the alarms' raise times: windows ending before it hold none of them. */
function earliest(now: number, alarms: Iterable<{ raisedAt: number }>): number {
  let at = now;
  for (const alarm of alarms) at = Math.min(at, alarm.raisedAt);
  return at;
}
