// Maintenance windows in the store: listing by state at a time, ending (and cancelling), the
// devices a window lists (a deleted one leaves it; an unknown one refuses the window).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

eachStore('test/unit/store-maintenance.test.ts', (backend) => {
  let store: Store;
  beforeEach(() => {
    store = backend.open({ clock: new FakeClock() });
  });

  const window = (startsAt: number, endsAt: number, deviceIds: number[] = []) =>
    store.maintenance.create({ startsAt, endsAt, reason: `from ${startsAt}`, scope: deviceIds.length > 0 ? { kind: 'devices', deviceIds } : { kind: 'site', site: 'dc1' }, createdBy: 'ops', createdAt: 0 });

  describe('MaintenanceRepository', () => {
    it('lists windows newest start first, by their state at a time', () => {
      const past = window(100, 200);
      const running = window(300, 600);
      const later = window(700, 800);
      const ids = (state?: 'scheduled' | 'active' | 'ended') => store.maintenance.list({ state, now: 400, limit: 10 }).map((w) => w.id);
      expect(ids()).toEqual([later.id, running.id, past.id]);
      expect([ids('ended'), ids('active'), ids('scheduled')]).toEqual([[past.id], [running.id], [later.id]]);
      expect(store.maintenance.list({ now: 400, limit: 2 })).toHaveLength(2);
      expect(store.maintenance.endingAfterTime(400).map((w) => w.id)).toEqual([running.id, later.id]);
    });

    it('ends a window once; a scheduled one ended never starts', () => {
      const running = window(300, 600);
      const later = window(700, 800);
      expect(store.maintenance.end(running.id, 400)).toBe(true);
      expect(store.maintenance.end(running.id, 450)).toBe(false);
      expect(store.maintenance.get(running.id)).toMatchObject({ endsAt: 600, endedAt: 400 });
      expect(store.maintenance.end(later.id, 450)).toBe(true);
      expect(store.maintenance.list({ state: 'ended', now: 450, limit: 10 }).map((w) => w.id).sort()).toEqual([running.id, later.id].sort());
      expect(store.maintenance.end(window(100, 200).id, 450)).toBe(false);
    });

    it('keeps the devices a window lists; a deleted device leaves it, an unknown one refuses it whole', () => {
      const a = store.devices.insert(newDevice({ name: 'ups-a', address: '127.0.236.11' }));
      const b = store.devices.insert(newDevice({ name: 'ups-b', address: '127.0.236.12' }));
      const w = window(0, 100, [b.id, a.id, a.id]);
      expect(w.scope).toEqual({ kind: 'devices', deviceIds: [a.id, b.id] });
      store.devices.delete(a.id);
      expect(store.maintenance.get(w.id)!.scope).toEqual({ kind: 'devices', deviceIds: [b.id] });
      expect(() => window(0, 100, [b.id, 999])).toThrow(/FOREIGN KEY/);
      expect(store.maintenance.list({ now: 0, limit: 10 })).toHaveLength(1);
    });

    it('records a release only for a window that has ended, once', () => {
      const w = window(0, 100);
      store.maintenance.markReleased([w.id], 50);
      expect(store.maintenance.get(w.id)!.releasedAt).toBeNull();
      store.maintenance.markReleased([w.id], 100);
      store.maintenance.markReleased([w.id], 150);
      expect(store.maintenance.get(w.id)!.releasedAt).toBe(100);
    });
  });
});
