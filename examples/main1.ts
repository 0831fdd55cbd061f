// main1: N cameras → one RGB24Process. One child analyses every camera (motion, blobs, snapshots).
//
//   cam0 ─ffmpeg─▶ ring ─┐
//   cam1 ─ffmpeg─▶ ring ─┼─▶ MotionRGBProcess "rgb"
//   camN ─ffmpeg─▶ ring ─┘
//
// npm run main1 -- [camera URL ...] [--width W] [--height H] [--fps F] [--duration S] [--out DIR] [--json]

import { runExample } from './cli/runtime.js';
import { MotionRGBProcess } from './rgb_process.js';

await runExample('main1', async ({ cameras, settings, adopt }) => {
  const rgb = adopt(new MotionRGBProcess({ name: 'rgb', settings }));
  await rgb.start();
  // The LiveStreams own the rings (servers); the process attaches to each as a reader (client).
  for (const camera of cameras) await rgb.backend.activateRGB24Client(camera.stream.info(), { source: camera.name });
});
