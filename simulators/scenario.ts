import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SimDevice } from './devices/device.js';
import type { Fleet } from './fleet.js';

const step = z
  .object({
    /** Milliseconds after the scenario starts (or after each repetition starts). */
    at: z.number().int().min(0),
    /** A device address, `kind:<kind>` for every device of a kind, or `*` for all. */
    device: z.string().min(1),
    action: z.enum(['raise', 'clear', 'reboot', 'offline', 'online']),
    alarm: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.action === 'raise' || s.action === 'clear') === (s.alarm !== undefined), {
    message: 'raise and clear need "alarm"; other actions take none',
  });

export const scenarioSchema = z
  .object({
    steps: z.array(step).min(1),
    /** Play the steps again after the last one, until stopped. */
    repeat: z.boolean().default(false),
    /** Pause between repetitions. */
    repeatDelayMs: z.number().int().min(0).default(1000),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = Scenario['steps'][number];

export class ScenarioError extends Error {}

export interface StepResult {
  at: number;
  device: string;
  kind: string;
  action: ScenarioStep['action'];
  alarm?: string;
  changed: boolean;
}

export function loadScenario(path: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScenarioError(`scenario ${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

function selectDevices(fleet: Fleet, selector: string): SimDevice[] {
  if (selector === '*') return fleet.devices;
  if (selector.startsWith('kind:')) return fleet.devices.filter((d) => d.kind === selector.slice(5));
  const device = fleet.get(selector);
  return device ? [device] : [];
}

/** Checks every step names devices that exist and alarms they support, before anything plays. */
export function checkScenario(scenario: Scenario, fleet: Fleet): void {
  scenario.steps.forEach((s, i) => {
    const devices = selectDevices(fleet, s.device);
    if (devices.length === 0) throw new ScenarioError(`step ${i + 1}: no device matches "${s.device}"`);
    if (s.alarm === undefined) return;
    const unsupported = devices.find((d) => !d.supportedAlarms.includes(s.alarm as string));
    if (unsupported) {
      throw new ScenarioError(`step ${i + 1}: ${unsupported.kind} device ${unsupported.id} has no alarm "${s.alarm}"`);
    }
  });
}

/** Plays timed steps against a fleet; stop() cancels what has not run. */
export class ScenarioPlayer {
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly fleet: Fleet,
    private readonly onStep: (result: StepResult) => void,
  ) {}

  start(): void {
    checkScenario(this.scenario, this.fleet);
    this.stopped = false;
    this.playRound();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private playRound(): void {
    const last = Math.max(...this.scenario.steps.map((s) => s.at));
    for (const s of this.scenario.steps) this.schedule(s.at, () => this.run(s));
    if (this.scenario.repeat) this.schedule(last + this.scenario.repeatDelayMs, () => this.playRound());
  }

  private schedule(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) action();
    }, delayMs);
    this.timers.add(timer);
  }

  private run(s: ScenarioStep): void {
    for (const device of selectDevices(this.fleet, s.device)) {
      let changed = true;
      if (s.action === 'raise') changed = device.raise(s.alarm as string);
      else if (s.action === 'clear') changed = device.clear(s.alarm as string);
      else if (s.action === 'reboot') device.reboot();
      else device.setOnline(s.action === 'online');
      this.onStep({ at: s.at, device: device.id, kind: device.kind, action: s.action, ...(s.alarm ? { alarm: s.alarm } : {}), changed });
    }
  }
}
