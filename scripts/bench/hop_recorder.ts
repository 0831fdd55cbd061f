/**
 * Per-hop times of a frame's trip from writer to handler (`npm run bench -- --only latency --hops`, which runs the
 * bench with FRAMERING_HOPS=1 so that the native doorbell stamps each hop: native/doorbell_hops.h). Each sample keeps
 * its time, so that only frames inside the writer's measured window count, as for the end-to-end latency.
 */
import { addon } from '../../src/shm/native_addon.js';
import { SampleList, summarize, type LatencySummary } from './stats.js';

export const HOPS_ON = process.env.FRAMERING_HOPS === '1';

/** The hops of the framering doorbell path, in trip order (the names the tables print). */
export const DOORBELL_HOPS = [
  'commit -> ring sent', // JS commit() call, publish, armed-mask exchange, up to sendto()
  'ring sent -> poll callback', // the kernel wakes the reader's epoll, libuv runs the uv_poll callback
  'recv drain', // reading the ring datagram(s) off the socket
  'take slot -> MakeCallback', // TryAcquire, meta into the array, handle scope
  'MakeCallback -> handler', // into JS: RingReader, FrameRingClient's Frame, the user's handler
  'handler end -> next()', // release and the return into RingReader's drain loop
  'next(): look, arm, look', // TryAcquire, arm, TryAcquire: asleep again
] as const;

export class HopRecorder {
  private readonly hops = new Map<string, { value: SampleList; at: SampleList }>();

  add(hop: string, valueUs: number, atUs: number): void {
    let h = this.hops.get(hop);
    if (!h) {
      h = { value: new SampleList(), at: new SampleList() };
      this.hops.set(hop, h);
    }
    h.value.push(valueUs);
    h.at.push(atUs);
  }

  /** Percentiles of each hop over the samples taken inside [fromUs, toUs]; undefined when none was recorded. */
  result(fromUs: number, toUs: number): Record<string, LatencySummary> | undefined {
    if (this.hops.size === 0) return undefined;
    const out: Record<string, LatencySummary> = {};
    for (const [hop, { value, at }] of this.hops) {
      const v = value.values();
      const t = at.values();
      const inside: number[] = [];
      for (let i = 0; i < v.length; i++) if (t[i] >= fromUs && t[i] <= toUs) inside.push(v[i]);
      out[hop] = summarize(inside);
    }
    return out;
  }
}

// [send, poll, drained, call, nextEntry, armed, sendReturned], ns (native/doorbell_hops.h)
type HopStamps = Float64Array;
const hopStamps = (addon.RingClient as unknown as { hopStamps(): HopStamps | null }).hopStamps;

/**
 * The framering reader's probe: call entered(payload) first thing in the handler and left() last. The native stamps of
 * a delivery are read at its handler's entry; those of next() (after the handler) at the following frame's entry.
 */
export function doorbellHopProbe(recorder: HopRecorder): { entered(payload: Uint8Array): void; left(): void } {
  let prevLeftNs = 0;
  return {
    entered(payload: Uint8Array): void {
      const entryNs = Number(process.hrtime.bigint());
      // frame_marks.ts
      const sentNs = Number(new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, true));
      const s = hopStamps();
      if (!s) return;
      const [send, poll, drained, call, nextEntry, armed] = s;
      const atUs = entryNs / 1000;
      // This frame came through the doorbell (not taken at once in next(), nor on the waiter thread) when its ring
      // was sent after it was stamped and the callback ran after the previous handler ended.
      if (send >= sentNs && poll >= send && call >= poll && call > prevLeftNs && entryNs >= call) {
        recorder.add(DOORBELL_HOPS[0], (send - sentNs) / 1000, atUs);
        recorder.add(DOORBELL_HOPS[1], (poll - send) / 1000, atUs);
        recorder.add(DOORBELL_HOPS[2], (drained - poll) / 1000, atUs);
        recorder.add(DOORBELL_HOPS[3], (call - drained) / 1000, atUs);
        recorder.add(DOORBELL_HOPS[4], (entryNs - call) / 1000, atUs);
        if (prevLeftNs > 0 && nextEntry >= prevLeftNs && armed >= nextEntry && armed <= poll) {
          recorder.add(DOORBELL_HOPS[5], (nextEntry - prevLeftNs) / 1000, atUs);
          recorder.add(DOORBELL_HOPS[6], (armed - nextEntry) / 1000, atUs);
        }
      }
    },
    left(): void {
      prevLeftNs = Number(process.hrtime.bigint());
    },
  };
}

/**
 * In the writer's process, after a commit stamped at sinceNs: how long its sendto() took, µs; null when it rang
 * nobody.
 */
export function writerSendtoUs(sinceNs: number): number | null {
  const s = hopStamps();
  if (!s || s[0] < sinceNs || s[6] < s[0]) return null;
  return (s[6] - s[0]) / 1000;
}
