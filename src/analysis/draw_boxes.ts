// Draws rectangle outlines onto an RGB24 image in place (give it a copy of the frame, never the ring slot:
// other readers share that memory). Boxes are clipped to the image.

import type { Box } from './blobs.js';
import { AnalysisError } from './analysis_error.js';

export type Rgb = readonly [number, number, number];

export const BOX_COLOUR: Rgb = [255, 32, 32];

/** A line width that stays visible after JPEG compression: 2 px up to 640 wide, more on bigger frames. */
export function lineWidthFor(width: number): number {
  return Math.max(2, Math.round(width / 320));
}

export function drawBoxes(
  rgb: Uint8Array,
  width: number,
  height: number,
  boxes: ReadonlyArray<Pick<Box, 'x' | 'y' | 'width' | 'height'>>,
  colour: Rgb = BOX_COLOUR,
  thickness = 2,
): void {
  if (rgb.length < width * height * 3)
    throw new AnalysisError(
      'INVALID_FRAME',
      `image has ${rgb.length} bytes, expected ${width * height * 3} for ${width}x${height} RGB24`,
    );
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x));
    const y0 = Math.max(0, Math.floor(b.y));
    const x1 = Math.min(width - 1, Math.floor(b.x + b.width) - 1);
    const y1 = Math.min(height - 1, Math.floor(b.y + b.height) - 1);
    if (x1 < x0 || y1 < y0) continue; // empty or entirely outside
    // A box thinner than two lines is filled rather than drawn past its own edges.
    for (let t = 0; t < thickness; t++) {
      if (y0 + t <= y1) fillRow(rgb, width, y0 + t, x0, x1, colour);
      if (y1 - t >= y0) fillRow(rgb, width, y1 - t, x0, x1, colour);
      if (x0 + t <= x1) fillColumn(rgb, width, x0 + t, y0, y1, colour);
      if (x1 - t >= x0) fillColumn(rgb, width, x1 - t, y0, y1, colour);
    }
  }
}

function fillRow(rgb: Uint8Array, width: number, y: number, x0: number, x1: number, c: Rgb): void {
  let p = (y * width + x0) * 3;
  for (let x = x0; x <= x1; x++, p += 3) {
    rgb[p] = c[0];
    rgb[p + 1] = c[1];
    rgb[p + 2] = c[2];
  }
}

function fillColumn(rgb: Uint8Array, width: number, x: number, y0: number, y1: number, c: Rgb): void {
  const stride = width * 3;
  let p = (y0 * width + x) * 3;
  for (let y = y0; y <= y1; y++, p += stride) {
    rgb[p] = c[0];
    rgb[p + 1] = c[1];
    rgb[p + 2] = c[2];
  }
}
