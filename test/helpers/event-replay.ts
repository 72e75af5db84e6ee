// The invariant every alarm operation keeps: replaying the event log from the start gives the
// active set, device by device and key by key, and the log never raises an active key or clears
// an inactive one.
import type { Store } from '../../src/store/store.js';
import type { TestDaemon } from './daemon.js';

export interface LoggedEvent {
  id: number;
  deviceId: number;
  key: string;
  kind: string;
}

export interface ActiveKey {
  deviceId: number;
  key: string;
}

/** What the log says is active (`deviceId key` strings), and where it contradicts itself. */
export function replay(events: Iterable<LoggedEvent>): { active: Set<string>; violations: string[] } {
  const active = new Set<string>();
  const violations: string[] = [];
  for (const event of events) {
    const id = `${event.deviceId} ${event.key}`;
    if (event.kind === 'raise') {
      if (active.has(id)) violations.push(`event ${event.id} raises ${id}, already active`);
      active.add(id);
    } else {
      if (!active.delete(id)) violations.push(`event ${event.id} clears ${id}, not active`);
    }
  }
  return { active, violations };
}

/** Every way the replayed log and the active set disagree; empty when the invariant holds. */
export function logMismatches(events: Iterable<LoggedEvent>, activeNow: Iterable<ActiveKey>): string[] {
  const { active: replayed, violations } = replay(events);
  const stored = new Set([...activeNow].map((a) => `${a.deviceId} ${a.key}`));
  const mismatches = [...violations];
  for (const id of replayed) if (!stored.has(id)) mismatches.push(`the log leaves ${id} active; the active set does not have it`);
  for (const id of stored) if (!replayed.has(id)) mismatches.push(`${id} is active; the log never raised it (or cleared it)`);
  return mismatches;
}

/** The whole log through the API (GET /api/v1/alarms/history, paged) against GET /api/v1/alarms. */
export async function apiLogMismatches(t: TestDaemon): Promise<string[]> {
  const events: LoggedEvent[] = [];
  for (let after = 0; ; ) {
    const page = (await t.api('GET', `/api/v1/alarms/history?after=${after}&limit=1000`)).body as { events: LoggedEvent[]; lastId: number };
    events.push(...page.events);
    if (page.events.length < 1000) break;
    after = page.lastId;
  }
  const { alarms } = (await t.api('GET', '/api/v1/alarms')).body as { alarms: ActiveKey[] };
  return logMismatches(events, alarms);
}

/** The same comparison straight on a store (unit tests). */
export function storeLogMismatches(store: Store): string[] {
  const events: LoggedEvent[] = [];
  for (let page = store.alarms.events(0, 1000); page.length > 0; page = store.alarms.events(page.at(-1)!.id, 1000)) events.push(...page);
  return logMismatches(events, store.alarms.active());
}
