// The repositories other store tests reach only through their services (webhook queue, API
// thresholds, registrations, audit log), at the repository level, on both backends: ordering,
// bounds, uniqueness, cascades and paging must be the same whichever database holds them.
import { beforeEach, describe, expect, it } from 'vitest';
import { RegistrationAppliedError, type NewRegistration } from '../../src/store/registrations.js';
import type { Store } from '../../src/store/store.js';
import { ThresholdOverrideExistsError } from '../../src/store/thresholds.js';
import type { NewDelivery } from '../../src/store/webhook-queue.js';
import { newDevice } from '../helpers/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachStore } from '../helpers/stores.js';

const delivery = (webhook: string, n: number): NewDelivery => ({ webhook, deliveryId: `${webhook}-${n}`, kind: 'raise', body: `{"n":${n}}`, createdAt: n });

const registration = (code: string, systemId = 'SYS1'): NewRegistration => ({
  kind: 'registration',
  systemId,
  number: 42,
  integrator: 'Acme Integration',
  owner: 'Example Hospital',
  previousSystemId: null,
  issueDay: 19_800,
  code,
});

eachStore('test/unit/store-records.test.ts', (backend) => {
  let clock: FakeClock;
  let store: Store;

  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
    store = backend.open({ clock });
  });

  describe('the webhook queue', () => {
    it('keeps each webhook oldest first, drops the oldest beyond its bound, and counts what waits', () => {
      const dropped = store.webhookQueue.enqueue([1, 2, 3, 4].map((n) => delivery('noc', n)).concat([delivery('chat', 1)]), (webhook) => (webhook === 'noc' ? 3 : 10));
      expect(dropped).toEqual(new Map([['noc', 1]]));
      expect(store.webhookQueue.pending()).toEqual(new Map([['noc', 3], ['chat', 1]]));
      const oldest = store.webhookQueue.oldest('noc')!;
      expect(oldest).toMatchObject({ webhook: 'noc', deliveryId: 'noc-2', kind: 'raise', body: '{"n":2}', createdAt: 2 });
      expect(store.webhookQueue.delete(oldest.seq)).toBe(true);
      expect(store.webhookQueue.delete(oldest.seq)).toBe(false);
      expect(store.webhookQueue.oldest('noc')?.deliveryId).toBe('noc-3');
      expect(store.webhookQueue.discard('noc')).toBe(2);
      expect(store.webhookQueue.oldest('noc')).toBeUndefined();
      expect(store.webhookQueue.pending()).toEqual(new Map([['chat', 1]]));
    });

    it('queues all or none: a repeated delivery id refuses the batch', () => {
      store.webhookQueue.enqueue([delivery('noc', 1)], () => 10);
      expect(() => store.webhookQueue.enqueue([delivery('noc', 2), delivery('noc', 1)], () => 10)).toThrow(/UNIQUE constraint failed/);
      expect(store.webhookQueue.pending()).toEqual(new Map([['noc', 1]]));
    });
  });

  describe('API thresholds', () => {
    it('stores one per target, reading, level and row; updates what it sets; follows its device by id and goes with it', () => {
      const ups = store.devices.insert(newDevice({ name: 'ups-1', address: '127.0.236.31' }));
      const onDevice = store.thresholds.insert({ scope: 'device', deviceId: ups.id, reading: 'temperature', level: 'warning', above: 30, hysteresis: 1.5 });
      expect(onDevice).toEqual({ id: expect.any(String), origin: 'api', scope: 'device', target: 'ups-1', deviceId: ups.id, reading: 'temperature', level: 'warning', above: 30, hysteresis: 1.5 });
      const onSite = store.thresholds.insert({ scope: 'site', target: 'dc1', reading: 'temperature', level: 'critical', outside: [5, 40], instance: 'Inlet', forSeconds: 60 });
      expect(onSite).toMatchObject({ target: 'dc1', outside: [5, 40], instance: 'Inlet', forSeconds: 60 });
      // The same reading, level and row on the same target: refused; another row is another threshold.
      expect(() => store.thresholds.insert({ scope: 'site', target: 'dc1', reading: 'temperature', level: 'critical', below: 1, instance: 'Inlet' })).toThrow(ThresholdOverrideExistsError);
      store.thresholds.insert({ scope: 'site', target: 'dc1', reading: 'temperature', level: 'critical', below: 1 });
      expect(store.thresholds.update(Number(onDevice.id), { reading: 'temperature', level: 'warning', disabled: true })).toMatchObject({ disabled: true, target: 'ups-1' });
      expect(store.thresholds.get(Number(onDevice.id))).not.toHaveProperty('above');
      expect(store.thresholds.update(999, { reading: 'temperature', level: 'warning', above: 1 })).toBeUndefined();

      store.devices.update(ups.id, { name: 'ups-renamed' });
      expect(store.thresholds.get(Number(onDevice.id))?.target).toBe('ups-renamed');
      store.devices.delete(ups.id);
      expect(store.thresholds.list().map((t) => t.scope)).toEqual(['site', 'site']);
      expect(store.thresholds.delete(Number(onSite.id))).toBe(true);
      expect(store.thresholds.delete(Number(onSite.id))).toBe(false);
    });

    it('refuses a threshold that sets no limit or two, as the schema does', () => {
      expect(() => store.thresholds.insert({ scope: 'profile', target: 'apc-ups', reading: 'load', level: 'warning' })).toThrow(/CHECK constraint failed/);
      expect(() => store.thresholds.insert({ scope: 'profile', target: 'apc-ups', reading: 'load', level: 'warning', above: 1, below: 0 })).toThrow(/CHECK constraint failed/);
      expect(store.thresholds.list()).toEqual([]);
    });
  });

  describe('registrations', () => {
    it('keeps the codes applied, oldest first, refuses one applied before, and finds the newest of a System ID', () => {
      const first = store.registrations.add(registration('CODE-1'));
      expect(first).toEqual({ id: expect.any(Number), ...registration('CODE-1'), appliedAt: clock.now() });
      clock.advance(1000);
      const caught = (() => {
        try {
          store.registrations.add(registration('CODE-1'));
        } catch (error) {
          return error;
        }
      })();
      expect(caught).toBeInstanceOf(RegistrationAppliedError);
      expect((caught as RegistrationAppliedError).earlier).toEqual(first);
      const second = store.registrations.add({ ...registration('CODE-2'), kind: 'reassociation', previousSystemId: 'SYS0' });
      store.registrations.add(registration('CODE-3', 'OTHER'));
      expect(store.registrations.current('SYS1')).toEqual(second);
      expect(store.registrations.current('NONE')).toBeUndefined();
      expect(store.registrations.list().map((r) => r.code)).toEqual(['CODE-1', 'CODE-2', 'CODE-3']);
    });
  });

  describe('the audit log', () => {
    it('appends with increasing ids and pages by id, for everyone or one partner, at most 1000 a page', () => {
      const entry = (partner: number | null, n: number) =>
        store.audit.append({ at: n, actorKind: partner === null ? 'host' : 'partner', actorToken: partner === null ? null : 'tok', partner, partnerId: partner === null ? null : `P${partner}`, action: `a${n}`, target: null, status: partner === null ? null : 200, detail: null });
      const written = Array.from({ length: 1005 }, (_, i) => entry(i % 2 === 0 ? 7 : null, i));
      expect(written.map((e) => e.id)).toEqual(Array.from({ length: 1005 }, (_, i) => i + 1));
      expect(store.audit.list({ after: 0, limit: 5000 })).toHaveLength(1000);
      expect(store.audit.list({ after: 1000, limit: 10 }).map((e) => e.action)).toEqual(['a1000', 'a1001', 'a1002', 'a1003', 'a1004']);
      const partner = store.audit.list({ after: 0, limit: 3, partner: 7 });
      expect(partner).toEqual(written.slice(0, 5).filter((e) => e.partner === 7));
    });
  });
});
