/** Node's own IPC: child.send(frame) with serialization 'advanced' (frames travel as Uint8Array). */
import { nowUs } from './clock.js';
import { markFrame, stampSendTime } from './frame_marks.js';
import type { FrameRecorder } from './frame_recorder.js';
import type { ReaderRole } from './reader_roles.js';
import { ReaderProcess } from './reader_process.js';
import type { ReaderHandle } from './reader_worker.js';
import { latencyRow, throughputRow, type Row } from './rows.js';
import { runPaced } from './timed_loop.js';

const WARM_MS = 500;
const IN_FLIGHT = 2; // frames handed to the channel and not yet written: enough to keep the pipe busy, bounded memory

// ---- reader side ----

export function readProcessSend(
  role: Extract<ReaderRole, { transport: 'process.send' }>,
  recorder: FrameRecorder,
  ack: () => void,
): ReaderHandle {
  process.on('message', (m: unknown) => {
    if (!(m instanceof Uint8Array)) return;
    recorder.record(m);
    if (role.ack) ack();
  });
  return { close: () => {}, dropped: () => null };
}

// ---- writer side ----

export async function processSendThroughput(o: { name: string; bytes: number; seconds: number }): Promise<Row> {
  const reader = await ReaderProcess.start('process.send', { transport: 'process.send', ack: false });
  try {
    const frame = Buffer.alloc(o.bytes, 0x5a);
    let frameNumber = 0;
    let inFlight = 0;
    let endUs = 0;
    let sent = 0;
    const drive = (untilUs: number): Promise<void> =>
      new Promise((resolve, reject) => {
        endUs = untilUs;
        const pump = (): void => {
          while (inFlight < IN_FLIGHT && nowUs() < endUs) {
            markFrame(frame, ++frameNumber);
            stampSendTime(frame);
            inFlight++;
            // The advanced serializer copies the frame inside send(): the buffer is free again on return.
            reader.child.send(frame, (err) => {
              inFlight--;
              if (err) return reject(err);
              sent++;
              pump();
            });
          }
          if (inFlight === 0) resolve();
        };
        pump();
      });
    await drive(nowUs() + WARM_MS * 1000);
    const fromUs = nowUs();
    const sentBefore = sent;
    await drive(fromUs + o.seconds * 1000 * 1000);
    const window = { fromUs, toUs: nowUs() };
    const r = await reader.result(window);
    return throughputRow({ name: o.name, transport: 'process.send', bytes: o.bytes }, r, window, sent - sentBefore);
  } finally {
    await reader.end();
  }
}

/** One frame at a time: the next is sent after the reader acknowledged the last, so nothing queues. */
export async function processSendLatency(o: {
  name: string;
  bytes: number;
  seconds: number;
  rate: number;
}): Promise<Row> {
  const reader = await ReaderProcess.start('process.send', { transport: 'process.send', ack: true });
  try {
    const frame = Buffer.alloc(o.bytes, 0x5a);
    let frameNumber = 0;
    const step = (): Promise<void> =>
      new Promise((resolve) => {
        reader.onAck = () => {
          reader.onAck = null;
          resolve();
        };
        markFrame(frame, ++frameNumber);
        stampSendTime(frame);
        reader.child.send(frame);
      });
    await runPaced(WARM_MS, o.rate, step);
    const { calls, window } = await runPaced(o.seconds * 1000, o.rate, step);
    const r = await reader.result(window);
    return latencyRow({ name: o.name, transport: 'process.send', bytes: o.bytes }, r, window, calls);
  } finally {
    await reader.end();
  }
}
