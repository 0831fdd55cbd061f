// main3: one ClientProcess per camera, all registered with one MasterProcess. Clients do the light work (motion)
// and forward frames with motion; the master does the heavy work and replies to each client, which draws the boxes
// on a snapshot. The master runs a COCO object-detection network by default (CenterNet on tfjs-wasm: person, car,
// dog, …, labelled boxes); `--detector blobs` runs the older moving-blob extraction instead.
//
//   cam0 ─ffmpeg─▶ ring ─▶ MotionClient "client-cam0" ─reference ring─┐
//                                 ▲                                   ├─▶ CocoMaster "master" (or BlobMaster),
//                                 └──────────── reply ring ───────────┤   which takes each frame in the camera ring
//   cam1 ─ffmpeg─▶ ring ─▶ MotionClient "client-cam1" ─reference ring─┘   (and a reply ring to client-cam1)
//
// npm run main3 -- [camera URL ...] [--detector centernet|blobs] [--width W] [--height H] [--fps F] [--duration S]
//                  [--out DIR] [--json]

import { stopAll } from '../src/process/index.js';
import { runExample } from './cli/runtime.js';
import { MotionClient } from './client_process.js';
import { BlobMaster, CocoMaster } from './master_process.js';

// --detector is main3's own option: taken off the command line before the shared parser sees it.
const DETECTORS = ['centernet', 'blobs'] as const;
let detector = 'centernet' as (typeof DETECTORS)[number];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]!;
  if (arg === '--') break;
  if (arg !== '--detector' && !arg.startsWith('--detector=')) continue;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : process.argv[i + 1];
  if (!DETECTORS.includes(value as never)) {
    process.stderr.write(`main3: --detector must be ${DETECTORS.join(' or ')} (got '${value ?? ''}')\n`);
    process.exit(2);
  }
  detector = value as typeof detector;
  process.argv.splice(i, arg.includes('=') ? 1 : 2);
  i--;
}
if (process.argv.includes('--help'))
  process.stdout.write(
    'main3 also takes --detector centernet|blobs (default centernet: COCO objects; blobs: moving blobs)\n',
  );

await runExample('main3', async ({ cameras, settings, adopt }) => {
  const master = adopt(
    detector === 'blobs'
      ? new BlobMaster({ name: 'master', settings, maxClients: cameras.length })
      : new CocoMaster({ name: 'master', maxClients: cameras.length, detector: { minScore: 0.35 } }),
  );
  const clients = cameras.map((camera) =>
    adopt(
      new MotionClient({
        name: `client-${camera.name}`,
        settings,
        // The client forwards whole frames, and the master takes them where they lie: no copy. A client that forwards
        // a smaller crop or thumbnail copies it into a ring of its own: forward: { width, height, slots }.
        forward: { byReference: true },
      }),
    ),
  );
  await Promise.all([master.start(), ...clients.map((c) => c.start())]);
  for (const client of clients) await master.registerClientProcess(client);
  // Frames flow once the clients read their cameras.
  await Promise.all(
    clients.map((c, i) => c.backend.activateRGB24Client(cameras[i]!.stream.info(), { source: cameras[i]!.name })),
  );

  return {
    // Clients before servers: each client stops reading its camera and drops the master's reply ring, the master
    // lets go of the clients' rings, then everything stops (the runtime stops the cameras last).
    async stop() {
      await Promise.allSettled(
        clients.map((c) =>
          c.state === 'running' ? c.backend.deactivateRGB24Client(cameras[clients.indexOf(c)]!.name) : undefined,
        ),
      );
      await Promise.allSettled(clients.map((c) => master.deregisterClientProcess(c)));
      await stopAll([...clients, master]);
    },
  };
});
