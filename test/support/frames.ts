// Reading frames out of a ring in tests and checking what they show.
import { FrameRingClient, type FrameRingInfo, type SlotMeta } from '../../src/shm/index.js';

export type Rgb = [number, number, number];

/** 100% colour bars of GStreamer's videotestsrc pattern=smpte, left to right, in the top two thirds. */
export const GST_SMPTE_BARS: Rgb[] = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
];
/** 75% colour bars of ffmpeg's smptebars source. */
export const FFMPEG_SMPTE_BARS: Rgb[] = GST_SMPTE_BARS.map((c) => c.map((v) => (v ? 191 : 0)) as Rgb);

export interface CopiedFrame {
  pixels: Uint8Array;
  meta: SlotMeta;
}

/** The next frame, copied out of the ring (polling with short blocking pulls so the event loop keeps running). */
export async function nextFrame(client: FrameRingClient, timeoutMs = 20_000): Promise<CopiedFrame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const frame = client.pull(50);
    if (frame) {
      try {
        return { pixels: frame.copy(), meta: frame.meta };
      } finally {
        frame.release();
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no frame within ${timeoutMs} ms`);
}

export async function openRing(pars: FrameRingInfo): Promise<FrameRingClient> {
  return FrameRingClient.waitFor(pars, { policy: 'latest', timeoutMs: 10_000 });
}

export function pixelAt(frame: CopiedFrame, x: number, y: number): Rgb {
  const o = (y * frame.meta.width + x) * 3;
  return [frame.pixels[o]!, frame.pixels[o + 1]!, frame.pixels[o + 2]!];
}

/** The colour in the middle of each of the 7 bars, a quarter of the way down. */
export function barColours(frame: CopiedFrame): Rgb[] {
  const { width, height } = frame.meta;
  return Array.from({ length: 7 }, (_, i) =>
    pixelAt(frame, Math.floor(((i + 0.5) * width) / 7), Math.floor(height / 4)),
  );
}

/** Largest per-channel difference between the bars seen and the bars expected. */
export function barsError(frame: CopiedFrame, expected: Rgb[]): number {
  const seen = barColours(frame);
  let worst = 0;
  seen.forEach((c, i) => {
    c.forEach((v, ch) => {
      worst = Math.max(worst, Math.abs(v - expected[i]![ch]!));
    });
  });
  return worst;
}
