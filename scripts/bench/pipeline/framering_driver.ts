/** The framering pipeline (main3 shape): N LiveStreams → N BenchClient processes → one BenchMaster → replies. */
import { stopAll } from '../../../src/process/index.js';
import { LiveStream } from '../../../src/stream/index.js';
import { driverArgs, serveDriver } from './driver_ipc.js';
import { BenchClient, BenchMaster } from './framering_processes.js';

const a = driverArgs();
const tag = `bp${process.pid}`;

serveDriver(async () => {
  const streams = Array.from(
    { length: a.cameras },
    (_, i) =>
      new LiveStream({
        source: { kind: 'file', path: a.clip, loop: true, realtime: true },
        width: a.width,
        height: a.height,
        fps: a.fps,
        name: `${tag}-cam${i}`,
      }),
  );
  const master = new BenchMaster({ name: `${tag}-master`, maxClients: a.cameras });
  const clients = streams.map(
    (_, i) =>
      new BenchClient({
        name: `${tag}-client${i}`,
        forward: a.forward === 'copy' ? { width: a.width, height: a.height, slots: 4 } : { byReference: true },
      }),
  );
  await Promise.all([master.start(), ...clients.map((c) => c.start())]);
  for (const c of clients) await master.registerClientProcess(c);
  await Promise.all(streams.map((s) => s.start()));
  await Promise.all(
    clients.map((c, i) =>
      c.backend.activateRGB24Client(streams[i]!.pars(), { source: `cam${i}`, policy: 'every', waitMs: 10_000 }),
    ),
  );
  await Promise.all(streams.map((s) => s.whenState('streaming', 30_000)));
  return {
    async counts() {
      const per = await Promise.all(clients.map((c) => c.backend.benchCounts()));
      return {
        decoded: streams.reduce((n, s) => n + s.stats().framesDelivered, 0),
        handled: per.reduce((n, c) => n + c.handled, 0),
        forwarded: per.reduce((n, c) => n + c.forwarded, 0),
        replies: per.reduce((n, c) => n + c.replies, 0),
        masterHandled: await master.backend.benchHandled(),
      };
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.backend.deactivateRGB24Client(`cam${clients.indexOf(c)}`)));
      await Promise.allSettled(clients.map((c) => master.deregisterClientProcess(c)));
      await stopAll([...clients, master]);
      await Promise.all(streams.map((s) => s.stop()));
    },
  };
});
