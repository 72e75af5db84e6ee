// The maintenance rule, pure: which alarms a window holds back and until when, and what a
// window's scope covers (site scope through the one accessor, with a faked device site).
import { describe, expect, it } from 'vitest';
import { covers, deviceSite, effectiveEnd, holdOf, windowState, type MaintenanceScope, type MaintenanceWindow } from '../../src/alarms/maintenance.js';

let ids = 0;
function window(startsAt: number, endsAt: number, extra: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  const scope: MaintenanceScope = { kind: 'devices', deviceIds: [1] };
  return { id: ++ids, startsAt, endsAt, endedAt: null, reason: 'test', scope, createdBy: 'ops', createdAt: 0, releasedAt: null, ...extra };
}

describe('holdOf', () => {
  it('holds an alarm raised inside a window until the window ends, and none raised outside it', () => {
    const w = window(100, 200);
    expect(holdOf(150, [w], 150)).toEqual({ windowId: w.id, until: 200, endingWindowId: w.id });
    expect(holdOf(100, [w], 120)?.until).toBe(200);
    // Raised before the window: sent already, stays sent. At its end or after: outside.
    expect(holdOf(99, [w], 150)).toBeUndefined();
    expect(holdOf(200, [w], 200)).toBeUndefined();
    expect(holdOf(250, [w], 250)).toBeUndefined();
  });

  it('treats overlapping and touching windows as one stretch of maintenance', () => {
    const first = window(100, 200);
    const touching = window(200, 300);
    const overlapping = window(250, 400);
    const later = window(500, 600);
    const hold = holdOf(150, [later, overlapping, first, touching], 150);
    expect(hold).toEqual({ windowId: first.id, until: 400, endingWindowId: overlapping.id });
    // Seen later, the window holding it is the one running then.
    expect(holdOf(150, [later, overlapping, first, touching], 280)?.windowId).toBe(overlapping.id);
    // A gap ends the stretch: the later window does not extend it.
    expect(holdOf(450, [first, overlapping, later], 450)).toBeUndefined();
    expect(holdOf(550, [first, overlapping, later], 550)).toEqual({ windowId: later.id, until: 600, endingWindowId: later.id });
  });

  it('ends the hold when a window is ended early, and a cancelled window holds nothing', () => {
    const w = window(100, 1000, { endedAt: 300 });
    expect(effectiveEnd(w)).toBe(300);
    expect(holdOf(150, [w], 150)?.until).toBe(300);
    expect(holdOf(350, [w], 350)).toBeUndefined();
    const cancelled = window(500, 600, { endedAt: 400 });
    expect(windowState(cancelled, 450)).toBe('ended');
    expect(holdOf(550, [cancelled], 550)).toBeUndefined();
  });

  it('names the state of a window at a time', () => {
    const w = window(100, 200);
    expect([50, 100, 199, 200].map((t) => windowState(w, t))).toEqual(['scheduled', 'active', 'active', 'ended']);
  });
});

describe('scopes', () => {
  const ups = { id: 1, profile: 'auto', resolvedProfile: 'apc-ups', site: 'dc1' };
  const pdu = { id: 2, profile: 'apc-rpdu', resolvedProfile: 'apc-rpdu', site: null };

  it('covers listed devices, devices of a profile (auto ones by what they resolved to), and devices at a site', () => {
    const byDevices = window(0, 10, { scope: { kind: 'devices', deviceIds: [2, 3] } });
    const byProfile = window(0, 10, { scope: { kind: 'profile', profile: 'apc-ups' } });
    const bySite = window(0, 10, { scope: { kind: 'site', site: 'dc1' } });
    expect([byDevices, byProfile, bySite].map((w) => [covers(w, ups), covers(w, pdu)])).toEqual([
      [false, true],
      [true, false],
      // A device without a site is covered by no site window.
      [true, false],
    ]);
  });

  it('reads a device\'s site through one accessor: a device record with a site (as on the readings branch) is scoped by it', () => {
    // Devices on main have no `site` yet: a faked record stands in for one that has.
    const record = { id: 7, name: 'ups-7', profile: 'auto', resolvedProfile: 'rfc1628-ups', site: 'dc-east' };
    expect(deviceSite(record)).toBe('dc-east');
    expect(deviceSite({ id: 8, name: 'no-site' })).toBeNull();
    expect(deviceSite({ id: 9, site: null })).toBeNull();
    const site = window(0, 10, { scope: { kind: 'site', site: 'dc-east' } });
    expect(covers(site, { ...record, site: deviceSite(record) })).toBe(true);
    expect(covers(site, { ...record, site: deviceSite({}) })).toBe(false);
  });
});
