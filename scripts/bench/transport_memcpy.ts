/**
 * The limit: one process copying a 1080p frame from one buffer into another, as a writer copying pixels into a
 * ring slot must. With as many destinations as the ring has slots, the copies miss the caches as the ring's do;
 * with one destination both buffers stay in the 32 MiB L3, which no ring of 8 frames can.
 */
import { FRAME_1080P, type Row } from './rows.js';
import { runFlatOut } from './timed_loop.js';

export async function memcpyThroughput(seconds: number, destinations: number): Promise<Row> {
  const src = Buffer.alloc(FRAME_1080P.bytes, 0x5a);
  const dst = Array.from({ length: destinations }, () => Buffer.alloc(FRAME_1080P.bytes));
  let i = 0;
  const copy = (): void => {
    dst[i++ % destinations].set(src);
  };
  await runFlatOut(300, copy); // warm-up: page faults of fresh buffers are not part of a copy
  const { calls, window } = await runFlatOut(seconds * 1000, copy);
  const rate = calls / ((window.toUs - window.fromUs) / 1e6);
  return {
    name:
      destinations === 1
        ? 'memcpy 1080p, 1 destination (cache-hot)'
        : `memcpy 1080p, ${destinations} destinations (the limit)`,
    section: 'throughput',
    transport: 'memcpy',
    bytes: FRAME_1080P.bytes,
    frames_per_s: rate,
    p50_us: null,
    p99_us: null,
    destinations,
    gb_per_s: (rate * FRAME_1080P.bytes) / 1e9,
  };
}
