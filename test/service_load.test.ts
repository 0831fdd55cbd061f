// Load: 30 MJPEG viewers for 20 s plus one that stops reading, on the real service (startService + startHttp from
// a config, in this process, so that its RSS is this process's). The service's memory stays bounded, the viewers
// keep their rate, the cameras keep theirs, and the stalled viewer is dropped frames instead of buffered.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/service/config/index.js';
import { startHttp, type HttpServer } from '../src/service/http/index.js';
import { httpOptionsFor } from '../src/service/http_options.js';
import { startService, type Service } from '../src/service/service.js';
import { listSegments } from '../src/shm/index.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { parsePrometheus, rawGet } from './support/http_clients.js';

const SECONDS = 20;
const FPS = 5;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('service HTTP under load', () => {
  let service: Service;
  let http: HttpServer;

  beforeAll(async () => {
    // A light analysis (motion on every 8th pixel) keeps the processes in the picture without loading the 2 cores.
    const parsed = parseConfigText(`cameras:
  a: { source: synthetic://testsrc2, width: 640, height: 360, fps: 10 }
  b: { source: synthetic://testsrc, width: 640, height: 360, fps: 10 }
processes:
  - name: motion
    class: motion
    options: { step: 8 }
http:
  port: 0
  mjpeg: { maxClientsPerCamera: 40 }
`);
    service = await startService(parsed, { log: () => {} });
    http = await startHttp(service, httpOptionsFor(parsed.config));
    for (
      let i = 0;
      Object.values(service.stats().cameras).some((c) => c.state !== 'streaming' || c.camera_fps === 0);
      i++
    ) {
      if (i > 300) throw new Error(`the cameras did not start: ${JSON.stringify(service.stats().cameras)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    await http?.close();
    await service?.stop();
    expect(listSegments().filter((s) => s.name.startsWith(`svc${process.pid}-`))).toEqual([]);
  });

  it(`30 viewers for ${SECONDS} s and one stalled: bounded memory, steady rates`, async () => {
    const stats = async () =>
      JSON.parse((await rawGet(http.url, '/api/stats')).body.toString()) as {
        cameras: Record<string, { camera_fps: number; process_fps: number }>;
        http: { mjpeg_clients: number; encoder_pid: number; jpeg_feeds: number };
      };
    const encoderPid = (await stats()).http.encoder_pid;
    const rssBefore = process.memoryUsage().rss;
    const path = (cam: string) => `/api/cameras/${cam}/stream.mjpeg?fps=${FPS}&height=360`;
    const child = forkScript(new URL('./support/mjpeg_viewers.ts', import.meta.url), [
      http.url,
      JSON.stringify([
        { path: path('a'), count: 15 },
        { path: path('b'), count: 15 },
      ]),
      String(SECONDS),
      // The stalled viewer asks big frames at the camera's full rate, so that it fills the kernel's socket buffers
      // (several MiB on loopback) well within the run.
      '/api/cameras/a/stream.mjpeg?fps=10&height=360&quality=100',
    ]);
    try {
      const started = await nextMessage<{ kind: string; stalledStatus: number }>(child, (m) => m.kind === 'started');
      expect(started.stalledStatus).toBe(200);
      const done = nextMessage<{ kind: string; viewers: Array<{ status: number; frames: number; fps: number }> }>(
        child,
        (m) => m.kind === 'done',
        (SECONDS + 30) * 1000,
      );
      const rssSamples: number[] = [];
      const encoderRss: number[] = [];
      const camFps: number[] = [];
      const analysedFps: number[] = [];
      let during = await stats();
      const sampler = setInterval(() => {
        rssSamples.push(process.memoryUsage().rss);
        encoderRss.push(rssOf(encoderPid));
      }, 500);
      for (let s = 0; s < SECONDS - 4; s += 4) {
        await new Promise((r) => setTimeout(r, 4000));
        during = await stats();
        camFps.push(during.cameras.a!.camera_fps, during.cameras.b!.camera_fps);
        analysedFps.push(during.cameras.a!.process_fps, during.cameras.b!.process_fps);
      }
      expect(during.http.mjpeg_clients).toBe(31);
      expect(during.http.jpeg_feeds).toBe(3); // 31 viewers, 3 sizes: 3 encodes per frame time
      const result = await done;
      clearInterval(sampler);

      const fps = result.viewers.map((v) => v.fps);
      const minFps = Math.min(...fps);
      const meanFps = fps.reduce((a, b) => a + b, 0) / fps.length;
      const peakRss = Math.max(...rssSamples);
      const growth = peakRss - rssBefore;
      const metrics = parsePrometheus((await rawGet(http.url, '/metrics')).body.toString());
      const dropped = metrics.samples.find((s) => s.name === 'framering_http_mjpeg_frames_dropped_total')!.value;
      console.log(
        `load: ${result.viewers.length} viewers, fps min ` +
          `${minFps.toFixed(2)} mean ${meanFps.toFixed(2)} (asked ${FPS}); ` +
          `camera fps min ${Math.min(...camFps).toFixed(1)}, analysed min ` +
          `${Math.min(...analysedFps).toFixed(1)}; service RSS ` +
          `${(rssBefore / 2 ** 20).toFixed(0)} → peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; ` +
          `encoder RSS peak ${(Math.max(...encoderRss) / 2 ** 20).toFixed(0)} ` +
          `MiB; frames dropped for slow viewers ${dropped}`,
      );
      for (const v of result.viewers) expect(v.status).toBe(200);
      expect(minFps).toBeGreaterThan(FPS * 0.8);
      expect(Math.min(...camFps)).toBeGreaterThan(10 * 0.8);
      expect(Math.min(...analysedFps)).toBeGreaterThan(10 * 0.7); // the analysis is not starved by the viewers
      expect(growth).toBeLessThan(96 * 2 ** 20);
      expect(Math.max(...encoderRss)).toBeLessThan(400 * 2 ** 20);
      // The stalled viewer was skipped rather than queued.
      expect(dropped).toBeGreaterThan(10);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // Everyone gone: no client left behind.
    await new Promise((r) => setTimeout(r, 500));
    expect((await stats()).http.mjpeg_clients).toBe(0);
  }, 90_000);
});
