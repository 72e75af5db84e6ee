// The notifier between the alarm bus and the sinks, on a fake clock and an in-memory store:
// alarms raised in maintenance are held back (with what follows them), sent when the maintenance
// ends (a timer, an early end, or the next start for windows that ended while priscan was down),
// and never twice.
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmEventBus } from '../../src/alarms/events.js';
import type { MaintenanceScope } from '../../src/alarms/maintenance.js';
import type { Alarm, AlarmEvent } from '../../src/alarms/model.js';
import { AlarmNotifier, RELEASE_RETRY_MS } from '../../src/alerting/notifier.js';
import type { AlarmNotification, AlarmSink } from '../../src/alerting/sink.js';
import { StoreError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';

const MINUTE = 60_000;
const silent = { warn: () => undefined, info: () => undefined };
const alarm = (code: string): Alarm => ({ key: `sim:${code}`, severity: 'critical', code, description: `alarm ${code}` });

class RecordingSink implements AlarmSink {
  readonly name = 'recording';
  received: AlarmNotification[] = [];
  started = 0;
  start(): void {
    this.started += 1;
  }
  async stop(): Promise<void> {}
  deliver(events: readonly AlarmNotification[]): void {
    this.received.push(...events);
  }
  /** What reached the sink, as `kind code` (and the window of a late raise). */
  seen(): string[] {
    return this.received.map((e) => `${e.kind} ${e.code}${e.releasedFrom ? ` (window ${e.releasedFrom.windowId})` : ''}`);
  }
}

const opened: Array<{ notifier: AlarmNotifier; store: SqliteStore }> = [];
afterEach(async () => {
  for (const { notifier, store } of opened.splice(0)) {
    await notifier.stop();
    store.close();
  }
});

function setup(store = SqliteStore.open(':memory:', new FakeClock()), clock = new FakeClock()) {
  const bus = new AlarmEventBus((error) => {
    throw error;
  });
  const sink = new RecordingSink();
  const held: number[] = [];
  const released: number[] = [];
  const notifier = new AlarmNotifier({
    bus,
    sinks: [sink],
    alarms: store.alarms,
    devices: store.devices,
    windows: store.maintenance,
    clock,
    log: silent,
    observer: { held: (n) => held.push(n), released: (n) => released.push(n) },
  });
  opened.push({ notifier, store });
  const ups = store.devices.get(1) ?? store.devices.insert(newDevice({ name: 'ups-1', address: '127.0.235.1', profile: 'apc-ups' }));
  const pdu = store.devices.get(2) ?? store.devices.insert(newDevice({ name: 'pdu-1', address: '127.0.235.2', profile: 'apc-rpdu' }));
  const publish = (events: AlarmEvent[]) => bus.publish(events, { trigger: 'trap', requestedAt: clock.now(), storedAt: clock.now() });
  const raise = (deviceId: number, code: string) => publish([store.alarms.raise(deviceId, alarm(code), clock.now())!]);
  const clear = (deviceId: number, code: string) => publish([store.alarms.clear(deviceId, `sim:${code}`, clock.now())!]);
  const ack = (deviceId: number, code: string) => {
    const outcome = store.alarms.acknowledge({ deviceId, key: `sim:${code}`, by: 'ops', at: clock.now(), comment: 'seen' });
    if (!outcome.ok) throw new Error(outcome.why);
    publish([outcome.event]);
  };
  const maintain = (scope: MaintenanceScope, minutes: number, startsIn = 0) => {
    const now = clock.now();
    const w = store.maintenance.create({ startsAt: now + startsIn * MINUTE, endsAt: now + (startsIn + minutes) * MINUTE, reason: 'battery test', scope, createdBy: 'ops', createdAt: now });
    notifier.maintenanceChanged();
    return w;
  };
  return { store, clock, bus, sink, notifier, ups, pdu, raise, clear, ack, maintain, held, released };
}

describe('AlarmNotifier', () => {
  it('survives a store it cannot read when a window ends (PostgreSQL down): the alarm stays held and is sent once the store answers', async () => {
    const h = setup();
    await h.notifier.start();
    const w = h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 30);
    h.raise(h.ups.id, 'ups.onBattery');
    const endingAfterTime = h.store.maintenance.endingAfterTime.bind(h.store.maintenance);
    let down = true;
    h.store.maintenance.endingAfterTime = (at: number) => {
      if (down) throw new StoreError('STORE_UNAVAILABLE', 'PostgreSQL is unavailable');
      return endingAfterTime(at);
    };
    // Before: the timer's exception escaped (in the daemon, an uncaught exception ends the process).
    expect(() => h.clock.advance(30 * MINUTE)).not.toThrow();
    expect(h.sink.seen()).toEqual([]);
    expect(h.notifier.heldCount).toBe(1);
    down = false;
    h.clock.advance(RELEASE_RETRY_MS);
    expect(h.sink.seen()).toEqual([`raise ups.onBattery (window ${w.id})`]);
  });

  it('passes every event on to the sinks when no maintenance runs', async () => {
    const h = setup();
    await h.notifier.start();
    h.raise(h.ups.id, 'ups.onBattery');
    h.ack(h.ups.id, 'ups.onBattery');
    h.clear(h.ups.id, 'ups.onBattery');
    expect(h.sink.seen()).toEqual(['raise ups.onBattery', 'ack ups.onBattery', 'clear ups.onBattery']);
    expect(h.held).toEqual([]);
  });

  it('holds back an alarm raised in a window, and its ack, and sends its raise when the window ends', async () => {
    const h = setup();
    await h.notifier.start();
    const w = h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 30);
    h.raise(h.ups.id, 'ups.onBattery');
    h.ack(h.ups.id, 'ups.onBattery');
    h.raise(h.pdu.id, 'pdu.overload'); // not in the window
    expect(h.sink.seen()).toEqual(['raise pdu.overload']);
    expect(h.notifier.holdOf(h.store.alarms.activeAlarm(h.ups.id, 'sim:ups.onBattery')!)).toEqual({ windowId: w.id });
    expect(h.notifier.notifiable().map((a) => a.code)).toEqual(['pdu.overload']);
    expect(h.held).toEqual([1, 1]);

    h.clock.advance(30 * MINUTE - 1);
    expect(h.sink.seen()).toHaveLength(1);
    h.clock.advance(1);
    const raisedEvent = h.store.alarms.events(0, 10).find((e) => e.kind === 'raise' && e.code === 'ups.onBattery')!;
    expect(h.sink.seen()).toEqual(['raise pdu.overload', `raise ups.onBattery (window ${w.id})`]);
    // The original raise: its id and time, so a receiver can tell it from anything else.
    expect(h.sink.received[1]).toMatchObject({ id: raisedEvent.id, at: raisedEvent.at });
    expect(h.released).toEqual([1]);
    expect(h.notifier.heldCount).toBe(0);
    expect(h.store.maintenance.get(w.id)!.releasedAt).toBe(h.clock.now());
    // Held no more: what follows goes on as usual.
    h.clear(h.ups.id, 'ups.onBattery');
    expect(h.sink.seen().at(-1)).toBe('clear ups.onBattery');
  });

  it('never tells the sinks of an alarm raised and cleared inside a window', async () => {
    const h = setup();
    await h.notifier.start();
    h.maintain({ kind: 'profile', profile: 'apc-ups' }, 10);
    h.raise(h.ups.id, 'ups.onBattery');
    h.clear(h.ups.id, 'ups.onBattery');
    h.clock.advance(20 * MINUTE);
    expect(h.sink.seen()).toEqual([]);
    expect(h.released).toEqual([]);
  });

  it('keeps sending what was raised before the window, including its clear during it', async () => {
    const h = setup();
    await h.notifier.start();
    h.raise(h.ups.id, 'ups.onBattery');
    h.clock.advance(MINUTE);
    h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 10);
    h.ack(h.ups.id, 'ups.onBattery');
    h.clear(h.ups.id, 'ups.onBattery');
    expect(h.sink.seen()).toEqual(['raise ups.onBattery', 'ack ups.onBattery', 'clear ups.onBattery']);
  });

  it('sends at once when an admin ends the window early', async () => {
    const h = setup();
    await h.notifier.start();
    const w = h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 60);
    h.raise(h.ups.id, 'ups.onBattery');
    h.clock.advance(5 * MINUTE);
    expect(h.store.maintenance.end(w.id, h.clock.now())).toBe(true);
    h.notifier.maintenanceChanged();
    expect(h.sink.seen()).toEqual([`raise ups.onBattery (window ${w.id})`]);
    h.clock.advance(60 * MINUTE);
    expect(h.sink.seen()).toHaveLength(1);
  });

  it('keeps holding while a window that continues the maintenance runs, and a scheduled one holds nothing yet', async () => {
    const h = setup();
    await h.notifier.start();
    const first = h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 10);
    const next = h.maintain({ kind: 'profile', profile: 'apc-ups' }, 20, 5); // from minute 5 to 25
    h.raise(h.ups.id, 'ups.onBattery');
    h.clock.advance(10 * MINUTE);
    expect(h.sink.seen()).toEqual([]);
    expect(h.notifier.holdOf(h.store.alarms.activeAlarm(h.ups.id, 'sim:ups.onBattery')!)).toEqual({ windowId: next.id });
    expect(h.store.maintenance.get(first.id)!.releasedAt).not.toBeNull();
    h.clock.advance(15 * MINUTE);
    expect(h.sink.seen()).toEqual([`raise ups.onBattery (window ${next.id})`]);

    // Scheduled an hour out: an alarm raised now is sent now.
    h.maintain({ kind: 'devices', deviceIds: [h.pdu.id] }, 10, 60);
    h.raise(h.pdu.id, 'pdu.overload');
    expect(h.sink.seen().at(-1)).toBe('raise pdu.overload');
  });

  it('reaches the end of a long window in steps (Node fires a timer over 2^31-1 ms at once)', async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (callback, ms) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    };
    const h = setup(undefined, clock);
    await h.notifier.start();
    const w = h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 40 * 24 * 60);
    h.raise(h.ups.id, 'ups.onBattery');
    h.clock.advance(40 * 24 * 60 * MINUTE - 1);
    expect(h.sink.seen()).toEqual([]);
    h.clock.advance(1);
    expect(h.sink.seen()).toEqual([`raise ups.onBattery (window ${w.id})`]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('after a restart: holds what is still in maintenance, sends what a window that ended meanwhile held, once', async () => {
    const first = setup();
    await first.notifier.start();
    const short = first.maintain({ kind: 'devices', deviceIds: [first.ups.id] }, 10);
    const long = first.maintain({ kind: 'devices', deviceIds: [first.pdu.id] }, 120);
    first.raise(first.ups.id, 'ups.onBattery');
    first.raise(first.pdu.id, 'pdu.overload');
    expect(first.sink.seen()).toEqual([]);
    // priscan stops; 30 minutes pass; it starts again on the same database.
    await first.notifier.stop();
    first.clock.advance(30 * MINUTE);
    opened.splice(0);
    const second = setup(first.store, first.clock);
    await second.notifier.start();
    expect(second.sink.seen()).toEqual([`raise ups.onBattery (window ${short.id})`]);
    expect(second.notifier.holdOf(second.store.alarms.activeAlarm(second.pdu.id, 'sim:pdu.overload')!)).toEqual({ windowId: long.id });
    expect(second.store.maintenance.get(short.id)!.releasedAt).not.toBeNull();
    // And again: nothing is sent twice.
    await second.notifier.stop();
    opened.splice(0);
    const third = setup(first.store, first.clock);
    await third.notifier.start();
    expect(third.sink.seen()).toEqual([]);
    third.clock.advance(90 * MINUTE);
    expect(third.sink.seen()).toEqual([`raise pdu.overload (window ${long.id})`]);
  });

  it('scopes by site through the device accessor (a store whose devices have sites, faked)', async () => {
    const h = setup();
    // Main's device records have no site: this stands in for one from the branch that adds it.
    const sites = new Map([[h.ups.id, 'dc-east'], [h.pdu.id, 'dc-west']]);
    const devices = { get: (id: number) => { const d = h.store.devices.get(id); return d && { ...d, site: sites.get(id) ?? null }; } };
    const notifier = new AlarmNotifier({ bus: h.bus, sinks: [h.sink], alarms: h.store.alarms, devices, windows: h.store.maintenance, clock: h.clock, log: silent });
    opened.push({ notifier, store: SqliteStore.open(':memory:', h.clock) });
    await notifier.start();
    h.store.maintenance.create({ startsAt: h.clock.now(), endsAt: h.clock.now() + MINUTE, reason: 'site work', scope: { kind: 'site', site: 'dc-east' }, createdBy: 'ops', createdAt: h.clock.now() });
    notifier.maintenanceChanged();
    h.raise(h.ups.id, 'ups.onBattery');
    h.raise(h.pdu.id, 'pdu.overload');
    expect(h.sink.seen()).toEqual(['raise pdu.overload']);
    h.clock.advance(MINUTE);
    expect(h.sink.seen()).toEqual(['raise pdu.overload', expect.stringMatching(/^raise ups\.onBattery \(window \d+\)$/)]);
  });

  it('starts its sinks before events flow, and leaves no timer behind when stopped', async () => {
    const h = setup();
    h.raise(h.ups.id, 'before-start');
    expect(h.sink.received).toEqual([]);
    await h.notifier.start();
    expect(h.sink.started).toBe(1);
    h.maintain({ kind: 'devices', deviceIds: [h.ups.id] }, 10);
    h.raise(h.ups.id, 'held');
    expect(h.clock.pendingTimers).toBe(1);
    await h.notifier.stop();
    expect(h.clock.pendingTimers).toBe(0);
    h.raise(h.pdu.id, 'after-stop');
    expect(h.sink.received).toEqual([]);
  });
});
