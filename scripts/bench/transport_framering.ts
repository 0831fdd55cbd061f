/**
 * framering, both sides: a FrameRingServer in the bench process, FrameRingClient readers in forked processes that
 * check each frame in their onFrame handler.
 */
import { FrameRingClient, FrameRingServer, type FrameRingPars } from '../../src/shm/index.js';
import { markFrame, stampSendTime } from './frame_marks.js';
import type { FrameRecorder } from './frame_recorder.js';
import { doorbellHopProbe, HOPS_ON, writerSendtoUs } from './hop_recorder.js';
import type { ReaderRole } from './reader_roles.js';
import { ReaderProcess } from './reader_process.js';
import type { ReaderHandle } from './reader_worker.js';
import { latencyRow, type Row, type RowSection } from './rows.js';
import { SampleList, summarize } from './stats.js';
import { pinProcess, placementCpus, type FloorPlacement } from './wakeup_floor.js';
import { onTeardown } from './teardown.js';
import { runFlatOut, runPaced } from './timed_loop.js';

const WARM_MS = 500;
let rings = 0;

function ringName(): string {
  return `bench-${process.pid}-${++rings}`;
}

// ---- reader side (in the forked reader process) ----

export function readFramering(
  role: Extract<ReaderRole, { transport: 'framering' }>,
  recorder: FrameRecorder,
): ReaderHandle {
  // mode 'thread': onFrame through the futex waiter thread instead of the doorbell, to compare the two in one run.
  const client = FrameRingClient.open(role.pars, {
    policy: role.policy,
    wakeup: role.mode === 'thread' ? 'thread' : 'doorbell',
  });
  if (role.mode === 'pull') {
    // The JS thread blocks in pull() (one futex wakeup, no event-loop hop), yielding now and then for IPC.
    const loop = (): void => {
      if (client.isClosed) return;
      for (let i = 0; i < 64; i++) {
        let frame: ReturnType<FrameRingClient['pull']>;
        try {
          frame = client.pull(20);
        } catch {
          return; // INTERRUPTED (the bench stops this process) or WRITER_GONE: the run is over
        }
        if (!frame) break;
        recorder.record(frame.pixels, frame.meta.timestampUs);
        frame.release();
      }
      setImmediate(loop);
    };
    setImmediate(loop);
  } else if (HOPS_ON) {
    const probe = doorbellHopProbe(recorder.hops);
    client.onFrame((frame) => {
      const px = frame.pixels;
      probe.entered(px);
      recorder.record(px, frame.meta.timestampUs);
      probe.left();
    });
  } else {
    client.onFrame((frame) => {
      recorder.record(frame.pixels, frame.meta.timestampUs);
    });
  }
  return {
    close: () => client.close(),
    dropped: () => (client.isClosed ? null : client.dropped),
  };
}

// ---- writer side (in the bench process) ----

function mean0(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => typeof x === 'number');
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

interface RingRun {
  server: FrameRingServer;
  readers: ReaderProcess[];
  end(): Promise<void>;
}

async function openRing(opts: {
  width: number;
  height: number;
  slots: number;
  blocking: boolean;
  readers: number;
  policy: 'latest' | 'every';
  mode?: 'handler' | 'pull' | 'thread';
}): Promise<RingRun> {
  const server = new FrameRingServer({
    name: ringName(),
    width: opts.width,
    height: opts.height,
    slots: opts.slots,
    blocking: opts.blocking,
    blockingTimeoutMs: 1000,
  });
  const closeServer = onTeardown(() => server.close());
  const pars: FrameRingPars = server.pars();
  const started = await Promise.allSettled(
    Array.from({ length: opts.readers }, (_, i) =>
      ReaderProcess.start(`framering#${i + 1}`, { transport: 'framering', pars, policy: opts.policy, mode: opts.mode }),
    ),
  );
  const readers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const end = async (): Promise<void> => {
    await Promise.all(readers.map((r) => r.end())); // readers first, then the ring they read
    closeServer();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await end();
    throw failed.reason;
  }
  return { server, readers, end };
}

export interface FrameringThroughputOptions {
  name: string;
  section: RowSection;
  seconds: number;
  readers: number;
  policy: 'latest' | 'every';
  /** Lossless ring: the writer waits for `every` readers. */
  blocking: boolean;
  /**
   * 'write' copies a 1080p frame into the slot (as from a JS buffer); 'lend' fills only the marks (as the native pump
   * fills slots itself).
   */
  fill: 'write' | 'lend';
}

