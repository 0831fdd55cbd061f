// What camera time (meta.ptsUs) costs: the same LiveStream with cameraTime on and off, alternated in one run so that
// the machine's load hits both alike. Measures ffmpeg's CPU (all its threads) and the pump thread's, per frame.
//   npx tsx scripts/bench_camera_time.ts [width height fps seconds rounds]   (default 1280 720 30 10 3)
// Needs an ffmpeg ≥ 5.0 (FFMPEG_PATH, or /usr/bin/ffmpeg is tried when the default one is older).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { LiveStream, probeFfmpeg, resolveFfmpeg } from '../src/stream/index.js';
import { processCpuNs, threadCpuNs } from './bench/read_floor.js';

const [width = 1280, height = 720, fps = 30, seconds = 10, rounds = 3] = process.argv.slice(2).map(Number);

async function timedFfmpeg(): Promise<string> {
  for (const path of [resolveFfmpeg().path, '/usr/bin/ffmpeg']) {
    if (existsSync(path) && (await probeFfmpeg(path)).frameTimes) return path;
  }
  throw new Error('no ffmpeg ≥ 5.0 found: set FFMPEG_PATH');
}

interface Sample {
  frames: number;
  ffmpegNs: number;
  pumpNs: number;
  /** Times the pump thread slept (voluntary context switches): its wakeups. */
  pumpWakeups: number;
}

function pumpWakeups(): number {
  let sum = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'framering-pump') continue;
      sum += Number(
        /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${tid}/status`, 'utf8'))?.[1] ?? 0,
      );
    } catch {
      // ended meanwhile
    }
  }
  return sum;
}

async function measure(ffmpegPath: string, cameraTime: boolean): Promise<Sample> {
  const name = `bench-camtime-${process.pid}`;
  const stream = new LiveStream({ source: 'synthetic://testsrc2', width, height, fps, name, ffmpegPath, cameraTime });
  try {
    await stream.start();
    await stream.whenState('streaming', 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // past ffmpeg's start-up
    const pid = stream.stats().ffmpegPid!;
    const at = () => ({
      frames: stream.stats().framesIn,
      ffmpegNs: processCpuNs(pid),
      pumpNs: threadCpuNs('framering-pump') ?? 0,
      pumpWakeups: pumpWakeups(),
    });
    const a = at();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = at();
    return {
      frames: b.frames - a.frames,
      ffmpegNs: b.ffmpegNs - a.ffmpegNs,
      pumpNs: b.pumpNs - a.pumpNs,
      pumpWakeups: b.pumpWakeups - a.pumpWakeups,
    };
  } finally {
    await stream.stop();
  }
}

const ffmpegPath = await timedFfmpeg();
const totals = {
  on: { frames: 0, ffmpegNs: 0, pumpNs: 0, pumpWakeups: 0 },
  off: { frames: 0, ffmpegNs: 0, pumpNs: 0, pumpWakeups: 0 },
};
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
    const s = await measure(ffmpegPath, mode === 'on');
    totals[mode].frames += s.frames;
    totals[mode].ffmpegNs += s.ffmpegNs;
    totals[mode].pumpNs += s.pumpNs;
    totals[mode].pumpWakeups += s.pumpWakeups;
  }
}
const wall = rounds * seconds * 1e9;
console.log(
  `${ffmpegPath}, synthetic testsrc2 ${width}x${height} @ ${fps} fps, ${rounds} × ${seconds} s per mode, alternated`,
);
for (const mode of ['off', 'on'] as const) {
  const t = totals[mode];
  console.log(
    `cameraTime ${mode.padEnd(3)}: ${t.frames} frames; ffmpeg ${((100 * t.ffmpegNs) / wall).toFixed(1)}% of a core ` +
      `(${(t.ffmpegNs / t.frames / 1000).toFixed(0)} µs/frame); pump ${((100 * t.pumpNs) / wall).toFixed(2)}% ` +
      `(${(t.pumpNs / t.frames / 1000).toFixed(1)} µs/frame, ${(t.pumpWakeups / t.frames).toFixed(1)} wakeups/frame)`,
  );
}
const d = (k: 'ffmpegNs' | 'pumpNs') => (totals.on[k] / totals.on.frames - totals.off[k] / totals.off.frames) / 1000;
console.log(`difference per frame: ffmpeg ${d('ffmpegNs').toFixed(1)} µs, pump ${d('pumpNs').toFixed(2)} µs`);
