/** Processes under a pid, from /proc: CPU (ns, every thread, schedstat), RSS and PSS, name. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  comm: string;
  /** Command line, for telling roles apart. */
  cmd: string;
  cpuNs: number;
  rssKiB: number;
  pssKiB: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function ppidOf(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** `root` and every process below it. */
export function treePids(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = ppidOf(Number(name));
    if (ppid === null) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(name));
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export function procInfo(pid: number): ProcInfo | null {
  const comm = read(`/proc/${pid}/comm`);
  if (comm === null) return null;
  let cpuNs = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`))
      cpuNs += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0);
  } catch {
    return null;
  }
  const status = read(`/proc/${pid}/status`) ?? '';
  const rollup = read(`/proc/${pid}/smaps_rollup`) ?? '';
  const kib = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    pid,
    comm: comm.trim(),
    cmd: (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim(),
    cpuNs,
    rssKiB: kib(status, 'VmRSS'),
    pssKiB: kib(rollup, 'Pss'),
  };
}

export function treeInfo(root: number): ProcInfo[] {
  return treePids(root)
    .map(procInfo)
    .filter((p): p is ProcInfo => p !== null);
}
