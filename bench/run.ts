// Every benchmark of issues 7 and 13 in one run, each scenario in its own child process (a crash
// loses only that scenario), then one table: figure, baseline measured in the same run, ratio, goal.
//
//   npm run bench                 (about 30 minutes)
//   npm run bench -- --quick      (about 12 minutes: fewer alarms, shorter windows, 60 s scale intervals)
//   options: --only detection,intake-load,daemon-scale,scan-cost,intake-v3,scan-packets,threshold-detection,scale-readings,console
//
// Writes bench/results/latest.json; a full run also rewrites the figures in docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable, rowsFor, SCENARIOS, textTable, type ScenarioOutcome } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = args.quick;
const only = args.only?.split(',').map((s) => s.trim());
for (const name of only ?? []) {
  if (!SCENARIOS.some((s) => s.key === name)) throw new Error(`--only: unknown scenario "${name}" (${SCENARIOS.map((s) => s.key).join(', ')})`);
}
// Generous bounds: a scenario past its bound is stopped and reported as not run.
const TIMEOUT_S: Record<string, number> = quick
  ? { detection: 300, 'intake-load': 180, 'daemon-scale': 480, 'scan-cost': 120, 'intake-v3': 300, 'scan-packets': 60, 'threshold-detection': 180, 'scale-readings': 480, console: 180 }
  : { detection: 900, 'intake-load': 300, 'daemon-scale': 1200, 'scan-cost': 300, 'intake-v3': 600, 'scan-packets': 120, 'threshold-detection': 420, 'scale-readings': 1200, console: 300 };

function runScenario(script: string, scriptArgs: readonly string[], timeoutS: number): Promise<ScenarioOutcome> {
  const started = performance.now();
  const child = spawn(process.execPath, [resolve(here, script), ...scriptArgs, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let resultLine: string | undefined;
  let tail = '';
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-2000);
    // Progress and tables stay visible; RESULT lines go into the summary instead.
    for (const line of text.split('\n')) {
      if (line.startsWith('RESULT ')) resultLine = line.slice('RESULT '.length);
    }
    to.write(text.split('\n').filter((l) => !l.startsWith('RESULT ')).join('\n'));
  };
  let stdoutRest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    // Lines may split across chunks: only whole lines are examined.
    const text = stdoutRest + chunk.toString();
    const cut = text.lastIndexOf('\n') + 1;
    stdoutRest = text.slice(cut);
    if (cut > 0) keep(Buffer.from(text.slice(0, cut)), process.stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => keep(chunk, process.stderr));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutS * 1000);
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (stdoutRest) keep(Buffer.from(`${stdoutRest}\n`), process.stdout);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      if (resultLine && code === 0) {
        try {
          return done({ ok: true, result: JSON.parse(resultLine), seconds });
        } catch {
          return done({ ok: false, error: 'its RESULT line is not JSON', seconds });
        }
      }
      const why = signal ? `stopped by ${signal}${signal === 'SIGTERM' ? ` after ${timeoutS} s` : ''}` : `exited ${code}`;
      const lastLine = tail.trim().split('\n').filter((l) => l.trim()).at(-1) ?? '';
      done({ ok: false, error: `${why}${resultLine ? ' (after its RESULT)' : ''}: ${lastLine.slice(0, 300)}`, seconds });
    });
  });
}

const gitCommit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || null;
const gitDirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
const commandArgs = [...(quick ? ['--quick'] : []), ...(only ? ['--only', only.join(',')] : [])];
const command = `npm run bench${commandArgs.length > 0 ? ` -- ${commandArgs.join(' ')}` : ''}`;
const machine = {
  cores: os.availableParallelism(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  loadAverageAtEnd: [] as number[],
};
const startedAt = new Date();
const outcomes: Record<string, ScenarioOutcome> = {};
for (const scenario of SCENARIOS) {
  if (only && !only.includes(scenario.key)) continue;
  const scriptArgs = scenario.args ?? [];
  process.stderr.write(`\n=== ${scenario.label} (${scenario.covers}): node dist/bench/${[scenario.script, ...scriptArgs].join(' ')}${quick ? ' --quick' : ''}\n`);
  outcomes[scenario.key] = await runScenario(scenario.script, scriptArgs, TIMEOUT_S[scenario.key] ?? 600);
  const o = outcomes[scenario.key]!;
  process.stderr.write(`=== ${scenario.label}: ${o.ok ? 'done' : `NOT RUN: ${o.error}`} in ${o.seconds} s\n`);
}
machine.loadAverageAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
const rows = rowsFor(outcomes);
const summary = {
  command,
  quick,
  startedAt: startedAt.toISOString(),
  durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
  git: { commit: gitCommit, dirty: gitDirty },
  machine,
  table: rows,
  scenarios: outcomes,
};

console.log(`\npriscan benchmarks (${command}; ${machine.cores} cores ${machine.cpu}, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')} -> ${machine.loadAverageAtEnd.join(' ')})\n`);
console.log(textTable(rows));
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log('\nwritten: bench/results/latest.json');

// The docs show the latest full run of everything; a quick or partial run leaves them alone.
const docs = resolve(root, 'docs/benchmarks.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';
if (!quick && !only && existsSync(docs)) {
  const text = readFileSync(docs, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from >= 0 && to > from) {
    const section = [
      START,
      `Command: \`${command}\`, ${summary.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(summary.durationS / 60)} minutes, commit ${gitCommit ?? 'unknown'}${gitDirty ? ' (with uncommitted changes)' : ''}.`,
      `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GiB, ${machine.platform}, Node ${machine.node}; load average (1, 5, 15 min) ${machine.loadAverageAtStart.join(', ')} at the start, ${machine.loadAverageAtEnd.join(', ')} at the end.`,
      '',
      markdownTable(rows),
      END,
    ].join('\n');
    writeFileSync(docs, text.slice(0, from) + section + text.slice(to + END.length));
    console.log('written: docs/benchmarks.md (figures section)');
  }
}
process.exitCode = Object.values(outcomes).every((o) => o.ok) ? 0 : 1;
