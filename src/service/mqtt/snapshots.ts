// Snapshots for <prefix>/<camera>/<label>/snapshot: the camera's next frame, read from its ring by a short-lived
// reader in the service process, the object's box drawn, scaled down and encoded to JPEG on sharp's threads.
// At most one per camera and label per interval, and at most one grab per camera at a time: bounded work.

import sharp from 'sharp';
import { drawBoxes, lineWidthFor } from '../../analysis/index.js';
import { FrameRingClient } from '../../shm/index.js';
import type { Box } from '../service_view.js';

const GRAB_TIMEOUT_MS = 2_000;

export interface SnapshotOptions {
  intervalMs: number;
  height: number;
  quality: number;
}

export class SnapshotGrabber {
  private readonly lastAt = new Map<string, number>();
  private readonly busy = new Set<string>();
  private closed = false;
  taken = 0;
  failed = 0;

  constructor(private readonly opts: SnapshotOptions) {}

  /** True when a snapshot of this camera and label may be taken now. */
  due(camera: string, label: string, now = Date.now()): boolean {
    if (this.closed || this.busy.has(camera)) return false;
    const at = this.lastAt.get(`${camera}\0${label}`);
    return at === undefined || now - at >= this.opts.intervalMs;
  }

  /** The JPEG of the camera's next frame with `box` drawn, or null (no frame in time, or stopped). */
  async grab(camera: string, label: string, ring: string, box: Box): Promise<Buffer | null> {
    if (!this.due(camera, label)) return null;
    this.lastAt.set(`${camera}\0${label}`, Date.now());
    this.busy.add(camera);
    let client: FrameRingClient | null = null;
    try {
      client = FrameRingClient.open(ring, { policy: 'latest' });
      const c = client;
      const frame = await new Promise<{ rgb: Uint8Array; width: number; height: number } | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), GRAB_TIMEOUT_MS);
        c.onFrame((f) => {
          clearTimeout(timer);
          resolve({ rgb: f.copy(), width: f.meta.width, height: f.meta.height });
        });
      });
      client.close();
      client = null;
      if (!frame || this.closed) return null;
      drawBoxes(frame.rgb, frame.width, frame.height, [box], undefined, lineWidthFor(frame.width));
      const height = Math.min(this.opts.height, frame.height);
      const jpeg = await sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
        .resize({ height })
        .jpeg({ quality: this.opts.quality })
        .toBuffer();
      this.taken++;
      return jpeg;
    } catch {
      this.failed++;
      return null;
    } finally {
      client?.close();
      this.busy.delete(camera);
    }
  }

  close(): void {
    this.closed = true;
  }
}
