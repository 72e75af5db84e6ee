import type { AlarmEvent } from './model.js';

/** Why an event happened and how fast: for metrics, Alertmanager and the demo. */
export interface EventContext {
  trigger: string;
  /** When the earliest request this scan answered arrived (a notification, a timer). */
  requestedAt: number;
  storedAt: number;
}

export type AlarmEventListener = (events: readonly AlarmEvent[], context: EventContext) => void;

/** Raise and clear events fan out to subscribers; one failing subscriber never stops the others. */
export class AlarmEventBus {
  private readonly listeners = new Set<AlarmEventListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  subscribe(listener: AlarmEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: readonly AlarmEvent[], context: EventContext): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events, context);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
