/**
 * A Unix domain socket stream: each frame as a 4-byte length and the bytes; the reader assembles whole frames in a
 * buffer of its own before it looks at them (as any stream reader must).
 */
import { unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from './clock.js';
import { markFrame, stampSendTime } from './frame_marks.js';
import type { FrameRecorder } from './frame_recorder.js';
import { HOPS_ON } from './hop_recorder.js';
import type { ReaderRole } from './reader_roles.js';
import { ReaderProcess } from './reader_process.js';
import type { ReaderHandle } from './reader_worker.js';
import { latencyRow, throughputRow, type Row } from './rows.js';
import { SampleList, summarize } from './stats.js';
import { onTeardown } from './teardown.js';
import { runPaced } from './timed_loop.js';

const WARM_MS = 500;
const IN_FLIGHT = 2;
const HEADER_BYTES = 4;
const ACK = Buffer.from([1]);
let sockets = 0;

// ---- reader side ----

export function readUnixSocket(
  role: Extract<ReaderRole, { transport: 'unix' }>,
  recorder: FrameRecorder,
): Promise<ReaderHandle> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(role.path);
    const header = Buffer.alloc(HEADER_BYTES);
    let headerHave = 0;
    let frame = Buffer.alloc(0);
    let need = -1; // bytes of the frame being assembled; -1 while reading its header
    let have = 0;
    socket.on('data', (chunk: Buffer) => {
      const entryNs = HOPS_ON ? Number(process.hrtime.bigint()) : 0;
      let at = 0;
      while (at < chunk.length) {
        if (need < 0) {
          const n = Math.min(HEADER_BYTES - headerHave, chunk.length - at);
          chunk.copy(header, headerHave, at, at + n);
          headerHave += n;
          at += n;
          if (headerHave === HEADER_BYTES) {
            need = header.readUInt32LE(0);
            if (frame.length !== need) frame = Buffer.allocUnsafe(need);
            have = 0;
            headerHave = 0;
          }
          continue;
        }
        const n = Math.min(need - have, chunk.length - at);
        chunk.copy(frame, have, at, at + n);
        have += n;
        at += n;
        if (have === need) {
          // --hops: the writer's stamp to this 'data' callback (the writer times its own write() beside it).
          if (HOPS_ON)
            recorder.hops.add(
              'stamp -> data callback',
              (entryNs - Number(frame.readBigUInt64LE(0))) / 1000,
              entryNs / 1000,
            );
          recorder.record(frame);
          if (role.ack) socket.write(ACK);
          need = -1;
        }
      }
    });
    socket.once('connect', () => resolve({ close: () => socket.destroy(), dropped: () => null }));
    socket.once('error', reject);
  });
}

// ---- writer side ----

interface SocketRun {
  reader: ReaderProcess;
  socket: Socket;
  end(): Promise<void>;
}

async function openSocket(ack: boolean): Promise<SocketRun> {
  const path = join(tmpdir(), `framering-bench-${process.pid}-${++sockets}.sock`);
  const server = createServer();
  const removeSocketFile = (): void => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  const closeServer = onTeardown(() => {
    server.close();
    removeSocketFile();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  let reader: ReaderProcess;
  try {
    reader = await ReaderProcess.start('unix', { transport: 'unix', path, ack });
  } catch (err) {
    closeServer();
    throw err;
  }
  const socket = await connected;
  return {
    reader,
    socket,
    end: async () => {
      socket.destroy();
      await reader.end();
      closeServer();
    },
  };
}

function frameHeader(bytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(bytes, 0);
  return h;
}

export async function unixSocketThroughput(o: { name: string; bytes: number; seconds: number }): Promise<Row> {
  const run = await openSocket(false);
  try {
    const { socket } = run;
    const header = frameHeader(o.bytes);
    // A buffer per frame in flight: socket.write keeps a reference until the kernel took the bytes.
    const pool = Array.from({ length: IN_FLIGHT + 1 }, () => Buffer.alloc(o.bytes, 0x5a));
    let frameNumber = 0;
    let inFlight = 0;
    let sent = 0;
    const drive = (endUs: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const pump = (): void => {
          while (inFlight < IN_FLIGHT && nowUs() < endUs) {
            const frame = pool[frameNumber % pool.length];
            markFrame(frame, ++frameNumber);
            stampSendTime(frame);
            inFlight++;
            socket.cork();
            socket.write(header);
            socket.write(frame, (err) => {
              inFlight--;
              if (err) return reject(err);
              sent++;
              pump();
            });
            socket.uncork();
          }
          if (inFlight === 0) resolve();
        };
        pump();
      });
    await drive(nowUs() + WARM_MS * 1000);
    const fromUs = nowUs();
    const sentBefore = sent;
    await drive(fromUs + o.seconds * 1e6);
    const window = { fromUs, toUs: nowUs() };
    const r = await run.reader.result(window);
    return throughputRow({ name: o.name, transport: 'unix', bytes: o.bytes }, r, window, sent - sentBefore);
  } finally {
    await run.end();
  }
}

export async function unixSocketLatency(o: {
  name: string;
  bytes: number;
  seconds: number;
  rate: number;
}): Promise<Row> {
  const run = await openSocket(true);
  try {
    const { socket } = run;
    const header = frameHeader(o.bytes);
    const frame = Buffer.alloc(o.bytes, 0x5a);
    let frameNumber = 0;
    let acked: (() => void) | null = null;
    const writeUs = new SampleList(); // --hops: stamp → socket.write() returned, in the writer
    socket.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        const done = acked;
        acked = null;
        done?.();
      }
    });
    // One frame at a time, the next after the reader's ack: nothing queues, so this is the transport's own latency.
    const step = (): Promise<void> =>
      new Promise((resolve) => {
        acked = resolve;
        markFrame(frame, ++frameNumber);
        stampSendTime(frame);
        socket.cork();
        socket.write(header);
        socket.write(frame);
        socket.uncork();
        if (HOPS_ON) writeUs.push((Number(process.hrtime.bigint()) - Number(frame.readBigUInt64LE(0))) / 1000);
      });
    await runPaced(WARM_MS, o.rate, step);
    const { calls, window } = await runPaced(o.seconds * 1000, o.rate, step);
    const r = await run.reader.result(window);
    const hops = r.hops && { 'stamp -> write() returned (writer)': summarize(writeUs.values()), ...r.hops };
    return { ...latencyRow({ name: o.name, transport: 'unix', bytes: o.bytes }, r, window, calls), hops };
  } finally {
    await run.end();
  }
}