export async function frameringThroughput(o: FrameringThroughputOptions): Promise<Row> {
  const width = 1920;
  const height = 1080;
  const ring = await openRing({ width, height, slots: 8, blocking: o.blocking, readers: o.readers, policy: o.policy });
  try {
    const { server } = ring;
    const src = Buffer.alloc(server.frameBytes, 0x5a);
    let frameNumber = 0;
    let refused = 0;
    const step =
      o.fill === 'write'
        ? (): void => {
            markFrame(src, ++frameNumber);
            stampSendTime(src);
            if (server.write(src, { frameNumber }) === null) refused++;
          }
        : (): void => {
            const slot = server.lend();
            if (!slot) {
              refused++;
              return;
            }
            markFrame(slot.view, ++frameNumber);
            stampSendTime(slot.view);
            slot.commit({ frameNumber });
          };
    await runFlatOut(WARM_MS, step);
    const writtenBefore = server.stats().written;
    const { window } = await runFlatOut(o.seconds * 1000, step);
    const written = server.stats().written - writtenBefore;
    const results = await Promise.all(ring.readers.map((r) => r.result(window)));
    const spanS = (window.toUs - window.fromUs) / 1e6;
    const rates = results.map((r) => r.inWindow / spanS);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    return {
      name: o.name,
      section: o.section,
      transport: 'framering',
      bytes: server.frameBytes,
      readers: o.readers,
      frames_per_s: mean,
      min_reader_frames_per_s: Math.min(...rates),
      written_per_s: written / spanS,
      p50_us: null,
      p99_us: null,
      torn: results.reduce((a, r) => a + r.torn, 0),
      dropped: results.reduce((a, r) => a + (r.dropped ?? 0), 0),
      writer_refused: refused,
      reader_cpu_us_per_frame: mean0(results.map((r) => r.cpuUsPerFrame)),
      policy: o.policy,
      blocking: o.blocking,
      fill: o.fill,
    };
  } finally {
    await ring.end();
  }
}

/** Frame geometry for a payload of about `bytes` (RGB24 rows); commit() publishes exactly `bytes` of it. */
function geometryFor(bytes: number): { width: number; height: number } {
  if (bytes === 1920 * 1080 * 3) return { width: 1920, height: 1080 };
  const width = Math.max(1, Math.min(4096, Math.ceil(bytes / 3)));
  return { width, height: Math.ceil(bytes / 3 / width) };
}

/**
 * mode 'pull': the reader blocks in pull() instead of getting onFrame callbacks (the native wakeup alone); 'thread':
 * onFrame woken by the futex waiter thread (two hops) instead of the doorbell (one).
 */
export async function frameringLatency(o: {
  name: string;
  bytes: number;
  seconds: number;
  rate: number;
  mode?: 'handler' | 'pull' | 'thread';
  /** Pins the writer (this process) and the reader as the wakeup floor's runs are (wakeup_floor.ts). */
  placement?: FloorPlacement;
}): Promise<Row> {
  const { width, height } = geometryFor(o.bytes);
  const ring = await openRing({
    width,
    height,
    slots: o.bytes > 10e6 ? 4 : 8,
    blocking: false,
    readers: 1,
    policy: 'latest',
    mode: o.mode,
  });
  const cpus = o.placement ? placementCpus(o.placement) : null;
  const readerPid = ring.readers[0]?.child.pid;
  try {
    if (o.placement && (!cpus || readerPid === undefined)) throw new Error(`cannot place the reader ${o.placement}`);
    if (cpus && readerPid !== undefined) {
      pinProcess(process.pid, cpus[0]);
      pinProcess(readerPid, cpus[1]);
    }
    const { server } = ring;
    let frameNumber = 0;
    const sendtoUs = new SampleList(); // --hops: the writer's sendto() of each ring
    // The payload is in place before the stamp (as a pump fills a slot before it commits): this is publish → callback.
    const step = (): void => {
      const slot = server.lend();
      if (!slot) return;
      const payload = slot.view.subarray(0, o.bytes);
      markFrame(payload, ++frameNumber);
      stampSendTime(payload);
      slot.commit({ frameNumber }, o.bytes);
      if (HOPS_ON) {
        const us = writerSendtoUs(Number(new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, true)));
        if (us !== null) sendtoUs.push(us);
      }
    };
    await runPaced(WARM_MS, o.rate, step);
    const { calls, window } = await runPaced(o.seconds * 1000, o.rate, step);
    const [r] = await Promise.all(ring.readers.map((reader) => reader.result(window)));
    return {
      ...latencyRow({ name: o.name, transport: 'framering', bytes: o.bytes }, r, window, calls),
      meta_p50_us: r.metaLatency?.p50,
      meta_p99_us: r.metaLatency?.p99,
      dropped: r.dropped,
      hops: r.hops && { 'sendto() itself (writer)': summarize(sendtoUs.values()), ...r.hops },
      placement: o.placement,
    };
  } finally {
    if (cpus) pinProcess(process.pid, null);
    await ring.end();
  }
}
