/** Moves fixed-size frames from a file descriptor (a decoder's stdout pipe) into a frame ring on a native thread. */
import { EventEmitter } from 'node:events';
import { RingError, native } from './ring_error.js';
import type { FrameRingServer } from './frame_ring_server.js';
import { addon, type NativeRingPump } from './native_addon.js';
import { wholeNumber } from './options.js';
import { nativeServerOf } from './ring_server.js';

export interface PumpEnd {
  /** eof: the stream ended between frames; short-frame: inside a frame; error: read failed; stopped: stop() */
  reason: 'eof' | 'short-frame' | 'error' | 'stopped';
  message: string;
  partialBytes: number;
}

export interface RingPumpOptions {
  frameBytes?: number;
  width?: number;
  height?: number;
  slotId?: number;
  /** The frame number of the first frame read (default 0): a restarted source keeps counting. */
  firstFrameNumber?: number;
  /** Written into every frame's meta: how often the source restarted before this pump. */
  restarts?: number;
  /**
   * A second descriptor carrying each frame's presentation time as text lines `frame:<n> pts:<µs>` (what ffmpeg's
   * `settb=AVTB,metadata=mode=print` writes; see native/frame_time_channel.h). Without it, frames have no ptsUs.
   */
  timesFd?: number;
}

export interface PumpStats {
  frames: number;
  /** Frames read but not placed: every slot was held by readers. */
  drops: number;
  bytes: number;
  /** CLOCK_REALTIME µs of the last committed frame, 0 if none. */
  lastFrameUs: number;
}

/** A pipe for a child's stdout: the read end for a RingPump, the write end for the child's stdio. */
export function createPipe(opts?: { pipeBytes?: number }): { readFd: number; writeFd: number; pipeBytes: number } {
  return native(() => addon.createPipe(opts));
}

export function closeFd(fd: number): void {
  addon.closeFd(fd);
}

export class RingPump extends EventEmitter implements Disposable {
  private readonly pump: NativeRingPump;
  private started = false;

  /** Takes ownership of fd (and of opts.timesFd): the pump closes them when it ends. */
  constructor(server: FrameRingServer, fd: number, opts: RingPumpOptions = {}) {
    super();
    if (server.isClosed) throw new RingError('CLOSED', `ring '${server.name}' is closed`);
    const frameBytes = wholeNumber('frameBytes', opts.frameBytes ?? server.frameBytes, 1, server.frameBytes);
    this.pump = native(
      () =>
        new addon.RingPump(
          nativeServerOf(server),
          fd,
          {
            frameBytes,
            width: opts.width ?? server.width,
            height: opts.height ?? server.height,
            slotId: opts.slotId ?? 0,
            firstFrameNumber: opts.firstFrameNumber ?? 0,
            restarts: opts.restarts ?? 0,
            timesFd: opts.timesFd ?? -1,
          },
          (reason, message, partialBytes) => {
            if (reason !== 'stopped') this.emit('end', { reason, message, partialBytes } as PumpEnd);
          },
        ),
    );
  }

  start(): void {
    if (this.started) throw new RingError('INVALID_ARGUMENT', 'a pump starts once');
    this.started = true;
    native(() => this.pump.start());
  }

  /** Stops and joins the thread. Idempotent. */
  stop(): void {
    this.pump.stop();
  }

  /** stop(), for `using pump = new RingPump(…)`. */
  [Symbol.dispose](): void {
    this.stop();
  }

  stats(): PumpStats {
    const { frames, drops, bytes, lastFrameUs } = this.pump.stats();
    return { frames, drops, bytes, lastFrameUs };
  }
}
