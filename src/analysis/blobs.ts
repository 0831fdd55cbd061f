// Blob extraction: connected components (8-connected) of a binary mask → bounding boxes with sizes and positions,
// in frame pixels. An optional dilation first joins the fragments one moving object leaves in a difference mask.
// Buffers are allocated once per grid size and reused.
import { AnalysisError } from './analysis_error.js';

export interface Box {
  /** Top-left corner and size in frame pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Changed mask cells inside the blob (before dilation), scaled to frame pixels (cells × step²). */
  area: number;
  /** Centre in frame pixels. */
  cx: number;
  cy: number;
}

export interface BlobOptions {
  /** Cells to grow the mask by before labelling (default 1: a 3x3 dilation). 0 = none. */
  dilate?: number;
  /** Blobs with fewer original mask cells are ignored (default 4). */
  minCells?: number;
  /** At most this many boxes, largest first (default 16). */
  maxBlobs?: number;
}

export class BlobExtractor {
  private grown: Uint8Array = new Uint8Array(0);
  private labels: Int32Array = new Int32Array(0);
  private queue: Int32Array = new Int32Array(0);
  readonly dilate: number;
  readonly minCells: number;
  readonly maxBlobs: number;

  constructor(options: BlobOptions = {}) {
    this.dilate = options.dilate ?? 1;
    this.minCells = options.minCells ?? 4;
    this.maxBlobs = options.maxBlobs ?? 16;
    if (!Number.isInteger(this.dilate) || this.dilate < 0 || this.dilate > 8)
      throw new AnalysisError('INVALID_ARGUMENT', `dilate must be 0..8, got ${this.dilate}`);
    if (!Number.isInteger(this.minCells) || this.minCells < 1)
      throw new AnalysisError('INVALID_ARGUMENT', `minCells must be a whole number ≥ 1, got ${this.minCells}`);
    if (!Number.isInteger(this.maxBlobs) || this.maxBlobs < 1)
      throw new AnalysisError('INVALID_ARGUMENT', `maxBlobs must be a whole number ≥ 1, got ${this.maxBlobs}`);
  }

  /**
   * Boxes of the blobs in `mask` (gridWidth × gridHeight, nonzero = set), each grid cell standing for step × step
   * frame pixels. Largest first.
   */
  extract(mask: Uint8Array, gridWidth: number, gridHeight: number, step = 1): Box[] {
    const n = gridWidth * gridHeight;
    if (mask.length < n)
      throw new AnalysisError('INVALID_ARGUMENT', `mask has ${mask.length} cells, expected ${gridWidth}x${gridHeight}`);
    if (this.labels.length !== n) {
      this.grown = new Uint8Array(n);
      this.labels = new Int32Array(n);
      this.queue = new Int32Array(n);
    }
    const grown = this.dilate > 0 ? this.dilateInto(mask, gridWidth, gridHeight) : mask;
    const labels = this.labels;
    const queue = this.queue;
    labels.fill(0);
    const boxes: Box[] = [];
    let label = 0;
    for (let start = 0; start < n; start++) {
      if (!grown[start] || labels[start]) continue;
      label++;
      // Breadth-first flood fill with a preallocated queue: no recursion, no per-pixel allocation.
      let head = 0;
      let tail = 0;
      queue[tail++] = start;
      labels[start] = label;
      let minX = gridWidth,
        minY = gridHeight,
        maxX = -1,
        maxY = -1,
        cells = 0,
        sumX = 0,
        sumY = 0;
      while (head < tail) {
        const i = queue[head++]!;
        const y = (i / gridWidth) | 0;
        const x = i - y * gridWidth;
        // The box and area come from the original cells: dilation only decides what belongs together.
        if (mask[i]) {
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
          cells++;
          sumX += x;
          sumY += y;
        }
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy;
          if (ny < 0 || ny >= gridHeight) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            if (nx < 0 || nx >= gridWidth) continue;
            const j = ny * gridWidth + nx;
            if (grown[j] && !labels[j]) {
              labels[j] = label;
              queue[tail++] = j;
            }
          }
        }
      }
      if (cells < this.minCells) continue;
      boxes.push({
        x: minX * step,
        y: minY * step,
        width: (maxX - minX + 1) * step,
        height: (maxY - minY + 1) * step,
        area: cells * step * step,
        cx: Math.round((sumX / cells + 0.5) * step),
        cy: Math.round((sumY / cells + 0.5) * step),
      });
    }
    boxes.sort((a, b) => b.area - a.area);
    return boxes.length > this.maxBlobs ? boxes.slice(0, this.maxBlobs) : boxes;
  }

  /** Square dilation by `dilate` cells, done as a horizontal then a vertical pass (separable). */
  private dilateInto(mask: Uint8Array, w: number, h: number): Uint8Array {
    const r = this.dilate;
    const rows = this.queue; // reused as scratch: the flood fill overwrites it afterwards
    const out = this.grown;
    for (let y = 0; y < h; y++) {
      const base = y * w;
      for (let x = 0; x < w; x++) {
        let v = 0;
        const from = Math.max(x - r, 0);
        const to = x + r >= w ? w - 1 : x + r;
        for (let k = from; k <= to && !v; k++) v = mask[base + k] ? 1 : 0;
        rows[base + x] = v;
      }
    }
    for (let y = 0; y < h; y++) {
      const from = Math.max(y - r, 0);
      const to = y + r >= h ? h - 1 : y + r;
      for (let x = 0; x < w; x++) {
        let v = 0;
        for (let k = from; k <= to && !v; k++) v = rows[k * w + x]!;
        out[y * w + x] = v;
      }
    }
    return out;
  }
}
