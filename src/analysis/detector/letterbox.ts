// Fitting an RGB24 frame of any size into a model's square (or rectangular) input: scaled to fit with its aspect
// ratio kept and the rest padded ("letterbox"), or stretched to fill. Bilinear sampling, straight into the float
// buffer the model reads (values 0-255 unless a scale is given), so nothing is allocated per frame once the buffer
// exists. The returned transform maps the model's coordinates back to frame pixels.
import { DetectorError } from './detector_error.js';

export type ResizeMode = 'letterbox' | 'stretch';

/** How model-input pixels map to frame pixels: frameX = (inputX - padX) / scaleX. */
export interface InputTransform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  frameWidth: number;
  frameHeight: number;
}

export interface FitOptions {
  mode?: ResizeMode;
  /** Grey level of the padding (default 114, as YOLO-style detectors are trained with). */
  padValue?: number;
  /** Multiply every value by this (default 1: the model takes 0-255). */
  valueScale?: number;
}

/**
 * Writes `rgb` (width × height RGB24) into `out` (inputWidth × inputHeight × 3 floats, HWC) and returns the
 * transform back to frame pixels.
 */
export function fitToInput(
  rgb: Uint8Array,
  width: number,
  height: number,
  out: Float32Array,
  inputWidth: number,
  inputHeight: number,
  options: FitOptions = {},
): InputTransform {
  const mode = options.mode ?? 'letterbox';
  const valueScale = options.valueScale ?? 1;
  const pad = (options.padValue ?? 114) * valueScale;
  if (out.length < inputWidth * inputHeight * 3)
    throw new DetectorError(
      'INVALID_ARGUMENT',
      `input buffer has ${out.length} floats, expected ${inputWidth * inputHeight * 3}`,
    );
  let scaleX: number;
  let scaleY: number;
  if (mode === 'stretch') {
    scaleX = inputWidth / width;
    scaleY = inputHeight / height;
  } else {
    scaleX = scaleY = Math.min(inputWidth / width, inputHeight / height);
  }
  const drawnW = Math.min(inputWidth, Math.round(width * scaleX));
  const drawnH = Math.min(inputHeight, Math.round(height * scaleY));
  const padX = Math.floor((inputWidth - drawnW) / 2);
  const padY = Math.floor((inputHeight - drawnH) / 2);
  if (drawnW < inputWidth || drawnH < inputHeight) out.fill(pad, 0, inputWidth * inputHeight * 3);

  const stride = width * 3;
  // Sample positions are pixel centres: source = (dest + 0.5) / scale - 0.5, clamped to the image.
  const xs0 = new Int32Array(drawnW);
  const xs1 = new Int32Array(drawnW);
  const xw = new Float32Array(drawnW);
  for (let x = 0; x < drawnW; x++) {
    const sx = Math.min(width - 1, Math.max(0, (x + 0.5) / scaleX - 0.5));
    const x0 = Math.floor(sx);
    xs0[x] = x0 * 3;
    xs1[x] = Math.min(width - 1, x0 + 1) * 3;
    xw[x] = sx - x0;
  }
  for (let y = 0; y < drawnH; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y + 0.5) / scaleY - 0.5));
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    const row0 = y0 * stride;
    const row1 = Math.min(height - 1, y0 + 1) * stride;
    let o = ((y + padY) * inputWidth + padX) * 3;
    for (let x = 0; x < drawnW; x++) {
      const wx = xw[x]!;
      const a = row0 + xs0[x]!;
      const b = row0 + xs1[x]!;
      const c = row1 + xs0[x]!;
      const d = row1 + xs1[x]!;
      for (let ch = 0; ch < 3; ch++) {
        const top = rgb[a + ch]! + (rgb[b + ch]! - rgb[a + ch]!) * wx;
        const bottom = rgb[c + ch]! + (rgb[d + ch]! - rgb[c + ch]!) * wx;
        out[o++] = (top + (bottom - top) * wy) * valueScale;
      }
    }
  }
  return { scaleX, scaleY, padX, padY, frameWidth: width, frameHeight: height };
}

/** Maps a box in model-input pixels (x1, y1, x2, y2) to frame pixels, clipped to the frame. */
export function toFrameBox(
  t: InputTransform,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): { x: number; y: number; width: number; height: number } {
  const fx1 = clamp((x1 - t.padX) / t.scaleX, 0, t.frameWidth);
  const fy1 = clamp((y1 - t.padY) / t.scaleY, 0, t.frameHeight);
  const fx2 = clamp((x2 - t.padX) / t.scaleX, 0, t.frameWidth);
  const fy2 = clamp((y2 - t.padY) / t.scaleY, 0, t.frameHeight);
  return {
    x: round1(fx1),
    y: round1(fy1),
    width: round1(Math.max(0, fx2 - fx1)),
    height: round1(Math.max(0, fy2 - fy1)),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
