// SIGKILL priscan at random moments during a storm, restart, settle, compare; repeated.
// Usage: node dist/bench/crash-recovery.js [--runs N] [--cycles N] [--seed N]
// Each run: a fresh data directory, 5 simulated devices (the included licence), N kill/restart
// cycles during a storm of raises and clears every 3 ms, then a last restart that must reconcile.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { runCrashCycles, type CrashReport } from '../test/helpers/crash-harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '4' }, cycles: { type: 'string', default: '6' }, seed: { type: 'string', default: '1' } } });
const runs = Number(values.runs);
const cycles = Number(values.cycles);
const reports: CrashReport[] = [];
for (let run = 0; run < runs; run++) {
  const report = await runCrashCycles({
    devices: 5,
    cycles,
    seed: Number(values.seed) + run,
    baseAddress: '127.0.42.1',
    devicePort: 16186,
    notificationPort: 16187,
    httpPort: 16188,
    lifeMs: [200, 2000],
  });
  reports.push(report);
  console.log(
    `run ${run + 1}/${runs} seed ${report.seed}: ${report.kills} kills, ${report.transitions} transitions, settled in ${report.settleMs[0]} ms, ` +
      `mismatches ${report.mismatches.length}, log violations ${report.logViolations.length}, integrity ${report.integrity}, SIGTERM exit ${report.finalExitCode}`,
  );
  for (const line of [...report.mismatches, ...report.logViolations].slice(0, 5)) console.log(`  ${line}`);
}
const settle = reports.map((r) => r.settleMs[0]!).sort((a, b) => a - b);
const summary = {
  bench: 'crash-recovery',
  runs,
  killsTotal: reports.reduce((n, r) => n + r.kills, 0),
  transitionsTotal: reports.reduce((n, r) => n + r.transitions, 0),
  mismatches: reports.reduce((n, r) => n + r.mismatches.length, 0),
  logViolations: reports.reduce((n, r) => n + r.logViolations.length, 0),
  integrityOk: reports.every((r) => r.integrity === 'ok'),
  sigtermExit0: reports.every((r) => r.finalExitCode === 0),
  settleMsMedian: settle[Math.floor(settle.length / 2)],
  settleMsMax: settle.at(-1),
  machine: { cores: cpus().length, node: process.version },
};
console.log(`\nkills ${summary.killsTotal}, transitions ${summary.transitionsTotal}, mismatches ${summary.mismatches}, log violations ${summary.logViolations}, integrity ${summary.integrityOk ? 'ok' : 'FAILED'}, settle median ${summary.settleMsMedian} ms max ${summary.settleMsMax} ms`);
console.log(`RESULT ${JSON.stringify(summary)}`);
process.exitCode = summary.mismatches + summary.logViolations === 0 && summary.integrityOk && summary.sigtermExit0 ? 0 : 1;
