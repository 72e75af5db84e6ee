// The daemon's side of cluster mode with a fake coordinator: notifications for owned devices are
// handled here, others forwarded to the owner; a forward that fails (PostgreSQL away) is kept and
// retried, never dropped; notifications forwarded to us are handled as if received directly.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterMembership } from '../../src/app/cluster-membership.js';
import type { ClusterCoordinator } from '../../src/cluster/coordinator.js';
import { ClusterError } from '../../src/cluster/errors.js';
import { shardOf } from '../../src/cluster/shards.js';
import type { AcceptedNotification } from '../../src/traps/intake.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** `leads`: shadow id -> its lead's id. */
function setUp(owned: Set<number>, leads = new Map<number, number>(), more: { syncShared?: () => void; log?: pino.Logger } = {}) {
  const clock = new FakeClock();
  const forwarded: Array<{ deviceId: number; payload: unknown }> = [];
  const handled: AcceptedNotification[] = [];
  let reachable = true;
  const coordinator = Object.assign(new EventEmitter(), {
    start: async () => undefined,
    stop: async () => undefined,
    claimFor: (id: number) => (owned.has(id) ? { shard: shardOf(id), epoch: 7 } : undefined),
    forward: async (deviceId: number, payload: unknown) => {
      if (!reachable) throw new ClusterError('CLUSTER_UNAVAILABLE', 'PostgreSQL is unavailable');
      forwarded.push({ deviceId, payload });
      return { id: forwarded.length, shard: shardOf(deviceId) };
    },
    collectors: async () => [],
    leasesUnlocked: async () => undefined,
  }) as unknown as ClusterCoordinator;
  const membership = new ClusterMembership({
    coordinator,
    devices: { ownershipChanged: () => ({ tracked: 0, untracked: 0 }), syncShared: more.syncShared ?? (() => undefined), shardDeviceOf: (id) => leads.get(id) ?? id },
    licenses: { refresh: () => false },
    scheduled: (id) => owned.has(id),
    handle: (n) => void handled.push(n),
    collectorId: 'c1',
    notifyAddr: '127.0.151.11:162',
    clock,
    log: more.log ?? pino({ level: 'silent' }),
    syncMs: 1000,
  });
  return { clock, membership, forwarded, handled, setReachable: (r: boolean) => (reachable = r) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ClusterMembership', () => {
  it('says once that the shared devices cannot be read while PostgreSQL is down, and once that they can again', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    let down = true;
    const syncShared = () => {
      if (down) throw new Error('PostgreSQL is unavailable');
    };
    const { clock, membership } = setUp(new Set(), new Map(), { syncShared, log });
    await membership.start();
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await settle();
    }
    down = false;
    clock.advance(1000);
    await settle();
    clock.advance(1000);
    await settle();
    const about = lines.filter((l) => l.msg.includes('shared devices'));
    expect(about.map((l) => l.level)).toEqual([40, 30]);
    await membership.stop();
  });

  it('handles notifications of owned devices here and forwards the rest to their owner', async () => {
    const { membership, forwarded, handled } = setUp(new Set([1]));
    await membership.start();
    membership.notification({ deviceId: 1, restart: false, receivedAt: 10 });
    membership.notification({ deviceId: 2, restart: true, receivedAt: 11 });
    await settle();
    expect(handled).toEqual([{ deviceId: 1, restart: false, receivedAt: 10 }]);
    expect(forwarded).toEqual([{ deviceId: 2, payload: { restart: true, receivedAt: 11 } }]);
    expect(membership.view).toMatchObject({ collectorId: 'c1' });
    expect([membership.view.ownsDevice(1), membership.view.ownsDevice(2)]).toEqual([true, false]);
    expect(membership.fenceFor(1)).toEqual({ shard: shardOf(1), epoch: 7 });
    await membership.stop();
  });

  it('a shadow lives in its lead\'s shard: owned, fenced and shown with the lead', async () => {
    // 12 is a shadow of 4: the collector owning 4 gets the chain's notifications and scans 12 too.
    const { membership } = setUp(new Set([4]), new Map([[12, 4]]));
    expect(membership.owns(12)).toBe(true);
    expect(membership.fenceFor(12)).toEqual({ shard: shardOf(4), epoch: 7 });
    expect(membership.view.ownsDevice(12)).toBe(true);
    const elsewhere = setUp(new Set([12]), new Map([[12, 4]]));
    expect(elsewhere.membership.owns(12)).toBe(false);
  });

  it('keeps a notification it could not forward and forwards it on the next sync', async () => {
    const { clock, membership, forwarded, setReachable } = setUp(new Set());
    await membership.start();
    setReachable(false);
    membership.notification({ deviceId: 5, restart: false, receivedAt: 20 });
    await settle();
    expect(forwarded).toEqual([]);
    setReachable(true);
    clock.advance(1000);
    await settle();
    expect(forwarded).toEqual([{ deviceId: 5, payload: { restart: false, receivedAt: 20 } }]);
    await membership.stop();
  });

  it('handles forwarded notifications as if received here', async () => {
    const { membership, handled } = setUp(new Set([3]));
    membership.deliver([{ id: 1, deviceId: 3, shard: shardOf(3), epoch: 7, payload: { restart: true, receivedAt: 30 }, receivedAt: new Date(31), receivedBy: 'c2' }]);
    expect(handled).toEqual([{ deviceId: 3, restart: true, receivedAt: 30 }]);
  });
});
