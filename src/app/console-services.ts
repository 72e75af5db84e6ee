import type { MaintenanceWindow } from '../alarms/maintenance.js';
import { ConsoleRefusal, type ConsoleMaintenanceWindow, type ConsoleServices } from '../console/services.js';
import type { AckOutcome } from '../store/alarms.js';
import type { Store } from '../store/store.js';
import type { AcknowledgementService } from './acknowledgement-service.js';
import { MaintenanceRequestError, type MaintenanceService } from './maintenance-service.js';
import type { ReadingsService } from './readings-service.js';
import type { ThresholdService } from './threshold-service.js';

export interface ConsoleServicesDeps {
  store: Pick<Store, 'devices'>;
  readings: ReadingsService;
  thresholds: ThresholdService;
  acknowledgements: AcknowledgementService;
  maintenance: MaintenanceService;
  /** The notifier: which alarms maintenance holds back from notification. */
  holds: { holdOf(alarm: { deviceId: number; key: string; raisedAt: number }): { windowId: number } | undefined };
}

/** Windows the maintenance page lists: more than a NOC plans at once, fewer than would slow it. */
const LISTED_WINDOWS = 200;

/**
 * The daemon's services as the console's ports (src/console/services.ts): the same services the
 * API's routes call, so an acknowledgement or a window made on a page is logged, streamed and
 * heard by the notifier as one made through the API. Only the shapes and the refusals' wording
 * differ: a refusal becomes a ConsoleRefusal whose message the form's page shows.
 */
export function consoleServices(deps: ConsoleServicesDeps): ConsoleServices {
  const { store, acknowledgements, maintenance, holds } = deps;
  const window = (w: MaintenanceWindow): ConsoleMaintenanceWindow => {
    const { scope } = w;
    return {
      id: w.id,
      startsAt: w.startsAt,
      endsAt: w.endsAt,
      endedAt: w.endedAt,
      reason: w.reason,
      createdBy: w.createdBy,
      // Devices deleted since are left out, as the API lists them.
      scope: scope.kind === 'devices' ? { devices: scope.deviceIds.flatMap((id) => store.devices.get(id)?.name ?? []) } : scope.kind === 'site' ? { site: scope.site } : { profile: scope.profile },
    };
  };
  return {
    readings: deps.readings,
    thresholds: deps.thresholds,
    acknowledgements: {
      acknowledge: (request) => refusedUnlessDone(acknowledgements.acknowledge(request)),
      unacknowledge: (request) => refusedUnlessDone(acknowledgements.unacknowledge({ ...request, comment: null })),
    },
    maintenance: {
      list: () => maintenance.list({ limit: LISTED_WINDOWS }).map(window),
      create: (request) => window(refusedAsConsole(() => maintenance.plan(request))),
      end: (id) => void refusedAsConsole(() => maintenance.end(id)),
      coverage: () => maintenance.coverage(),
      holds: (alarm) => holds.holdOf(alarm) !== undefined,
    },
  };
}

function refusedUnlessDone(outcome: AckOutcome): void {
  if (outcome.ok) return;
  if (outcome.why === 'not-active') throw new ConsoleRefusal('that alarm is not active any more: the device has cleared it');
  const ack = outcome.alarm.acknowledgement;
  if (outcome.why === 'already-acknowledged') throw new ConsoleRefusal(`that alarm was acknowledged already, by ${ack?.by ?? '?'}`);
  throw new ConsoleRefusal('that alarm is not acknowledged');
}

function refusedAsConsole<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    if (error instanceof MaintenanceRequestError) throw new ConsoleRefusal(error.message);
    throw error;
  }
}
