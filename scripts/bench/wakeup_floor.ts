/**
 * The wakeup floor (issue 13 section 1): scripts/bench/wakeup_floor.c, compiled at bench time with the system cc,
 * times a paced writer waking a reader asleep in the kernel, in C: a futex (what a blocking pull() sleeps on) or a
 * Unix datagram socket under epoll (a doorbell before Node's event loop). Run in the latency rounds, beside the
 * framering runs, with the two processes pinned across CPUs or onto one: waking a reader on an idle CPU of this VM
 * costs the hypervisor's wakeup of a halted vCPU, which no user-space path can go under.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileBenchC } from './compile_c.js';
import type { Row } from './rows.js';

export type FloorPlacement = 'across CPUs' | 'same CPU';

let binary: Promise<string> | null = null;

function compiled(): Promise<string> {
  binary ??= compileBenchC('wakeup_floor', mkdtempSync(join(tmpdir(), 'framering-wakeup-floor-')));
  return binary;
}

/** CPUs for the writer and the reader; null when the machine has one CPU (nothing to place across). */
export function placementCpus(placement: FloorPlacement): [number, number] | null {
  if (placement === 'same CPU') return [0, 0];
  // cpus(), not availableParallelism(): the latter is this process's affinity, which a pinned run narrows.
  return cpus().length >= 2 ? [0, 1] : null;
}

/** Pins every thread of `pid` to `cpu` (taskset), or back to every CPU with null. */
export function pinProcess(pid: number, cpu: number | null): void {
  const list = cpu === null ? `0-${cpus().length - 1}` : String(cpu);
  const r = spawnSync('taskset', ['-a', '-pc', list, String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not pin pid ${pid} to CPU ${list}`);
}

export async function wakeupFloorLatency(o: {
  name: string;
  kind: 'futex' | 'socket';
  placement: FloorPlacement;
  rate: number;
  seconds: number;
}): Promise<Row> {
  const pair = placementCpus(o.placement);
  if (!pair) throw new Error('one CPU: nothing to place across');
  const exe = await compiled();
  // The writer (the parent) on the first CPU; the reader (forked) re-pins itself to the second.
  const { stdout } = await promisify(execFile)('taskset', [
    '-c',
    String(pair[0]),
    exe,
    o.kind,
    String(o.rate),
    String(o.seconds),
    String(pair[1]),
  ]);
  const [samples, p50, p99] = stdout.trim().split(/\s+/).map(Number);
  if (!samples) throw new Error(`wakeup floor gave no samples: '${stdout.trim()}'`);
  return {
    name: o.name,
    section: 'latency',
    transport: `C ${o.kind}`,
    bytes: 8,
    frames_per_s: o.rate,
    p50_us: p50!,
    p99_us: p99!,
    samples,
    placement: o.placement,
  };
}
