import type { AlarmEvent } from '../alarms/model.js';

/** An event as a sink receives it. */
export interface AlarmNotification extends AlarmEvent {
  /**
   * On a raise that a maintenance window held back, delivered when the maintenance ended with the
   * alarm still active: that window. The event is the original raise (its id and time).
   */
  releasedFrom?: { windowId: number };
}

/**
 * The one port every notification channel plugs into (Alertmanager, webhooks). The notifier hands
 * each sink the events meant for notification, maintenance applied, in log order.
 */
export interface AlarmSink {
  readonly name: string;
  start(): void | Promise<void>;
  /** Releases timers and connections; what a sink keeps on disk stays for the next start. */
  stop(): Promise<void>;
  /** Called on the alarm bus's path: it only queues (never waits on a receiver) and never throws for a receiver's sake. */
  deliver(events: readonly AlarmNotification[]): void;
}
