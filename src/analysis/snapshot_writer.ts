// Snapshots: JPEG files written with sharp into an output folder, at most one per camera per `minIntervalMs`.
// Encoding runs on sharp's worker threads; writes still in flight are awaited by flush() before the process ends,
// so a stopped process never leaves half a file. sharp (libvips, ~10 MiB of RSS) is loaded at the first snapshot,
// not when this module is imported: most processes that import the analysis never write one.

import { join } from 'node:path';
import type { Sharp, SharpOptions } from 'sharp';
import type { PixelFormat } from '../shm/pixel_format.js';
import { ensureDir } from './ensure_dir.js';
import { AnalysisError } from './analysis_error.js';

type SharpFactory = (input: Uint8Array, options: SharpOptions) => Sharp;
let sharpLoading: Promise<SharpFactory> | undefined;
function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= import('sharp').then((m) => m.default as unknown as SharpFactory);
  return sharpLoading;
}

export interface SnapshotWriterOptions {
  /** Folder for the files (created if missing). */
  dir: string;
  /** At most one snapshot per camera per this many ms (default 5000). */
  minIntervalMs?: number;
  /** JPEG quality 1-100 (default 80). */
  quality?: number;
}

export class SnapshotWriter {
  readonly dir: string;
  readonly minIntervalMs: number;
  readonly quality: number;
  private readonly lastAt = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  written = 0;
  failed = 0;
  lastError: string | undefined;

  constructor(options: SnapshotWriterOptions) {
    this.dir = options.dir;
    this.minIntervalMs = options.minIntervalMs ?? 5000;
    this.quality = options.quality ?? 80;
    if (!(this.minIntervalMs >= 0))
      throw new AnalysisError('INVALID_ARGUMENT', `minIntervalMs must be ≥ 0, got ${this.minIntervalMs}`);
    ensureDir(this.dir);
  }

  /** True when `camera` may have a snapshot now (checking costs nothing; use it before copying a frame). */
  due(camera: string, nowMs = Date.now()): boolean {
    const last = this.lastAt.get(camera);
    return last === undefined || nowMs - last >= this.minIntervalMs;
  }

  /**
   * Writes `pixels` (width × height in `pixelFormat`, RGB24 by default; a buffer the caller no longer touches) as
   * <dir>/<camera>-<tag>.jpg if the camera is due; returns null when rate-limited, else a promise of the path once
   * the file is complete. The promise never rejects: a failed write resolves to null and is counted in `failed` /
   * `lastError`.
   */
  write(
    camera: string,
    tag: string | number,
    pixels: Uint8Array,
    width: number,
    height: number,
    nowMs = Date.now(),
    pixelFormat: PixelFormat = 'rgb24',
  ): Promise<string | null> | null {
    if (!this.due(camera, nowMs)) return null;
    this.lastAt.set(camera, nowMs);
    const path = join(this.dir, `${safe(camera)}-${safe(String(tag))}.jpg`);
    const channels = pixelFormat === 'gray8' ? 1 : 3;
    const job = loadSharp()
      .then((sharp) => {
        const image = sharp(pixels, { raw: { width, height, channels } });
        // sharp reads raw bytes as RGB: bgr24's channels are swapped back first.
        if (pixelFormat === 'bgr24')
          image.recomb([
            [0, 0, 1],
            [0, 1, 0],
            [1, 0, 0],
          ]);
        return image.jpeg({ quality: this.quality }).toFile(path);
      })
      .then(
        (): string => {
          this.written++;
          return path;
        },
        (err: unknown): null => {
          this.failed++;
          this.lastError = `snapshot ${path}: ${err instanceof Error ? err.message : String(err)}`;
          return null;
        },
      );
    this.inFlight.add(job);
    void job.then(() => this.inFlight.delete(job));
    return job;
  }

  /** Waits for every write in flight. */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/** File names from camera names and tags: keep them to a portable character set. */
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}
