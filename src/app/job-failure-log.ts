import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { JOB_RETRY_MS, type SchedulerDeps } from '../scanning/scheduler.js';

/** How often a run of failed scans (the store out of reach) is logged: once, then a count per interval. */
const JOB_FAILURE_LOG_MS = 30_000;

/**
 * Logs scans, registration checks and probes that threw (they are retried): the first at once,
 * then how many more per interval, so a database outage under 10,000 devices is a few lines.
 */
export function jobFailureLog(log: Logger, clock: Clock): NonNullable<SchedulerDeps['onJobFailed']> {
  let loggedAt = -Infinity;
  let since = 0;
  return (job, deviceId, error) => {
    since++;
    if (clock.now() - loggedAt < JOB_FAILURE_LOG_MS) return;
    // The store's message names its host and port (never the password): what an operator needs.
    const err = error instanceof Error ? error.message : String(error);
    log.warn({ job, deviceId, failedSinceLastLog: since, err, retryMs: JOB_RETRY_MS }, 'device work failed; retrying');
    loggedAt = clock.now();
    since = 0;
  };
}
