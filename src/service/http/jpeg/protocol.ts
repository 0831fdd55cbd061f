/**
 * Messages between the HTTP process and its JPEG encoder child (jpeg_child.ts). The child reads camera rings with
 * policy 'latest' and encodes only what the parent asks for: continuous feeds (one per camera, height and quality,
 * shared by every MJPEG client of that size) and one-shot snapshots (latest.jpg).
 */
import type { FrameringErrorCode } from '../../../errors/index.js';
import type { Box } from '../../service_view.js';

/** Parent → child. */
export type ToEncoder =
  /** Start or update a continuous feed; `fps` is the fastest rate any of its clients wants. */
  | { t: 'feed'; id: string; ring: string; height: number; quality: number; fps: number }
  | { t: 'unfeed'; id: string }
  /** One JPEG of the next frame; boxes (in frame pixels) drawn when given. */
  | { t: 'snap'; req: number; ring: string; height: number; quality: number; boxes: Box[] | null }
  | { t: 'stop' };

/** Child → parent. */
export type FromEncoder =
  | { t: 'ready'; pid: number }
  | { t: 'jpeg'; id: string; data: Uint8Array; frameNumber: number; timestampUs: number; width: number; height: number }
  | { t: 'snap'; req: number; data: Uint8Array; frameNumber: number; width: number; height: number }
  | { t: 'snap-error'; req: number; code: FrameringErrorCode; message: string }
  | { t: 'ring-error'; ring: string; code: FrameringErrorCode; message: string }
  | { t: 'stats'; encoded: number; skipped: number; readers: number };

/** Output size for a frame of srcW × srcH asked at `height`: never larger than the source, width even. */
export function outputSize(srcW: number, srcH: number, height: number): { width: number; height: number } {
  const h = Math.max(2, Math.min(srcH, Math.round(height)));
  const w = Math.max(2, Math.round((srcW * h) / srcH / 2) * 2);
  return { width: w, height: h };
}
