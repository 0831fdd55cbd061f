// What main1, main2 and main3 share: parse the command line, start the cameras, let the example build its
// processes, show the status line, stop on Ctrl-C / SIGTERM / --duration in the right order (the processes, which
// read the cameras' rings, before the cameras, which own them), print the summary, and check /dev/shm is clean.

import { accessSync, constants } from 'node:fs';
import { ensureDir } from '../../src/analysis/internal.js';
import { listSegments } from '../../src/shm/index.js';
import type { MessageProcess } from '../../src/process/index.js';
import { redactUrls } from '../../src/stream/index.js';
import type { AnalysisSettings, ProcessReport } from '../process_report.js';
import { emptyReport } from '../process_report.js';
import { parseArgs, usage, type ExampleOptions } from './args.js';
import { cameraStats, createCameras, startCameras, stopCameras, type Camera } from './cameras.js';
import { StatusLine } from './status_line.js';
import { formatJson, formatTable, summariseCamera, type ProcessSummary, type Summary } from './summary.js';
import { UsageError } from './usage_error.js';

/** An example process: any MessageProcess whose backend has report(final) (see ../process_report.ts). */
export type ReportingProcess = MessageProcess & { report(final?: boolean): Promise<ProcessReport> };

export interface TopologyContext {
  options: ExampleOptions;
  cameras: Camera[];
  /** Settings for the processes' analysis (pass them in the process options). */
  settings: AnalysisSettings;
  /** Registers a process for the status line, the summary, and for stopping if anything fails. Returns it. */
  adopt<T extends ReportingProcess>(p: T): T;
}

export interface Topology {
  /** Stops the example's processes in the right order. Default: all of them in parallel. */
  stop?(): Promise<void>;
}

/** Builds an example's processes; one that returns nothing leaves stopping them to the runtime. */
export type BuildTopology = (ctx: TopologyContext) => Promise<Topology | undefined> | Promise<void>;

const STATUS_INTERVAL_MS = 1000;
const REPORT_TIMEOUT_MS = 5000;
const FAULT_REPEAT_MS = 30_000;

