// CPU and memory of one process from /proc (Linux): CPU time from /proc/<pid>/stat (utime + stime, in clock ticks),
// resident memory from /proc/<pid>/status (VmRSS). CPU % needs two readings: the ticks used between them.

import { readFileSync } from 'node:fs';

// Linux's USER_HZ: 100 on every architecture Node runs on (sysconf(_SC_CLK_TCK) is not reachable from Node).
const TICKS_PER_SECOND = 100;

export interface UsageSample {
  cpuSeconds: number;
  rssBytes: number;
  atMs: number;
}

/** Null when the process is gone (or /proc is not there). */
export function sampleUsage(pid: number, nowMs = performance.now()): UsageSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rssKb * 1024, atMs: nowMs };
  } catch {
    return null;
  }
}

/** CPU % of one core between two samples (100 = one core busy). */
export function cpuPercent(before: UsageSample | null, after: UsageSample | null): number {
  if (!before || !after || after.atMs <= before.atMs) return 0;
  const pct = ((after.cpuSeconds - before.cpuSeconds) * 1000 * 100) / (after.atMs - before.atMs);
  return Math.max(0, Math.round(pct * 10) / 10);
}
