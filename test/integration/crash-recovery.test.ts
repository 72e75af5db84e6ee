// SIGKILL at random moments during a storm of raises and clears, restart on the same data, and
// compare: the stored active alarms equal the simulators' truth; the event log holds every key as
// one raise and at most one clear (nothing duplicated), ending in the active set; the database
// passes integrity_check; SIGTERM then exits 0. A raise and clear that both happened while priscan
// was dead leave no trace, by design: what is asserted is the state after the restart reconciles.
// bench/crash-recovery.ts runs the same for 20+ cycles on a bigger fleet.
import { describe, expect, it } from 'vitest';
import { runCrashCycles } from '../helpers/crash-harness.js';

const SEED = Number(process.env.PRISCAN_CRASH_SEED ?? Date.now() % 100_000);

describe('crash recovery', () => {
  it(`reconciles state and keeps the event log consistent across SIGKILLs (seed ${SEED})`, async () => {
    const report = await runCrashCycles({
      devices: 5,
      cycles: 3,
      seed: SEED,
      baseAddress: '127.0.34.1',
      devicePort: 16175,
      notificationPort: 16176,
      httpPort: 16177,
      lifeMs: [300, 1500],
    });
    expect(report.kills).toBe(3);
    expect(report.transitions).toBeGreaterThan(100);
    expect(report.mismatches).toEqual([]);
    expect(report.logViolations).toEqual([]);
    expect(report.integrity).toBe('ok');
    expect(report.finalExitCode).toBe(0);
  }, 90_000);
});
