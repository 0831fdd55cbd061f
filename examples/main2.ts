// main2: N cameras → one RGB24Process per camera. Each camera has a child of its own (one busy camera cannot slow
// the others; the analysis uses every core).
//
//   cam0 ─ffmpeg─▶ ring ─▶ MotionRGBProcess "rgb-cam0"
//   cam1 ─ffmpeg─▶ ring ─▶ MotionRGBProcess "rgb-cam1"
//
// npm run main2 -- [camera URL ...] [--width W] [--height H] [--fps F] [--duration S] [--out DIR] [--json]

import { runExample } from './cli/runtime.js';
import { MotionRGBProcess } from './rgb_process.js';

await runExample('main2', async ({ cameras, settings, adopt }) => {
  const processes = cameras.map((camera) => adopt(new MotionRGBProcess({ name: `rgb-${camera.name}`, settings })));
  await Promise.all(processes.map((p) => p.start()));
  await Promise.all(
    processes.map((p, i) => p.backend.activateRGB24Client(cameras[i]!.stream.info(), { source: cameras[i]!.name })),
  );
});
