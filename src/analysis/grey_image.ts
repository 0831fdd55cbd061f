// A small grey image sampled from an RGB24 frame: every `step`-th pixel of every `step`-th row, luma in integer math.
// The analysis works on this instead of the full frame: at 640x360 and step 4 it is 160x90 = 14 400 bytes, so a
// frame costs microseconds, and nothing is allocated per frame (the buffer is reused).
import { AnalysisError } from './analysis_error.js';

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
  ) {
    if (!Number.isInteger(step) || step < 1) throw new AnalysisError('INVALID_ARGUMENT', `step must be a whole number ≥ 1, got ${step}`);
    if (!Number.isInteger(frameWidth) || !Number.isInteger(frameHeight) || frameWidth < step || frameHeight < step) {
      throw new AnalysisError('INVALID_ARGUMENT', `frame size ${frameWidth}x${frameHeight} is too small for step ${step}`);
    }
    this.width = Math.floor(frameWidth / step);
    this.height = Math.floor(frameHeight / step);
    this.data = new Uint8Array(this.width * this.height);
  }

  /** Fills `data` from an RGB24 frame of frameWidth × frameHeight; returns this. */
  sample(rgb: Uint8Array): GreyImage {
    const { width, height, step, frameWidth, data } = this;
    if (rgb.length < frameWidth * this.frameHeight * 3) {
      throw new AnalysisError('INVALID_FRAME', `frame has ${rgb.length} bytes, expected ${frameWidth * this.frameHeight * 3} for ${frameWidth}x${this.frameHeight} RGB24`);
    }
    const rowStride = frameWidth * 3 * step;
    const pixelStride = 3 * step;
    let out = 0;
    for (let y = 0; y < height; y++) {
      let p = y * rowStride;
      for (let x = 0; x < width; x++) {
        // ITU-R BT.601 luma with weights scaled to 256: (77 R + 150 G + 29 B) / 256.
        data[out++] = (77 * rgb[p]! + 150 * rgb[p + 1]! + 29 * rgb[p + 2]!) >> 8;
        p += pixelStride;
      }
    }
    return this;
  }
}
