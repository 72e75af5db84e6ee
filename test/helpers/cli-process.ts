import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The built `priscan` command (`npm test` builds before it runs). */
export const PRISCAN_CLI = resolve(import.meta.dirname, '../../dist/src/cli/priscan.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `priscan ARGS` as its own process with exactly this environment, killed after `timeoutMs`. */
export function runPriscan(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [PRISCAN_CLI, ...args], { env, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
