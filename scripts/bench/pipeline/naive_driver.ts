/**
 * The pipeline a Node user writes without framering (main3 shape): fluent-ffmpeg's stdout stream → Buffer → one
 * frame → process.send (advanced serialization) to a worker per camera; the worker forwards every 2nd frame back
 * through this process to one master worker (child processes can only talk to their parent), which replies the same
 * way. No backpressure, as such code usually has none: process.send queues what the child has not read yet.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ffmpeg from 'fluent-ffmpeg';
import { parseSource } from '../../../src/stream/camera_source.js';
import { resolveFfmpeg } from '../../../src/stream/ffmpeg_binary.js';
import { probeFfmpeg } from '../../../src/stream/ffmpeg_capabilities.js';
import { buildFfmpegArgs } from '../../../src/stream/ffmpeg_command.js';
import { driverArgs, serveDriver, type PipelineCounts } from './driver_ipc.js';

const a = driverArgs();
const childPath = fileURLToPath(
  new URL(`./naive_child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
const childArgv = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];

function forkChild(role: string): ChildProcess {
  return fork(childPath, [role], {
    serialization: 'advanced',
    execArgv: childArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

serveDriver(async () => {
  const { path } = resolveFfmpeg();
  const args = buildFfmpegArgs(
    parseSource({ kind: 'file', path: a.clip, loop: true, realtime: true }),
    a,
    await probeFfmpeg(path),
  );
  const inputAt = args.indexOf('-i');
  const frameBytes = a.width * a.height * 3;
  const master = forkChild('master');
  const workers = Array.from({ length: a.cameras }, () => forkChild('worker'));
  let decoded = 0;
  const pendingCounts: Array<(c: { handled: number; forwarded: number; replies: number }) => void>[] = workers.map(
    () => [],
  );
  const pendingMaster: Array<(n: number) => void> = [];
  workers.forEach((w, cam) => {
    w.on(
      'message',
      (m: { t: string; n?: number; frame?: Uint8Array; handled?: number; forwarded?: number; replies?: number }) => {
        if (m.t === 'forward') master.send({ t: 'frame', cam, n: m.n, frame: m.frame });
        else if (m.t === 'counts')
          pendingCounts[cam]!.shift()?.({ handled: m.handled!, forwarded: m.forwarded!, replies: m.replies! });
      },
    );
  });
  master.on('message', (m: { t: string; cam?: number; n?: number; value?: number; handled?: number }) => {
    if (m.t === 'reply') workers[m.cam!]!.send({ t: 'reply', n: m.n, value: m.value });
    else if (m.t === 'counts') pendingMaster.shift()?.(m.handled!);
  });
  const commands = workers.map((w) => {
    const command = ffmpeg()
      .setFfmpegPath(path)
      .input(args[inputAt + 1]!)
      .inputOptions(...args.slice(0, inputAt))
      .outputOptions(...args.slice(inputAt + 2, -1));
    command.on('error', () => {});
    const frame = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    let n = 0;
    command.pipe().on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        chunk.copy(frame, filled, at, at + take);
        filled += take;
        at += take;
        if (filled === frameBytes) {
          decoded++;
          w.send({ t: 'frame', n: n++, frame });
          filled = 0;
        }
      }
    });
    return command;
  });
  const deadline = Date.now() + 30_000;
  while (decoded < a.cameras && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return {
    async counts(): Promise<PipelineCounts> {
      const per = await Promise.all(
        workers.map(
          (w, i) =>
            new Promise<{ handled: number; forwarded: number; replies: number }>((resolve) => {
              pendingCounts[i]!.push(resolve);
              w.send({ t: 'counts' });
            }),
        ),
      );
      const masterHandled = await new Promise<number>((resolve) => {
        pendingMaster.push(resolve);
        master.send({ t: 'counts' });
      });
      return {
        decoded,
        handled: per.reduce((s, c) => s + c.handled, 0),
        forwarded: per.reduce((s, c) => s + c.forwarded, 0),
        replies: per.reduce((s, c) => s + c.replies, 0),
        masterHandled,
      };
    },
    async stop() {
      for (const c of commands) c.kill('SIGKILL');
      for (const w of [...workers, master]) w.kill('SIGKILL');
    },
  };
});
