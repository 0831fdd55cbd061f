/** What the bench asks a reader process to do, and what the reader reports back (sent over the IPC channel). */
import type { FrameRingPars } from '../../src/shm/index.js';

export type ReaderRole =
  | { transport: 'framering'; pars: FrameRingPars; policy: 'latest' | 'every'; mode?: 'handler' | 'pull' | 'thread' }
  | { transport: 'process.send'; ack: boolean }
  | { transport: 'unix'; path: string; ack: boolean };

/** Receive times are monotonic µs (clock.ts): the window is the writer's measured span. */
export interface MeasureWindow {
  fromUs: number;
  toUs: number;
}

export interface ReaderResult {
  /** Every frame the reader got and checked. */
  received: number;
  /** Frames received inside the window. */
  inWindow: number;
  /** Frames whose marks disagreed (torn or stale). */
  torn: number;
  /** Frames the reader knows it missed (ring drop counts); null where the transport cannot lose frames. */
  dropped: number | null;
  /** Send → handler latencies of the frames inside the window, µs. */
  latency: { samples: number; p50: number; p99: number; max: number };
  /** framering only: the same measured with the slot's CLOCK_REALTIME commit stamp against performance.now(). */
  metaLatency?: { samples: number; p50: number; p99: number; max: number };
  /** CPU µs the reader process (all threads) spent per frame: what each extra reader costs the machine. */
  cpuUsPerFrame: number | null;
  /** --hops: percentiles of each hop of the trip (hop_recorder.ts). */
  hops?: Record<string, { samples: number; p50: number; p99: number; max: number }>;
}

export type ToReader = { type: 'stop'; window: MeasureWindow };
export type FromReader =
  | { type: 'ready' }
  | { type: 'ack' }
  | { type: 'result'; result: ReaderResult }
  | { type: 'error'; message: string };
