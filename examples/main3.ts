// main3: one ClientProcess per camera, all registered with one MasterProcess. Clients do the light work (motion)
// and forward frames with motion; the master does the heavy work (blobs → boxes) and replies to each client, which
// draws the boxes on a snapshot.
//
//   cam0 ─ffmpeg─▶ ring ─▶ MotionClient "client-cam0" ─forward ring─┐
//                                 ▲                                 ├─▶ BlobMaster "master"
//                                 └──────────── reply ring ─────────┤
//   cam1 ─ffmpeg─▶ ring ─▶ MotionClient "client-cam1" ─forward ring─┘   (and a reply ring to client-cam1)
//
// npm run main3 -- [camera URL ...] [--width W] [--height H] [--fps F] [--duration S] [--out DIR] [--json]

import { stopAll } from '../src/process/index.js';
import { runExample } from './cli/runtime.js';
import { MotionClient } from './client_process.js';
import { BlobMaster } from './master_process.js';

await runExample('main3', async ({ cameras, options, settings, adopt }) => {
  const master = adopt(new BlobMaster({ name: 'master', settings, maxClients: cameras.length }));
  const clients = cameras.map((camera) =>
    adopt(
      new MotionClient({
        name: `client-${camera.name}`,
        settings,
        // The client forwards whole frames; a real one might forward a smaller crop or thumbnail.
        forward: { width: options.width, height: options.height, slots: 4 },
      }),
    ),
  );
  await Promise.all([master.start(), ...clients.map((c) => c.start())]);
  for (const client of clients) await master.registerClientProcess(client);
  // Frames flow once the clients read their cameras.
  await Promise.all(clients.map((c, i) => c.backend.activateRGB24Client(cameras[i]!.stream.pars(), { source: cameras[i]!.name })));

  return {
    // Clients before servers: each client stops reading its camera and drops the master's reply ring, the master
    // lets go of the clients' rings, then everything stops (the runtime stops the cameras last).
    async stop() {
      await Promise.allSettled(clients.map((c) => (c.state === 'running' ? c.backend.deactivateRGB24Client(cameras[clients.indexOf(c)]!.name) : undefined)));
      await Promise.allSettled(clients.map((c) => master.deregisterClientProcess(c)));
      await stopAll([...clients, master]);
    },
  };
});
