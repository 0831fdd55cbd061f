// The examples' analysis modules on known images: grey sampling, motion against a running background, blobs →
// boxes, drawing, and snapshots written with sharp (read back as JPEGs).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BlobExtractor,
  BOX_COLOUR,
  drawBoxes,
  GreySampler,
  MotionDetector,
  SnapshotWriter,
} from '../src/analysis/index.js';
import { pixelAt, solidFrame, withRects } from './fixtures/examples/synthetic_frames.js';

const W = 320;
const H = 240;

describe('GreySampler', () => {
  it('samples every step-th pixel as integer BT.601 luma', () => {
    const frame = withRects(solidFrame(W, H, [0, 0, 0]), W, [{ x: 0, y: 0, width: 4, height: 4 }], [255, 255, 255]);
    const g = new GreySampler(W, H, 4).sample(frame);
    expect(g.width).toBe(80);
    expect(g.height).toBe(60);
    expect(g.data[0]).toBe(255);
    expect(g.data[1]).toBe(0);
    const red = new GreySampler(W, H, 4).sample(solidFrame(W, H, [255, 0, 0]));
    expect(red.data[0]).toBe((77 * 255) >> 8);
  });

  it('refuses frames of the wrong size and impossible steps', () => {
    expect(() => new GreySampler(W, H, 4).sample(new Uint8Array(10))).toThrow(/expected 230400/);
    expect(() => new GreySampler(W, H, 4).sample(new Uint8Array(10))).toThrow(
      expect.objectContaining({ code: 'INVALID_FRAME' }),
    );
    expect(() => new GreySampler(W, H, 0)).toThrow(/step/);
    expect(() => new GreySampler(W, H, 0)).toThrow(
      expect.objectContaining({ name: 'AnalysisError', code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new GreySampler(2, 2, 4)).toThrow(/too small/);
  });
});

describe('MotionDetector', () => {
  const background = solidFrame(W, H);

  it('sees no motion in a still scene, and motion where a square appears', () => {
    const d = new MotionDetector(W, H, { step: 4, threshold: 25, minArea: 0.002 });
    expect(d.detect(background).motion).toBe(false); // primes the background
    expect(d.detect(background).motion).toBe(false);
    const r = d.detect(withRects(background, W, [{ x: 100, y: 80, width: 40, height: 40 }]));
    expect(r.motion).toBe(true);
    // 40x40 pixels at step 4 = 10x10 grid cells
    expect(r.changed).toBe(100);
    expect(r.grid).toEqual({ width: 80, height: 60, step: 4 });
    expect(r.mask[(80 / 4 + 2) * 80 + 100 / 4 + 2]).toBe(1);
    expect(r.mask[0]).toBe(0);
  });

  it('ignores changes smaller than minArea and below the threshold', () => {
    const d = new MotionDetector(W, H, { step: 4, minArea: 0.01 }); // 1% of 4800 cells = 48
    d.detect(background);
    expect(d.detect(withRects(background, W, [{ x: 0, y: 0, width: 16, height: 16 }])).motion).toBe(false); // 16 cells
    const faint = solidFrame(W, H, [50, 70, 90]); // ~+10 grey levels: under the threshold of 25
    expect(d.detect(faint).changed).toBe(0);
  });

  it('learns a change that stays: the background catches up', () => {
    const d = new MotionDetector(W, H, { step: 4 });
    d.detect(background);
    const moved = withRects(background, W, [{ x: 100, y: 80, width: 40, height: 40 }]);
    let frames = 0;
    while (d.detect(moved).motion && frames < 100) frames++;
    expect(frames).toBeGreaterThan(3);
    expect(frames).toBeLessThan(100);
  });

  it('rejects bad options', () => {
    expect(() => new MotionDetector(W, H, { threshold: 0 })).toThrow(/threshold/);
    expect(() => new MotionDetector(W, H, { minArea: 2 })).toThrow(/minArea/);
    expect(() => new MotionDetector(W, H, { minArea: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('BlobExtractor', () => {
  it('finds separate blobs as boxes in frame pixels, largest first', () => {
    const gw = 80;
    const gh = 60;
    const mask = new Uint8Array(gw * gh);
    const set = (x0: number, y0: number, w: number, h: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[y * gw + x] = 1;
    };
    set(10, 10, 5, 4); // 20 cells
    set(50, 30, 10, 10); // 100 cells
    set(70, 55, 1, 1); // 1 cell: too small
    const boxes = new BlobExtractor({ dilate: 0, minCells: 4 }).extract(mask, gw, gh, 4);
    expect(boxes).toHaveLength(2);
    expect(boxes[0]).toMatchObject({ x: 200, y: 120, width: 40, height: 40, area: 1600, cx: 220, cy: 140 });
    expect(boxes[1]).toMatchObject({ x: 40, y: 40, width: 20, height: 16, area: 320 });
  });

  it('joins fragments one cell apart when dilating, and caps the number of boxes', () => {
    const gw = 20;
    const mask = new Uint8Array(gw * gw);
    for (let x = 0; x < 10; x += 2) for (let y = 5; y < 8; y++) mask[y * gw + x] = 1; // a dashed bar
    expect(new BlobExtractor({ dilate: 0, minCells: 1 }).extract(mask, gw, gw)).toHaveLength(5);
    const joined = new BlobExtractor({ dilate: 1, minCells: 1 }).extract(mask, gw, gw);
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ area: 15 });
    expect(new BlobExtractor({ dilate: 0, minCells: 1, maxBlobs: 2 }).extract(mask, gw, gw)).toHaveLength(2);
  });

  it('finds the square a MotionDetector saw', () => {
    const d = new MotionDetector(W, H, { step: 4 });
    d.detect(solidFrame(W, H));
    const r = d.detect(withRects(solidFrame(W, H), W, [{ x: 160, y: 40, width: 64, height: 32 }]));
    const boxes = new BlobExtractor().extract(r.mask, r.grid.width, r.grid.height, r.grid.step);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]).toMatchObject({ x: 160, y: 40, width: 64, height: 32 });
  });
});

describe('drawBoxes', () => {
  it('draws outlines of the given thickness, leaves the inside alone, and clips at the edges', () => {
    const img = solidFrame(W, H, [0, 0, 0]);
    drawBoxes(
      img,
      W,
      H,
      [
        { x: 10, y: 20, width: 30, height: 40 },
        { x: 300, y: 230, width: 50, height: 50 },
      ],
      BOX_COLOUR,
      2,
    );
    expect(pixelAt(img, W, 10, 20)).toEqual([...BOX_COLOUR]);
    expect(pixelAt(img, W, 39, 59)).toEqual([...BOX_COLOUR]); // bottom-right corner
    expect(pixelAt(img, W, 11, 40)).toEqual([...BOX_COLOUR]); // second line of the left edge
    expect(pixelAt(img, W, 12, 40)).toEqual([0, 0, 0]); // inside
    expect(pixelAt(img, W, 40, 60)).toEqual([0, 0, 0]); // just outside
    expect(pixelAt(img, W, 319, 239)).toEqual([...BOX_COLOUR]); // clipped box still drawn up to the edge
  });
});

describe('SnapshotWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'framering-snapshots-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JPEGs of the frame size, at most one per camera per interval', async () => {
    const writer = new SnapshotWriter({ dir, minIntervalMs: 60_000 });
    const frame = withRects(solidFrame(W, H), W, [{ x: 10, y: 10, width: 50, height: 50 }]);
    const first = writer.write('cam0', 'f1', frame, W, H, 1000);
    expect(first).not.toBeNull();
    expect(writer.write('cam0', 'f2', frame, W, H, 2000)).toBeNull(); // rate-limited
    expect(writer.due('cam1', 2000)).toBe(true);
    const other = writer.write('cam1', 'f1', frame, W, H, 2000);
    expect(await first).toBe(join(dir, 'cam0-f1.jpg'));
    await writer.flush();
    expect(await other).toBe(join(dir, 'cam1-f1.jpg'));
    expect(writer.written).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['cam0-f1.jpg', 'cam1-f1.jpg']);
    const meta = await sharp(join(dir, 'cam0-f1.jpg')).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: W, height: H, channels: 3 });
    expect(writer.due('cam0', 61_000)).toBe(true);
  });

  it('counts a failed write instead of throwing', async () => {
    const writer = new SnapshotWriter({ dir });
    const result = await writer.write('cam0', 'bad', new Uint8Array(10), W, H);
    expect(result).toBeNull();
    expect(writer.failed).toBe(1);
    expect(writer.lastError).toMatch(/cam0-bad\.jpg/);
  });
});
