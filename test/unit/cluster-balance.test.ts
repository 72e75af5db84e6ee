// The pure parts of cluster coordination: the shard hash (an on-disk contract), the balance
// plan each collector computes per round, settings validation, and the Prometheus SD document.
import { describe, expect, it } from 'vitest';
import { planBalance, shardTargets, type BalanceInput } from '../../src/cluster/balance.js';
import { serviceDiscoveryDocument } from '../../src/cluster/discovery.js';
import type { CollectorInfo } from '../../src/cluster/leases.js';
import { clusterSettings, DEFAULT_CLUSTER_TIMING } from '../../src/cluster/settings.js';
import { fnv1a32, SHARD_COUNT, shardOf } from '../../src/cluster/shards.js';

describe('shardOf', () => {
  it('is FNV-1a 32-bit (the published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('folds the hash of the decimal id to 8 bits, so it never changes between versions', () => {
    for (const id of [0, 1, 42, 9_999, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const h = fnv1a32(String(id));
      expect(shardOf(id)).toBe(((h >>> 24) ^ (h >>> 16) ^ (h >>> 8) ^ h) & 0xff);
    }
  });

  it('spreads 30,000 sequential ids over all 256 shards within ±25 % of the mean', () => {
    const perShard = new Array<number>(SHARD_COUNT).fill(0);
    for (let id = 1; id <= 30_000; id++) perShard[shardOf(id)]! += 1;
    const mean = 30_000 / SHARD_COUNT;
    expect(Math.min(...perShard)).toBeGreaterThan(mean * 0.75);
    expect(Math.max(...perShard)).toBeLessThan(mean * 1.25);
  });

  it('refuses what is not a device id', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => shardOf(bad)).toThrow(RangeError);
  });
});

describe('shardTargets', () => {
  it('adds up to 256 and differs by at most one, the extra going to the lowest ids', () => {
    for (let n = 1; n <= 20; n++) {
      const ids = Array.from({ length: n }, (_, i) => `c${String(i).padStart(2, '0')}`);
      const targets = [...shardTargets(ids.slice().reverse(), SHARD_COUNT).entries()];
      expect(targets.reduce((sum, [, t]) => sum + t, 0)).toBe(SHARD_COUNT);
      expect(Math.max(...targets.map(([, t]) => t)) - Math.min(...targets.map(([, t]) => t))).toBeLessThanOrEqual(1);
    }
    expect(Object.fromEntries(shardTargets(['b', 'c', 'a'], SHARD_COUNT))).toEqual({ a: 86, b: 85, c: 85 });
  });
});

