// A process's CPU time and memory as Linux reports them (/proc/<pid>/stat and status).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name: [0] is field 3 (state) of the whole line. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User plus system CPU seconds the process has used so far (its threads included). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/**
 * CPU seconds of a process and all its children so far: its own, the children it has waited for
 * (cutime and cstime, fields 16 and 17), and the live children's. A server that forks a process
 * per connection (PostgreSQL) is counted whole, its exited backends included. One level deep.
 */
export function treeCpuSeconds(pid: number): number {
  const own = statFields(pid);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const fields = statFields(Number(entry));
      // ppid is field 4 of the whole line.
      if (Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return ticks / CLOCK_TICKS_PER_S;
}

/** Resident set size now and its peak (VmHWM), in MB. */
export function memoryMb(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakRssMb: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/** CPU share of one core a process used between two readings. */
export function cpuShare(before: { cpuS: number; atMs: number }, after: { cpuS: number; atMs: number }): number {
  return (after.cpuS - before.cpuS) / ((after.atMs - before.atMs) / 1000);
}
