/** Forks reader processes (scripts/bench/reader_worker), talks to them, and makes sure each one ends. */
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTeardown } from './teardown.js';
import type { FromReader, MeasureWindow, ReaderResult, ReaderRole } from './reader_roles.js';

// .ts under tsx, .js once compiled: the worker sits beside this file either way; fork() passes tsx's loader on.
const WORKER = fileURLToPath(new URL(`./reader_worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const RESULT_TIMEOUT_MS = 30_000;

export class ReaderProcess {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, { resolve: (m: FromReader) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;
  private failure: Error | null = null;
  private readonly forget: () => void;
  /** Called for each { type: 'ack' } (paced latency runs of process.send). */
  onAck: (() => void) | null = null;

  private constructor(
    readonly label: string,
    role: ReaderRole,
  ) {
    // 'advanced' serialization: the process.send transport sends frames as Uint8Array through this very channel.
    this.child = fork(WORKER, [JSON.stringify(role)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.forget = onTeardown(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    });
    this.child.on('message', (m: FromReader) => this.dispatch(m));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.fail(new Error(`reader ${this.label} exited (${signal ?? `code ${code}`}) before it finished`));
        resolve();
      });
    });
    this.child.on('error', (err) => this.fail(new Error(`reader ${this.label}: ${err.message}`)));
  }

  /** Forks a reader and waits until it is attached and ready for frames. */
  static async start(label: string, role: ReaderRole): Promise<ReaderProcess> {
    const reader = new ReaderProcess(label, role);
    try {
      await reader.next('ready', READY_TIMEOUT_MS);
    } catch (err) {
      await reader.end();
      throw err;
    }
    return reader;
  }

  /** Asks for the counts inside window and waits for them. */
  async result(window: MeasureWindow): Promise<ReaderResult> {
    const reply = this.next('result', RESULT_TIMEOUT_MS);
    this.child.send({ type: 'stop', window });
    const m = await reply;
    return (m as { type: 'result'; result: ReaderResult }).result;
  }

  /** Ends the reader (it closes its ring or socket on the way) and waits for its exit. */
  async end(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      this.child.kill('SIGTERM');
      await this.exited;
      clearTimeout(killer);
    }
    this.forget();
  }

  private next(type: 'ready' | 'result', timeoutMs: number): Promise<FromReader> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(type);
        reject(new Error(`reader ${this.label} sent no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(type, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private dispatch(m: FromReader): void {
    if (m.type === 'ack') {
      this.onAck?.();
      return;
    }
    if (m.type === 'error') {
      this.fail(new Error(`reader ${this.label} failed: ${m.message}`));
      return;
    }
    const waiter = this.waiting.get(m.type);
    this.waiting.delete(m.type);
    waiter?.resolve(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
