/**
 * The HTTP side's handle on the JPEG encoder child: forks it, keeps the feeds MJPEG clients share (one per camera,
 * height and quality, at the fastest rate any of its clients asks), asks it for snapshots, and restarts it if it dies.
 * Only JPEG bytes reach this process: its event loop never touches pixels.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Box } from '../../service_view.js';
import { HttpError } from '../errors.js';
import type { FromEncoder, ToEncoder } from './protocol.js';

export interface JpegPicture {
  data: Buffer;
  frameNumber: number;
  width: number;
  height: number;
}

/** One shared MJPEG feed: every client of the same (camera, height, quality) gets the same encoded bytes. */
export class Feed extends EventEmitter {
  latest: (JpegPicture & { atMs: number }) | null = null;
  /** fps wanted by each subscriber. */
  readonly wants = new Map<object, number>();
  constructor(
    readonly id: string,
    readonly camera: string,
    readonly ring: string,
    readonly height: number,
    readonly quality: number,
  ) {
    super();
    this.setMaxListeners(0);
  }
  get fps(): number {
    let max = 0;
    for (const f of this.wants.values()) max = Math.max(max, f);
    return max;
  }
}

interface PendingSnap {
  resolve: (p: JpegPicture) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const SNAP_TIMEOUT_MS = 5_000;
const MAX_PENDING_SNAPS = 64;

function childPath(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const path = fileURLToPath(new URL(`./jpeg_child${ext}`, import.meta.url));
  // TypeScript (tsx, vitest) needs the tsx loader in the child, resolved from this package.
  const execArgv = ext === '.ts' ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return { path, execArgv };
}

export class EncoderHost {
  private child: ChildProcess | null = null;
  private readonly feeds = new Map<string, Feed>();
  private readonly snaps = new Map<number, PendingSnap>();
  private nextReq = 1;
  private closed = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private encodedBase = 0;
  /** Totals reported by the child (for /metrics). */
  stats = { encoded: 0, skipped: 0, readers: 0, restarts: 0, pid: null as number | null };

  start(): void {
    if (this.child || this.closed) return;
    const { path, execArgv } = childPath();
    const child = fork(path, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.stats.pid = child.pid ?? null;
    child.on('message', (m: FromEncoder) => this.onMessage(m));
    child.on('error', () => {});
    child.once('exit', () => {
      if (this.child !== child) return;
      this.child = null;
      this.stats.pid = null;
      // Totals survive a restart of the child (its own count starts again at 0).
      this.encodedBase = this.stats.encoded;
      for (const [req, s] of this.snaps)
        this.failSnap(req, s, new HttpError(503, 'ENCODER_RESTARTING', 'the JPEG encoder restarted; try again'));
      if (!this.closed) {
        this.stats.restarts++;
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.start();
          for (const f of this.feeds.values()) this.sendFeed(f);
        }, 500);
      }
    });
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Subscribes `who` to the feed of (camera, height, quality) at `fps`; returns the feed (shared). */
  subscribe(who: object, camera: string, ring: string, height: number, quality: number, fps: number): Feed {
    const id = `${camera}\u0000${height}\u0000${quality}`;
    let feed = this.feeds.get(id);
    if (!feed) {
      feed = new Feed(id, camera, ring, height, quality);
      this.feeds.set(id, feed);
    }
    const before = feed.fps;
    feed.wants.set(who, fps);
    if (feed.fps !== before) this.sendFeed(feed);
    return feed;
  }

  unsubscribe(who: object, feed: Feed): void {
    const before = feed.fps;
    if (!feed.wants.delete(who)) return;
    if (feed.wants.size === 0) {
      this.feeds.delete(feed.id);
      this.send({ t: 'unfeed', id: feed.id });
    } else if (feed.fps !== before) this.sendFeed(feed);
  }

  /** One JPEG of the camera's next frame (or of the feed's, when one of that size is fresh). */
  snapshot(camera: string, ring: string, height: number, quality: number, boxes: Box[] | null): Promise<JpegPicture> {
    if (!boxes) {
      const fresh = this.feeds.get(`${camera}\u0000${height}\u0000${quality}`)?.latest;
      if (fresh && Date.now() - fresh.atMs < 500) return Promise.resolve(fresh);
    }
    if (this.snaps.size >= MAX_PENDING_SNAPS)
      return Promise.reject(new HttpError(503, 'BUSY', 'too many snapshots in progress; try again shortly'));
    if (!this.child)
      return Promise.reject(new HttpError(503, 'ENCODER_RESTARTING', 'the JPEG encoder is restarting; try again'));
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.failSnap(
            req,
            this.snaps.get(req),
            new HttpError(503, 'NO_FRAME', `camera '${camera}' delivered no frame within ${SNAP_TIMEOUT_MS / 1000} s`),
          ),
        SNAP_TIMEOUT_MS,
      );
      this.snaps.set(req, { resolve, reject, timer });
      this.send({ t: 'snap', req, ring, height, quality, boxes });
    });
  }

  get pendingSnaps(): number {
    return this.snaps.size;
  }

  get feedCount(): number {
    return this.feeds.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const [req, s] of this.snaps) this.failSnap(req, s, new HttpError(503, 'STOPPED', 'the service is stopping'));
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    this.send({ t: 'stop' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(kill);
    this.child = null;
  }

  private sendFeed(feed: Feed): void {
    this.send({ t: 'feed', id: feed.id, ring: feed.ring, height: feed.height, quality: feed.quality, fps: feed.fps });
  }

  private send(msg: ToEncoder): void {
    const child = this.child;
    if (child?.connected) child.send(msg, (err) => void err);
  }

  private failSnap(req: number, s: PendingSnap | undefined, err: Error): void {
    if (!s) return;
    clearTimeout(s.timer);
    this.snaps.delete(req);
    s.reject(err);
  }

  private onMessage(m: FromEncoder): void {
    switch (m.t) {
      case 'jpeg': {
        const feed = this.feeds.get(m.id);
        if (!feed) return;
        const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
        feed.latest = { data, frameNumber: m.frameNumber, width: m.width, height: m.height, atMs: Date.now() };
        feed.emit('jpeg', feed.latest);
        return;
      }
      case 'snap': {
        const s = this.snaps.get(m.req);
        if (!s) return;
        clearTimeout(s.timer);
        this.snaps.delete(m.req);
        s.resolve({
          data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
          frameNumber: m.frameNumber,
          width: m.width,
          height: m.height,
        });
        return;
      }
      case 'snap-error':
        this.failSnap(
          m.req,
          this.snaps.get(m.req),
          new HttpError(503, m.code === 'TIMEOUT' ? 'NO_FRAME' : m.code, m.message),
        );
        return;
      case 'stats':
        this.stats.encoded = this.encodedBase + m.encoded;
        this.stats.skipped = m.skipped;
        this.stats.readers = m.readers;
        return;
      default:
        return;
    }
  }
}