export async function runExample(program: string, build: BuildTopology): Promise<void> {
  let options: ExampleOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(
      `${program}: ${err.message}\n${usage(program).split('\n')[0]}\n(run with --help for details)\n`,
    );
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage(program)}\n`);
    return;
  }
  try {
    // Checked here so that an unwritable --out is one clear line, not a failed process start.
    ensureDir(options.outDir);
    accessSync(options.outDir, constants.W_OK);
  } catch (err) {
    process.stderr.write(
      `${program}: cannot write snapshots to ${options.outDir} ` +
        `(${(err as NodeJS.ErrnoException).code ?? oneLine(err)}): pick another folder with --out DIR\n`,
    );
    process.exit(2);
  }
  const code = await new ExampleRun(program, options).run(build);
  // Let stdout drain into a pipe before leaving.
  process.stdout.write('', () => process.exit(code));
}

interface Adopted {
  process: ReportingProcess;
  last: ProcessReport;
  exited?: string;
}

class ExampleRun {
  private readonly status = new StatusLine();
  private readonly adopted: Adopted[] = [];
  private cameras: Camera[] = [];
  private stopReason: string | null = null;
  private wake: (() => void) | null = null;
  private signals = 0;
  private failed = false;
  private readonly childPids = new Set<number>();
  private readonly lastFault = new Map<string, { message: string; atMs: number }>();

  constructor(
    private readonly program: string,
    private readonly options: ExampleOptions,
  ) {}

  async run(build: BuildTopology): Promise<number> {
    this.installSignals();
    const o = this.options;
    this.status.log(
      `${this.program}: ${o.cameras.length} camera(s) at ${o.width}x${o.height} @ ${o.fps} fps: ` +
        `${o.cameras.map((c) => `${c.name}=${c.label}`).join(', ')}` +
        (o.durationS ? `; stopping after ${o.durationS} s` : '; Ctrl-C to stop'),
    );
    const settings: AnalysisSettings = { outDir: o.outDir, snapshotIntervalMs: Math.round(o.snapshotIntervalS * 1000) };
    let topology: Topology | undefined;
    let startedMs = Date.now();
    try {
      // Rings first (the servers), then the processes that attach to them (the clients), then frames.
      this.cameras = createCameras(o, {
        onFault: (camera, err) => this.fault(camera, err.message),
      });
      const ctx: TopologyContext = { options: o, cameras: this.cameras, settings, adopt: (p) => this.adopt(p) };
      if (!this.stopReason) topology = (await build(ctx)) || undefined;
      if (!this.stopReason) await startCameras(this.cameras);
      // --duration counts from here: everything is running.
      startedMs = Date.now();
    } catch (err) {
      this.failed = true;
      this.status.log(`${this.program}: ${oneLine(err)}`);
      this.stopReason ??= 'error';
    }

    if (!this.stopReason) await this.watch(startedMs);
    this.status.clear();
    if (!this.failed) this.status.log(`${this.program}: stopping (${this.stopReason})`);

    // Last counts first (snapshots flushed), while every process still runs.
    await this.refreshReports(true);
    // Readers before writers: the processes (readers of the cameras' rings) first, then the cameras.
    try {
      if (topology?.stop) await topology.stop();
      else await this.stopProcesses();
    } catch (err) {
      this.failed = true;
      this.status.log(`${this.program}: stopping the processes failed: ${oneLine(err)}`);
      await this.stopProcesses();
    }
    await stopCameras(this.cameras);
    const endMs = Date.now();

    const summary: Summary = {
      program: this.program,
      seconds: (endMs - startedMs) / 1000,
      snapshotDir: o.outDir,
      cameras: this.cameras.map((c) => summariseCamera(c, cameraStats(c), endMs)),
      processes: this.adopted.map((a): ProcessSummary => (a.exited ? { ...a.last, exited: a.exited } : a.last)),
    };
    const left = this.leftInShm();
    if (left.length > 0) {
      this.failed = true;
      this.status.log(`${this.program}: left in /dev/shm: ${left.join(', ')} (remove with: npm run cleanup)`);
    }
    process.stdout.write(`${formatTable(summary)}\n`);
    if (o.json) process.stdout.write(`${formatJson(summary)}\n`);
    return this.failed ? 1 : 0;
  }

  /** A camera's fault, once per distinct message per 30 s: a dead camera retried every few seconds stays quiet. */
  private fault(camera: Camera, message: string): void {
    if (this.stopReason) return;
    const last = this.lastFault.get(camera.name);
    const now = Date.now();
    if (last && last.message === message && now - last.atMs < FAULT_REPEAT_MS) return;
    this.lastFault.set(camera.name, { message, atMs: now });
    this.status.log(`${camera.name}: ${redactUrls(message)} (retrying; the status line shows its state)`);
  }

  private adopt<T extends ReportingProcess>(p: T): T {
    const entry: Adopted = { process: p, last: emptyReport(p.name) };
    this.adopted.push(entry);
    p.on('exit', (info) => {
      if (p.pid) this.childPids.add(p.pid);
      if (info.requested) return;
      entry.exited = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
      this.failed = true;
      this.status.log(
        `${this.program}: process ${p.name} ${entry.exited}${info.error ? `: ${info.error.message}` : ''}; stopping`,
      );
      // The process layer removed the rings the dead process could not close; say which.
      if (info.removedRings.length > 0)
        this.status.log(`${this.program}: removed the rings ${p.name} left: ${info.removedRings.join(', ')}`);
      this.requestStop(`process ${p.name} ended`);
    });
    return p;
  }

  /** Redraws the status line until --duration ends or a stop is requested. */
  private async watch(startedMs: number): Promise<void> {
    const endMs = this.options.durationS ? startedMs + this.options.durationS * 1000 : Infinity;
    while (!this.stopReason) {
      const waitMs = Math.min(STATUS_INTERVAL_MS, endMs - Date.now());
      if (waitMs <= 0) {
        this.stopReason = `--duration ${this.options.durationS} s reached`;
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
      if (this.stopReason) break;
      await this.refreshReports(false);
      this.status.update(this.statusText(startedMs));
    }
  }

  private statusText(startedMs: number): string {
    const cams = this.cameras.map((c) => {
      const s = cameraStats(c);
      const state = s.state === 'streaming' ? '' : ` ${s.state}`;
      const restarts = s.restarts > 0 ? ` ${s.restarts} restarts` : '';
      return `${c.name}${state} ${s.deliveredFps.toFixed(1)} fps ${s.droppedFrames} drop${restarts}`;
    });
    const procs = this.adopted.map((a) => {
      const r = a.last;
      const extra = r.replies > 0 ? ` ${r.replies} replies` : r.motionFrames > 0 ? ` ${r.motionFrames} motion` : '';
      return `${a.process.name} ${r.frames} fr${extra}${a.exited ? ' EXITED' : ''}`;
    });
    return `${((Date.now() - startedMs) / 1000).toFixed(0)}s | ${cams.join(' | ')} || ${procs.join(' | ')}`;
  }

  private async refreshReports(final: boolean): Promise<void> {
    const refresh = async (a: Adopted): Promise<void> => {
      if (a.process.state !== 'running') return;
      if (a.process.pid) this.childPids.add(a.process.pid);
      try {
        a.last = await withTimeout(a.process.backend.report(final), REPORT_TIMEOUT_MS);
      } catch {
        // A busy or dying process: keep its last counts.
      }
    };
    if (!final) {
      await Promise.all(this.adopted.map(refresh));
      return;
    }
    // The final counts one process after the other, the last adopted first: examples adopt upstream processes (the
    // master) before downstream ones (its clients), so what a client counts as received is taken before what the
    // master counts as sent, and never exceeds it.
    for (const a of [...this.adopted].reverse()) await refresh(a);
  }

  private async stopProcesses(): Promise<void> {
    const running = this.adopted.map((a) => a.process).filter((p) => p.state !== 'exited');
    for (const p of running) p.requestStop();
    await Promise.allSettled(running.map((p) => p.waitStop()));
  }

  private requestStop(reason: string): void {
    this.stopReason ??= reason;
    this.wake?.();
  }

  private installSignals(): void {
    let firstAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      // `npm run` forwards the terminal's Ctrl-C to us, which the terminal also sent: one key press, two signals.
      if (this.signals === 1 && Date.now() - firstAt < 500) return;
      this.signals++;
      if (this.signals === 1) {
        firstAt = Date.now();
        this.requestStop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
      } else if (this.signals === 2) {
        this.status.log(`${this.program}: already stopping; ${signal} once more to quit at once`);
      } else {
        // Forked children exit when we go; rings are unlinked by the exit handlers of their owners.
        process.exit(130);
      }
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  }

  /**
   * Segments this run created that are still in /dev/shm: ours (the cameras') and our children's. None should be:
   * the cameras unlinked theirs on stop, the children on exit, and a killed child's were removed by the process layer.
   */
  private leftInShm(): string[] {
    const cameraRings = new Set(this.cameras.map((c) => c.ring));
    return listSegments()
      .filter((s) => cameraRings.has(s.name) || s.writerPid === process.pid || this.childPids.has(s.writerPid))
      .map((s) => s.segment);
  }
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? `${err.message}` : String(err);
  // Redact first, then cut: a cut could split a secret so that it no longer matches.
  return redactUrls(message).split('\n')[0]!;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
