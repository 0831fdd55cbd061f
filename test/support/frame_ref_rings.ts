/**
 * What the tests of frames passed by reference share: fresh ring names, camera rings and their readers (closed after
 * the test through `cleanups`), and taking the frame just written.
 */
import { type Frame, FrameRingClient, FrameRingServer, type PixelFormat } from '../../src/shm/index.js';

export function frameRefRings(prefix: string, cleanups: Array<() => void>) {
  let n = 0;
  const ringName = (what: string): string => `${prefix}-${process.pid}-${what}-${++n}`;
  return {
    ringName,
    camera(opts: { slots?: number; width?: number; height?: number; pixelFormat?: PixelFormat } = {}) {
      const { slots = 4, width = 8, height = 8, pixelFormat } = opts;
      const s = new FrameRingServer({ name: ringName('cam'), width, height, slots, pixelFormat });
      cleanups.push(() => s.close());
      return s;
    },
    reader(cam: FrameRingServer | string, policy: 'every' | 'latest' = 'every'): FrameRingClient {
      const c = FrameRingClient.open(typeof cam === 'string' ? cam : cam.info(), { policy });
      cleanups.push(() => c.close());
      return c;
    },
  };
}

/** The next frame of `c` (the one just written), or an error when none comes within a second. */
export function take(c: FrameRingClient): Frame {
  const f = c.pull(1000);
  if (!f) throw new Error('no frame');
  return f;
}
