/**
 * The memory section's program (main2 shape, no analysis): CAMERAS synthetic 1080p cameras, one NullProcess per
 * camera reading it. Forked by the bench (compiled JS when dist/ is up to date); says { t: 'ready', ... } with its
 * children's pids and ring names once frames flow, and stops on { t: 'stop' }.
 */
import { stopAll } from '../../src/process/index.js';
import { LiveStream } from '../../src/stream/index.js';
import { NullProcess } from './memory_processes.js';

const cameras = Number(process.argv[2] ?? 4);
const [width, height, fps] = [
  Number(process.argv[3] ?? 1920),
  Number(process.argv[4] ?? 1080),
  Number(process.argv[5] ?? 5),
];
const tag = `bm${process.pid}`;
const streams = Array.from(
  { length: cameras },
  (_, i) => new LiveStream({ source: 'synthetic://testsrc2', width, height, fps, name: `${tag}-cam${i}` }),
);
const procs = streams.map((_, i) => new NullProcess({ name: `${tag}-null${i}` }));
try {
  await Promise.all(procs.map((p) => p.start()));
  await Promise.all(streams.map((s) => s.start()));
  await Promise.all(
    procs.map((p, i) => p.backend.activateRGB24Client(streams[i]!.pars(), { source: `cam${i}`, waitMs: 10_000 })),
  );
  await Promise.all(streams.map((s) => s.whenState('streaming', 30_000)));
  process.send!({
    t: 'ready',
    tag,
    children: procs.map((p, i) => ({ name: p.name, pid: p.pid, ring: streams[i]!.pars().name })),
  });
} catch (err) {
  process.send!({ t: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
const stop = async () => {
  await stopAll(procs);
  await Promise.all(streams.map((s) => s.stop()));
  process.exit(0);
};
process.on('message', (m: { t: string }) => void (m.t === 'stop' && stop()));
process.on('disconnect', () => void stop());
