/**
 * One MJPEG viewer (multipart/x-mixed-replace). It writes the feed's shared JPEG buffers (never a copy, never an
 * encode of its own), paced at the viewer's own fps. A viewer that reads slowly drops frames instead of queueing
 * them: a frame is written only while the socket has less than `maxBufferedBytes` waiting, so a stalled client holds
 * at most about one frame; one that takes nothing for `stallTimeoutMs` is disconnected.
 */
import type { ServerResponse } from 'node:http';
import type { Feed, JpegPicture } from './jpeg/encoder_host.js';

export const BOUNDARY = 'framering-frame';

export interface MjpegClientOptions {
  fps: number;
  maxBufferedBytes?: number;
  stallTimeoutMs?: number;
}

export class MjpegClient {
  sent = 0;
  dropped = 0;
  private readonly intervalMs: number;
  private nextDueMs = 0;
  private readonly maxBuffered: number;
  private readonly stallTimeoutMs: number;
  private behindSinceMs: number | null = null;
  private closed = false;
  private readonly onJpeg = (p: JpegPicture): void => this.offer(p);

  constructor(
    private readonly res: ServerResponse,
    private readonly feed: Feed,
    opts: MjpegClientOptions,
    private readonly onClose: (c: MjpegClient) => void,
  ) {
    this.intervalMs = 1000 / opts.fps;
    this.maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 30_000;
    res.writeHead(200, {
      'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      'cache-control': 'no-cache, no-store, must-revalidate',
      pragma: 'no-cache',
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    res.on('close', () => this.close());
    feed.on('jpeg', this.onJpeg);
    if (feed.latest && Date.now() - feed.latest.atMs < 2_000) this.offer(feed.latest);
  }

  /** Bytes written to this client and not yet taken by the kernel. */
  get buffered(): number {
    return this.res.writableLength + (this.res.socket?.writableLength ?? 0);
  }

  private offer(p: JpegPicture): void {
    if (this.closed) return;
    const now = Date.now();
    if (now < this.nextDueMs - this.intervalMs / 4) return; // faster than this viewer asked: not its frame
    if (this.buffered > Math.max(this.maxBuffered - p.data.length, 0)) {
      this.dropped++;
      this.behindSinceMs ??= now;
      if (now - this.behindSinceMs > this.stallTimeoutMs) this.res.destroy();
      return;
    }
    this.behindSinceMs = null;
    this.nextDueMs = Math.max(this.nextDueMs + this.intervalMs, now - this.intervalMs / 2);
    const head =
      `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${p.data.length}\r\n` +
      `X-Frame-Number: ${p.frameNumber}\r\n\r\n`;
    const sock = this.res.socket;
    sock?.cork();
    this.res.write(head);
    this.res.write(p.data);
    this.res.write('\r\n');
    if (sock) process.nextTick(() => sock.uncork());
    this.sent++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.off('jpeg', this.onJpeg);
    if (!this.res.destroyed) this.res.destroy();
    this.onClose(this);
  }
}
