import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** An executable on PATH, or in the extra directories (daemons live in /usr/sbin, often not on PATH). */
export function findTool(name: string, extra: string[] = ['/usr/sbin', '/sbin']): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...extra]) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Prints why a test file is skipped, so a skip is never silent. */
export function warnSkipped(testFile: string, tool: string, debianPackage: string): void {
  console.warn(`${testFile}: SKIPPED: needs ${tool}, which is not installed (Debian: apt-get install ${debianPackage}).`);
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; never rejects, so a test can assert on the exit code. */
export function runTool(tool: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(tool, [...args], { env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeoutMs ?? 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Polls until the probe returns something truthy, or fails naming what it waited for. */
export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface PrintedValue {
  type: string;
  value: string;
}

/** Parses net-snmp's `-On` output (`.1.3.6... = TYPE: value`, hex dumps continue on following lines). */
export function parseOn(stdout: string): Map<string, PrintedValue> {
  const out = new Map<string, PrintedValue>();
  let last: PrintedValue | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^(\.[0-9.]+) = (.*)$/.exec(line);
    if (!m) {
      if (last && line.trim() !== '' && line !== 'End of MIB') last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    const rest = m[2] as string;
    if (rest.startsWith('No more variables left in this MIB View')) {
      last = undefined;
      continue;
    }
    const typed = /^([A-Za-z0-9-]+): ?(.*)$/.exec(rest);
    last = typed ? { type: typed[1] as string, value: (typed[2] as string).trim() } : { type: rest.trim(), value: '' };
    out.set(m[1] as string, last);
  }
  return out;
}
