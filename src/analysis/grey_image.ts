// A small grey image sampled from a frame (rgb24 by default, bgr24 or gray8): every `step`-th pixel of every
// `step`-th row, luma in integer math.
// The analysis works on this instead of the full frame: at 640x360 and step 4 it is 160x90 = 14 400 bytes, so a
// frame costs microseconds, and nothing is allocated per frame (the buffer is reused).
import { AnalysisError } from './analysis_error.js';
import type { PixelFormat } from '../shm/pixel_format.js';

const BYTES_PER_PIXEL: Readonly<Record<PixelFormat, number>> = { rgb24: 3, bgr24: 3, gray8: 1 };

export interface GreyImage {
  /** Row-major grey values, width × height. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Frame pixels per grey pixel along each axis: grey (x, y) is frame (x·step, y·step). */
  readonly step: number;
}

export class GreySampler implements GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;

  constructor(
    readonly frameWidth: number,
    readonly frameHeight: number,
    readonly step: number,
    /** How the frames' bytes are laid out: the channel order matters to luma, gray8 is luma already. */
    readonly pixelFormat: PixelFormat = 'rgb24',
  ) {
    if (!Number.isInteger(step) || step < 1)
      throw new AnalysisError('INVALID_ARGUMENT', `step must be a whole number ≥ 1, got ${step}`);
    if (!Object.hasOwn(BYTES_PER_PIXEL, pixelFormat))
      throw new AnalysisError(
        'INVALID_ARGUMENT',
        `pixelFormat must be rgb24, bgr24 or gray8, got ${String(pixelFormat)}`,
      );
    if (!Number.isInteger(frameWidth) || !Number.isInteger(frameHeight) || frameWidth < step || frameHeight < step) {
      throw new AnalysisError(
        'INVALID_ARGUMENT',
        `frame size ${frameWidth}x${frameHeight} is too small for step ${step}`,
      );
    }
    this.width = Math.floor(frameWidth / step);
    this.height = Math.floor(frameHeight / step);
    this.data = new Uint8Array(this.width * this.height);
  }

  /** Fills `data` from a frame of frameWidth × frameHeight in `pixelFormat`; returns this. */
  sample(pixels: Uint8Array): GreyImage {
    const { width, height, step, frameWidth, data, pixelFormat } = this;
    const bpp = BYTES_PER_PIXEL[pixelFormat];
    const expected = frameWidth * this.frameHeight * bpp;
    if (pixels.length < expected) {
      throw new AnalysisError(
        'INVALID_FRAME',
        `frame has ${pixels.length} bytes, expected ${expected} for ${frameWidth}x${this.frameHeight} ${pixelFormat}`,
      );
    }
    const rowStride = frameWidth * bpp * step;
    const pixelStride = bpp * step;
    // ITU-R BT.601 luma with weights scaled to 256: (77 R + 150 G + 29 B) / 256; bgr24 has R and B swapped.
    const [w0, w1, w2] = pixelFormat === 'bgr24' ? [29, 150, 77] : [77, 150, 29];
    let out = 0;
    for (let y = 0; y < height; y++) {
      let p = y * rowStride;
      if (bpp === 1) {
        for (let x = 0; x < width; x++, p += pixelStride) data[out++] = pixels[p]!;
        continue;
      }
      for (let x = 0; x < width; x++) {
        data[out++] = (w0 * pixels[p]! + w1 * pixels[p + 1]! + w2 * pixels[p + 2]!) >> 8;
        p += pixelStride;
      }
    }
    return this;
  }
}
