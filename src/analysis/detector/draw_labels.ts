// Labelled boxes on an RGB24 image, in place (give it a copy, never a ring slot): each box outlined, with its label
// and score written above it (below when there is no room) in a built-in 5x7 pixel font, white on the box colour,
// so no font files or text renderer are needed. Letters are drawn as capitals.

import type { Detection } from './object_detector.js';
import { DetectorError } from './detector_error.js';

type Rgb = readonly [number, number, number];

// 5x7 glyphs: 7 rows, each a 5-bit mask (bit 4 = leftmost column).
const GLYPHS: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [30, 17, 17, 17, 17, 17, 30],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  '.': [0, 0, 0, 0, 0, 12, 12],
  '%': [24, 25, 2, 4, 8, 19, 3],
  '-': [0, 0, 0, 31, 0, 0, 0],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

export const LABEL_COLOUR: Rgb = [255, 32, 32];
const TEXT: Rgb = [255, 255, 255];

/** Writes `text` with its top-left corner at (x, y), `scale` image pixels per font pixel, on a filled background. */
export function drawText(
  rgb: Uint8Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  scale = 2,
  background: Rgb | null = LABEL_COLOUR,
): void {
  const chars = [...text.toUpperCase()].map((c) => GLYPHS[c] ?? GLYPHS[' ']!);
  if (background) fillRect(rgb, width, height, x, y, chars.length * 6 * scale + scale, 9 * scale, background);
  chars.forEach((rows, i) => {
    const gx = x + scale + i * 6 * scale;
    rows.forEach((bits, r) => {
      for (let c = 0; c < 5; c++)
        if (bits & (16 >> c)) fillRect(rgb, width, height, gx + c * scale, y + scale + r * scale, scale, scale, TEXT);
    });
  });
}

/** Outlines each detection's box and writes "LABEL 87%" on it. */
export function drawLabelledBoxes(
  rgb: Uint8Array,
  width: number,
  height: number,
  objects: readonly Pick<Detection, 'label' | 'score' | 'box'>[],
  colour: Rgb = LABEL_COLOUR,
): void {
  if (rgb.length < width * height * 3)
    throw new DetectorError(
      'INVALID_FRAME',
      `image has ${rgb.length} bytes, expected ${width * height * 3} for ${width}x${height} RGB24`,
    );
  const line = Math.max(2, Math.round(width / 320));
  const scale = width >= 960 ? 3 : 2;
  for (const o of objects) {
    const x0 = Math.max(0, Math.floor(o.box.x));
    const y0 = Math.max(0, Math.floor(o.box.y));
    const x1 = Math.min(width, Math.ceil(o.box.x + o.box.width));
    const y1 = Math.min(height, Math.ceil(o.box.y + o.box.height));
    if (x1 <= x0 || y1 <= y0) continue;
    fillRect(rgb, width, height, x0, y0, x1 - x0, line, colour);
    fillRect(rgb, width, height, x0, y1 - line, x1 - x0, line, colour);
    fillRect(rgb, width, height, x0, y0, line, y1 - y0, colour);
    fillRect(rgb, width, height, x1 - line, y0, line, y1 - y0, colour);
    const textH = 9 * scale;
    const ty = y0 - textH >= 0 ? y0 - textH : Math.min(height - textH, y0 + line);
    drawText(rgb, width, height, `${o.label} ${Math.round(o.score * 100)}%`, x0, Math.max(0, ty), scale, colour);
  }
}

function fillRect(
  rgb: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  w: number,
  h: number,
  c: Rgb,
): void {
  const xa = Math.max(0, Math.floor(x));
  const ya = Math.max(0, Math.floor(y));
  const xb = Math.min(width, Math.floor(x + w));
  const yb = Math.min(height, Math.floor(y + h));
  for (let yy = ya; yy < yb; yy++) {
    let p = (yy * width + xa) * 3;
    for (let xx = xa; xx < xb; xx++, p += 3) {
      rgb[p] = c[0];
      rgb[p + 1] = c[1];
      rgb[p + 2] = c[2];
    }
  }
}
