// Killing a backend together with everything it started. The backend leads a process group of its own (it is
// forked detached), so one signal to the group reaches it and the children it left in that group; children it put
// into groups of their own (a LiveStream's ffmpeg) are found through /proc while they are still its descendants.

import { readdirSync, readFileSync } from 'node:fs';

interface Stat {
  ppid: number;
  pgid: number;
}

function statOf(pid: number): Stat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** Pids of every live descendant of `root` (children, their children…), read from /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = statOf(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    for (const child of children.get(queue.pop()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * SIGKILLs the group led by `leader` and every descendant of it, with the groups they lead. Freezes first
 * (SIGSTOP), so nobody forks a new child between the look at /proc and the kill. Never signals our own group.
 */
export function killProcessTree(leader: number): void {
  const ownGroup = statOf(process.pid)?.pgid;
  const groups = new Set<number>();
  if (leader !== ownGroup) groups.add(leader);
  for (const g of groups) signal(-g, 'SIGSTOP');
  signal(leader, 'SIGSTOP');
  const members = descendantsOf(leader);
  for (const pid of members) {
    const pgid = statOf(pid)?.pgid;
    // A descendant leading its own group (spawned detached) takes its whole group along.
    if (pgid === pid && pgid !== ownGroup) groups.add(pgid);
    signal(pid, 'SIGSTOP');
  }
  for (const g of groups) signal(-g, 'SIGKILL');
  signal(leader, 'SIGKILL');
  for (const pid of members) signal(pid, 'SIGKILL');
}
