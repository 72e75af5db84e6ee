/**
 * Maintenance windows: when an alarm is held back from notification sinks, and until when. Pure:
 * the store keeps the windows, src/alerting/notifier.ts applies the rule.
 *
 * The rule: an alarm raised while a window covers its device is held (stored and shown, never sent
 * as firing) for as long as maintenance of that device goes on without a break, overlapping or
 * touching windows counting as one; it is sent when that maintenance ends, if still active. An
 * alarm raised before a window started was sent already and stays sent.
 */

export type MaintenanceScope =
  | { kind: 'devices'; deviceIds: readonly number[] }
  | { kind: 'site'; site: string }
  | { kind: 'profile'; profile: string };

export interface MaintenanceWindow {
  id: number;
  startsAt: number;
  /** As planned. */
  endsAt: number;
  /** When an admin ended it early (at or before endsAt); null while it runs to plan. */
  endedAt: number | null;
  reason: string;
  scope: MaintenanceScope;
  createdBy: string;
  createdAt: number;
  /** When priscan sent the alarms it held (null until it has ended and that was done). */
  releasedAt: number | null;
}

/** When the window stops holding alarms: its planned end, or when it was ended early. */
export function effectiveEnd(window: Pick<MaintenanceWindow, 'endsAt' | 'endedAt'>): number {
  return window.endedAt === null ? window.endsAt : Math.min(window.endedAt, window.endsAt);
}

export type WindowState = 'scheduled' | 'active' | 'ended';

export function windowState(window: MaintenanceWindow, now: number): WindowState {
  const end = effectiveEnd(window);
  if (now >= end || end <= window.startsAt) return 'ended';
  return now < window.startsAt ? 'scheduled' : 'active';
}

/** What a scope is matched against. */
export interface CoveredDevice {
  id: number;
  profile: string;
  resolvedProfile: string | null;
  site: string | null;
}

/**
 * A device's site. Devices gain a `site` on another branch (issue 13): until then every device
 * has none, and a site-scoped window covers nothing. This one accessor is all that reads it.
 */
export function deviceSite(device: object): string | null {
  return (device as { site?: string | null }).site ?? null;
}

export function covers(window: MaintenanceWindow, device: CoveredDevice): boolean {
  const { scope } = window;
  switch (scope.kind) {
    case 'devices':
      return scope.deviceIds.includes(device.id);
    case 'site':
      return device.site !== null && device.site === scope.site;
    case 'profile':
      return (device.resolvedProfile ?? device.profile) === scope.profile;
  }
}

export interface Hold {
  /** The window holding the alarm at the time asked about (the last one of the stretch when it is over). */
  windowId: number;
  /** When the unbroken maintenance that began with the raise ends: the alarm is sent then. */
  until: number;
  /** The window whose end is `until`: its release marks the alarm as sent. */
  endingWindowId: number;
}

/**
 * The hold on an alarm raised at `raisedAt`, seen at `now`, given the windows covering its device
 * (any order; those ended before the raise change nothing). Undefined: the raise was outside
 * maintenance, so the alarm is notified as usual. A hold whose `until` is at or before `now` is over.
 */
export function holdOf(raisedAt: number, windows: readonly MaintenanceWindow[], now: number): Hold | undefined {
  const spans = windows
    .map((w) => ({ id: w.id, start: w.startsAt, end: effectiveEnd(w) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let stretch: Array<(typeof spans)[number]> = [];
  let stretchEnd = -Infinity;
  for (const span of spans) {
    if (span.start > stretchEnd) {
      // A gap: the stretch so far is over; it held the alarm if the raise fell inside it.
      if (stretch.length > 0 && raisedAt >= stretch[0]!.start && raisedAt < stretchEnd) break;
      stretch = [];
      stretchEnd = -Infinity;
    }
    stretch.push(span);
    stretchEnd = Math.max(stretchEnd, span.end);
  }
  if (stretch.length === 0 || raisedAt < stretch[0]!.start || raisedAt >= stretchEnd) return undefined;
  // The window holding it now: the one running at `now` that lasts longest; once over, the last to end.
  const running = stretch.filter((s) => s.start <= now && now < s.end);
  const ending = stretch.reduce((a, b) => (b.end > a.end ? b : a));
  const holding = running.length > 0 ? running.reduce((a, b) => (b.end > a.end ? b : a)) : ending;
  return { windowId: holding.id, until: stretchEnd, endingWindowId: ending.id };
}
