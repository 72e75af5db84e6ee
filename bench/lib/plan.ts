// Alarm changes planned at random moments on random devices, and played against the simulator.
import type { AlarmAction, FleetName } from './fleet-protocol.js';
import type { FleetLink } from './fleet-link.js';

export interface PlannedChange {
  /** Milliseconds after the plan starts. */
  atMs: number;
  fleet: FleetName;
  index: number;
  alarm: string;
  action: AlarmAction;
}

export interface PlayedChange extends PlannedChange {
  /** When the device changed state (monotonic ms, simulator side). */
  changedAt: number;
  changed: boolean;
}

export interface PlanShape {
  devices: number;
  alarms: number;
  alarm: string;
  /** Raises fall uniformly in [0, raiseWindowMs). */
  raiseWindowMs: number;
  /** Each alarm is cleared after a hold uniform in [holdMinMs, holdMaxMs). */
  holdMinMs: number;
  holdMaxMs: number;
  fleets: readonly FleetName[];
}

/**
 * Each alarm on its own device, so no change waits behind another on the same device;
 * every fleet in `fleets` gets the same change at the same moment (the comparison fleets).
 */
export function planChanges(shape: PlanShape, random: () => number): PlannedChange[] {
  if (shape.alarms > shape.devices) throw new Error(`${shape.alarms} alarms need as many devices, have ${shape.devices}`);
  const indexes = Array.from({ length: shape.devices }, (_, i) => i);
  // Partial Fisher-Yates: the first `alarms` entries become a random sample without repeats.
  for (let i = 0; i < shape.alarms; i++) {
    const j = i + Math.floor(random() * (shape.devices - i));
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  const changes: PlannedChange[] = [];
  for (const index of indexes.slice(0, shape.alarms)) {
    const raiseAt = random() * shape.raiseWindowMs;
    const clearAt = raiseAt + shape.holdMinMs + random() * (shape.holdMaxMs - shape.holdMinMs);
    for (const fleet of shape.fleets) {
      changes.push({ atMs: raiseAt, fleet, index, alarm: shape.alarm, action: 'raise' });
      changes.push({ atMs: clearAt, fleet, index, alarm: shape.alarm, action: 'clear' });
    }
  }
  return changes.sort((a, b) => a.atMs - b.atMs);
}

/** How a change is made on the simulator: when the device made it, and whether it changed anything. */
export type MakeChange = (change: PlannedChange) => Promise<{ at: number; changed: boolean }>;

/** A named alarm raised or cleared: the device notifies as it does for that alarm. */
export const alarmChange =
  (link: FleetLink): MakeChange =>
  ({ atMs: _atMs, ...command }) =>
    link.request({ type: 'change', ...command });

/**
 * Sends each change when its moment comes; resolves when the simulator has made them all. By
 * default a change raises or clears the named alarm; `make` can make it another way (a reading).
 */
export async function playChanges(link: FleetLink, plan: readonly PlannedChange[], make: MakeChange = alarmChange(link)): Promise<PlayedChange[]> {
  const started = performance.now();
  const played: Array<Promise<PlayedChange>> = [];
  for (const change of plan) {
    const wait = change.atMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    played.push(make(change).then((reply) => ({ ...change, changedAt: reply.at, changed: reply.changed })));
  }
  return Promise.all(played);
}
