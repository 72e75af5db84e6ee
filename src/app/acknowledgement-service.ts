import type { AlarmEventBus } from '../alarms/events.js';
import type { Clock } from '../clock.js';
import type { AckOutcome } from '../store/alarms.js';
import type { Store } from '../store/store.js';

export interface AcknowledgementServiceDeps {
  store: Pick<Store, 'alarms'>;
  bus: Pick<AlarmEventBus, 'publish'>;
  clock: Clock;
}

/** An operator's acknowledgement, or its withdrawal, of one active alarm of a device. */
export interface AckAsk {
  deviceId: number;
  key: string;
  /** The token's name. */
  by: string;
  /** Required to acknowledge; optional to withdraw. */
  comment: string | null;
}

/**
 * Acknowledging active alarms and taking that back, for the API and the console alike: the store
 * records it and logs the event in one transaction, and the event goes on the alarm bus, so the
 * event stream, the console's live pages and the notification sinks hear it as they hear a raise.
 */
export class AcknowledgementService {
  constructor(private readonly deps: AcknowledgementServiceDeps) {}

  acknowledge(ask: AckAsk): AckOutcome {
    return this.apply(ask, true);
  }

  unacknowledge(ask: AckAsk): AckOutcome {
    return this.apply(ask, false);
  }

  private apply(ask: AckAsk, acknowledge: boolean): AckOutcome {
    const { store, bus, clock } = this.deps;
    const at = clock.now();
    const request = { ...ask, at };
    const outcome = acknowledge ? store.alarms.acknowledge(request) : store.alarms.unacknowledge(request);
    if (outcome.ok) bus.publish([outcome.event], { trigger: 'operator', requestedAt: at, storedAt: clock.now() });
    return outcome;
  }
}
