/**
 * Loads build/Release/framering.node, from the sources (tsx, vitest) and from the compiled dist/ alike.
 * FRAMERING_ADDON picks another build (absolute or relative to the package root), e.g. the AddressSanitizer one:
 * build-asan/Release/framering.node (npm run build:asan).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeLayout {
  slotCount: number;
  slotBytes: number;
  slotStride: number;
  width: number;
  height: number;
  format: 'rgb24' | 'bgr24' | 'gray8' | 'data';
  blocking: boolean;
  writerPid: number;
  totalBytes: number;
  /** When the ring was made (µs since the epoch): with its name, it tells a ring from one made again later. */
  createdUs: number;
}

export interface NativeRingServer {
  buffer(): ArrayBuffer;
  layout(): NativeLayout;
  lend(): number;
  commit(index: number, bytes?: number, meta?: object): number;
  abandon(index: number): void;
  /** waitMs: how long a blocking ring may wait (capped natively); 0 waits not and counts no drop. */
  write(bytes: Uint8Array, meta?: object, waitMs?: number): number;
  reclaimDeadReaders(): void;
  stats(): {
    written: number;
    writerDrops: number;
    readers: Array<{ pid: number; policy: 'latest' | 'every'; delivered: number; dropped: number; held: number }>;
  };
  close(unlink?: boolean): void;
}

/** A client's counts (RingClient.stats()). */
export interface RingClientStats {
  /** Frames or messages handed to this client. */
  delivered: number;
  /** Frames or messages this client missed (`latest`: skipped; `every`: evicted by a non-blocking writer). */
  dropped: number;
  /** Slots this client holds now. */
  held: number;
  /** Slots the writer has committed in all. */
  written: number;
  /** Liveness looks made: one per quiet period (250 ms without a frame); a reader fed more often makes none. */
  livenessLooks: number;
}

export interface NativeRingClient {
  buffer(): ArrayBuffer;
  layout(): NativeLayout;
  /**
   * The Float64Array each take of a frame writes its meta into (order: seq, bytes, timestampUs, frameNumber, width,
   * height, slotId, droppedBefore, ptsUs (NaN: none), restarts, format tag — MetaField in native/ring_client.cc).
   */
  metaArray(): Float64Array;
  /** Index of a frame taken now (meta in the array), or -1. */
  tryAcquire(): number;
  /** Takes slot `index` if it still holds frame `seq` (a reference passed on by another process), else -1. */
  tryAcquireSlot(index: number, seq: number): number;
  /** Index of a frame taken within timeoutMs (meta in the array), or -1; throws WRITER_GONE. */
  pull(timeoutMs: number): number;
  release(index: number): void;
  /** callback(index) per frame with its meta in metaArray(); callback(-1, why) once when the writer is gone. */
  start(callback: (index: number, goneReason?: string) => void): void;
  /** Takes the next ready frame on this thread (index, meta in the array), or re-arms the waiter and returns -1. */
  next(takeHere?: boolean): number;
  stats(): RingClientStats;
  writerStatus(): string | null;
  /** How frames reach the handler: 'doorbell' (the event loop polls a per-reader socket) or 'thread'. */
  wakeup(): 'doorbell' | 'thread';
  close(): void;
}

export interface NativeRingPump {
  start(): void;
  stop(): void;
  stats(): { frames: number; drops: number; bytes: number; lastFrameUs: number };
}

export interface NativeSegmentInfo {
  /** 'ring', or what else sits at the name: 'fifo', 'symlink', 'directory', 'socket', 'device'. */
  kind: 'ring' | 'fifo' | 'symlink' | 'directory' | 'socket' | 'device';
  valid: boolean;
  problem: string;
  writerPid: number;
  writerAlive: boolean;
  closed: boolean;
  bytes: number;
  ageMs: number;
  format: 'rgb24' | 'bgr24' | 'gray8' | 'data' | 'unknown';
  slots: number;
  width: number;
  height: number;
  readers: number;
  version: number;
  uid: number;
  mode: number;
}

export interface NativeAddon {
  RingServer: new (opts: object) => NativeRingServer;
  RingClient: new (opts: object) => NativeRingClient;
  RingPump: new (
    server: NativeRingServer,
    fd: number,
    opts: object,
    onEnd: (reason: string, message: string, partialBytes: number) => void,
  ) => NativeRingPump;
  createPipe(opts?: { pipeBytes?: number }): { readFd: number; writeFd: number; pipeBytes: number };
  closeFd(fd: number): void;
  inspectSegment(segmentName: string): NativeSegmentInfo;
  /** Removes a ring nobody serves (claims its writer lock first); { removed: false, why } otherwise. */
  removeStaleSegment(segmentName: string, force?: boolean): { removed: boolean; why: string };
  /** Lets a blocking pull() end (INTERRUPTED) when SIGTERM, SIGINT or SIGHUP arrives. */
  watchTerminationSignals(): void;
  clearTerminationSignal(): void;
  /** The termination signal that interrupted a pull() (its number; 0: none), cleared by this call. */
  takeTerminationSignal(): number;
  segmentNameFor(name: string): string;
  maxReaders: number;
  segmentPrefix: string;
  /** The limits the native side enforces (native/ring_layout.h). */
  limits: { maxDimension: number; maxSlots: number; maxReaders: number; layoutVersion: number };
  layoutOffsets: {
    slotCount: number;
    slotBytes: number;
    readers: number;
    readerEntryBytes: number;
    readerPid: number;
    readerToken: number;
    readerInUse: number;
    futexes: number;
    counters: number;
    headerBytes: number;
    slotMetaBytes: number;
    slotHoldMask: number;
    writerLockByte: number;
    readerLockByte: number;
  };
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'CMakeLists.txt'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`framering: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

function load(): NativeAddon {
  const chosen = process.env.FRAMERING_ADDON;
  const path = chosen ? resolve(packageRoot(), chosen) : join(packageRoot(), 'build', 'Release', 'framering.node');
  if (chosen && !existsSync(path))
    throw new Error(`framering: FRAMERING_ADDON names ${path}, which does not exist (npm run build:asan?)`);
  if (!existsSync(path))
    throw new Error(
      `framering: the native addon is not built (${path} is missing); ` +
        `run \`npm install\` or \`npm run build:native\` ` +
        '(needs cmake and a C++17 compiler)',
    );
  return createRequire(import.meta.url)(path) as NativeAddon;
}

export const addon: NativeAddon = load();
