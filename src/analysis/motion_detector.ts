// Motion detection by frame differencing against a running background: the background is an exponential moving
// average of the sampled grey image; a grey pixel that differs from it by more than `threshold` is "changed", and
// the frame has motion when at least `minArea` of the image changed. Integer math on typed arrays only.

import type { PixelFormat } from '../shm/pixel_format.js';
import { GreySampler, type GreyImage } from './grey_image.js';
import { AnalysisError } from './analysis_error.js';

export interface MotionOptions {
  /** Frame pixels per analysed pixel along each axis (default 4: 640x360 → 160x90). */
  step?: number;
  /** Grey-level difference (0-255) from the background that counts as change (default 25). */
  threshold?: number;
  /** Fraction of the analysed image that must change for "motion" (default 0.002 = 0.2%). */
  minArea?: number;
  /** Background update weight as a power of two: 1/2^learnShift of the new frame per frame (default 3 → 1/8). */
  learnShift?: number;
  /** The frames' layout: 'rgb24' (default), 'bgr24' or 'gray8' (frame.format). */
  pixelFormat?: PixelFormat;
}

export interface MotionResult {
  motion: boolean;
  /** Changed analysed pixels, and their fraction of the image. */
  changed: number;
  fraction: number;
  /** The change mask (1 = changed), grid.width × grid.height; reused by the next frame: copy it to keep it. */
  mask: Uint8Array;
  grid: { width: number; height: number; step: number };
}

// The background is kept with 4 fractional bits so that a slow 1/8 update still moves it.
const FRACTION_BITS = 4;

export class MotionDetector {
  readonly threshold: number;
  readonly minArea: number;
  readonly learnShift: number;
  private readonly sampler: GreySampler;
  private readonly background: Int32Array;
  private readonly mask: Uint8Array;
  private readonly minChanged: number;
  private primed = false;

  constructor(
    readonly frameWidth: number,
    readonly frameHeight: number,
    options: MotionOptions = {},
  ) {
    const step = options.step ?? 4;
    this.threshold = options.threshold ?? 25;
    this.minArea = options.minArea ?? 0.002;
    this.learnShift = options.learnShift ?? 3;
    if (!Number.isInteger(this.threshold) || this.threshold < 1 || this.threshold > 255)
      throw new AnalysisError('INVALID_ARGUMENT', `threshold must be 1..255, got ${this.threshold}`);
    if (!(this.minArea > 0 && this.minArea <= 1))
      throw new AnalysisError(
        'INVALID_ARGUMENT',
        `minArea must be a fraction above 0 and at most 1, got ${this.minArea}`,
      );
    if (!Number.isInteger(this.learnShift) || this.learnShift < 0 || this.learnShift > 8)
      throw new AnalysisError('INVALID_ARGUMENT', `learnShift must be 0..8, got ${this.learnShift}`);
    this.sampler = new GreySampler(frameWidth, frameHeight, step, options.pixelFormat);
    const cells = this.sampler.width * this.sampler.height;
    this.background = new Int32Array(cells);
    this.mask = new Uint8Array(cells);
    this.minChanged = Math.max(1, Math.ceil(cells * this.minArea));
  }

  get grid(): { width: number; height: number; step: number } {
    return { width: this.sampler.width, height: this.sampler.height, step: this.sampler.step };
  }

  /** Compares a frame (in the detector's pixelFormat) with the background, then folds it into the background. */
  detect(pixels: Uint8Array): MotionResult {
    const grey: GreyImage = this.sampler.sample(pixels);
    const g = grey.data;
    const bg = this.background;
    const mask = this.mask;
    const n = g.length;
    let changed = 0;
    if (!this.primed) {
      // The first frame is the background: nothing to compare with yet.
      for (let i = 0; i < n; i++) bg[i] = g[i]! << FRACTION_BITS;
      mask.fill(0);
      this.primed = true;
    } else {
      const threshold = this.threshold << FRACTION_BITS;
      const shift = this.learnShift;
      for (let i = 0; i < n; i++) {
        const v = g[i]! << FRACTION_BITS;
        const d = v - bg[i]!;
        const hit = d > threshold || d < -threshold ? 1 : 0;
        mask[i] = hit;
        changed += hit;
        bg[i] = bg[i]! + (d >> shift);
      }
    }
    return { motion: changed >= this.minChanged, changed, fraction: changed / n, mask, grid: this.grid };
  }

  /** Forget the background (e.g. after a camera reconnect): the next frame primes it again. */
  reset(): void {
    this.primed = false;
  }
}