describe('planBalance', () => {
  const base = { shardCount: SHARD_COUNT, movesPerRound: 4, hysteresis: 2, freeOrphaned: 0, freeReleased: 0 };
  const load = (id: string, owned: number, settled = true) => ({ id, owned, settled });
  const cases: Array<{ name: string; input: BalanceInput; expected: { release: number; claimOrphaned: number; claimReleased: number } }> = [
    { name: 'a first collector takes every orphaned shard at once', input: { ...base, me: 'a', collectors: [load('a', 0, false)], freeOrphaned: 256 }, expected: { release: 0, claimOrphaned: 256, claimReleased: 0 } },
    { name: 'three starting together each take their target', input: { ...base, me: 'b', collectors: [load('a', 86), load('b', 0), load('c', 0)], freeOrphaned: 170 }, expected: { release: 0, claimOrphaned: 85, claimReleased: 0 } },
    { name: "a dead peer's shards are taken at once, past the per-round limit, even in grace", input: { ...base, me: 'a', collectors: [load('a', 85, false), load('b', 85)], freeOrphaned: 86 }, expected: { release: 0, claimOrphaned: 43, claimReleased: 0 } },
    { name: 'an overloaded collector releases at most K per round for a settled joiner', input: { ...base, me: 'a', collectors: [load('a', 86), load('b', 85), load('c', 85), load('d', 0)] }, expected: { release: 4, claimOrphaned: 0, claimReleased: 0 } },
    { name: 'nothing moves for a joiner still in its grace period', input: { ...base, me: 'a', collectors: [load('a', 86), load('b', 85), load('c', 85), load('d', 0, false)] }, expected: { release: 0, claimOrphaned: 0, claimReleased: 0 } },
    { name: 'no release beyond what the joiner cannot already find free', input: { ...base, me: 'a', collectors: [load('a', 70), load('b', 64), load('c', 64), load('d', 55)], freeReleased: 7 }, expected: { release: 2, claimOrphaned: 0, claimReleased: 0 } },
    { name: 'within the hysteresis nothing moves', input: { ...base, me: 'a', collectors: [load('a', 65), load('b', 64), load('c', 64), load('d', 63)] }, expected: { release: 0, claimOrphaned: 0, claimReleased: 0 } },
    { name: 'a settled joiner takes released shards, at most K per round', input: { ...base, me: 'd', collectors: [load('a', 80), load('b', 80), load('c', 80), load('d', 4)], freeReleased: 12 }, expected: { release: 0, claimOrphaned: 0, claimReleased: 4 } },
    { name: 'a joiner in grace leaves released shards alone but takes orphaned ones', input: { ...base, me: 'd', collectors: [load('a', 80), load('b', 80), load('c', 80), load('d', 0, false)], freeReleased: 8, freeOrphaned: 8 }, expected: { release: 0, claimOrphaned: 8, claimReleased: 0 } },
    { name: 'a release never takes a collector below its target', input: { ...base, me: 'a', collectors: [load('a', 65), load('b', 64), load('c', 64), load('d', 10)] }, expected: { release: 1, claimOrphaned: 0, claimReleased: 0 } },
  ];
  for (const { name, input, expected } of cases) {
    it(name, () => {
      const { release, claimOrphaned, claimReleased } = planBalance(input);
      expect({ release, claimOrphaned, claimReleased }).toEqual(expected);
    });
  }
});

describe('clusterSettings', () => {
  const identity = { collectorId: 'dc1-a', notifyAddr: '10.0.0.1:162', apiAddr: '[fd00::1]:8080' };

  it('fills the defaults: a 10 s lease renewed every 3 s', () => {
    const settings = clusterSettings(identity);
    expect(settings).toMatchObject({ ...DEFAULT_CLUSTER_TIMING, leaseMs: 10_000, renewMs: 3_000 });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it.each([
    [{ collectorId: '' }, /collectorId/],
    [{ collectorId: 'a b' }, /collectorId/],
    [{ apiAddr: 'localhost' }, /apiAddr/],
    [{ notifyAddr: 'h:70000' }, /notifyAddr/],
    [{ renewMs: 6_000 }, /renewMs 6000 must be at most half of leaseMs 10000/],
    [{ movesPerRound: 0 }, /movesPerRound/],
    [{ leaseMs: 1.5 }, /leaseMs/],
  ])('refuses %j by name', (override, message) => {
    expect(() => clusterSettings({ ...identity, ...override })).toThrow(message);
  });
});

describe('serviceDiscoveryDocument', () => {
  const collector = (id: string, live: boolean): CollectorInfo => ({ id, notifyAddr: `${id}:162`, apiAddr: `${id}:8080`, startedAt: new Date(0), leaseUntil: new Date(0), live, shards: live ? 128 : 0 });

  it('lists live collectors only, their identity in __meta_ labels', () => {
    expect(serviceDiscoveryDocument([collector('a', true), collector('b', false), collector('c', true)], { cluster: 'dc1' })).toEqual([
      { targets: ['a:8080'], labels: { cluster: 'dc1', __meta_priscan_collector_id: 'a', __meta_priscan_notify_addr: 'a:162', __meta_priscan_shards: '128' } },
      { targets: ['c:8080'], labels: { cluster: 'dc1', __meta_priscan_collector_id: 'c', __meta_priscan_notify_addr: 'c:162', __meta_priscan_shards: '128' } },
    ]);
  });

  it('refuses a label Prometheus would not accept', () => {
    expect(() => serviceDiscoveryDocument([], { 'bad-name': 'x' })).toThrow(/label "bad-name"/);
    expect(() => serviceDiscoveryDocument([], { __address__: 'x' })).toThrow(/__/);
  });
});
