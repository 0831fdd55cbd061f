// main3 with the object detector, end to end: video-file cameras made from real photos (panned so that the clients'
// motion gate forwards them) → ffmpeg → rings → MotionClients → CocoMaster (CenterNet on tfjs-wasm) → replies with
// labelled boxes → snapshots. Then the master under overload: 4 cameras at 10 fps into one detector that manages a
// few frames a second keeps its memory flat, counts what it skips, and does not slow the clients down.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../src/analysis/detector/index.js';
import { stopInOrder } from '../src/process/index.js';
import { LiveStream } from '../src/stream/index.js';
import { MotionClient } from '../examples/client_process.js';
import { CocoMaster } from '../examples/master_process.js';
import { boxInVideo, makePanningVideo, VIDEO_H, VIDEO_W } from './fixtures/detector/panning_video.js';
import { expectCleanRun, processNamed } from './fixtures/examples/check_run.js';
import { runExample } from './fixtures/examples/run_example.js';
import { shmFiles } from './fixtures/process/test_helpers.js';

const base = mkdtempSync(join(tmpdir(), 'framering-detector-ex-'));
let astronaut = '';
let motorcycle = '';

beforeAll(() => {
  astronaut = makePanningVideo('astronaut', base, 40);
  motorcycle = makePanningVideo('motorcycle', base, 40);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('main3 with the CenterNet detector', { timeout: 150_000 }, () => {
  it(
    'finds the person on the astronaut camera and the motorcycle ' +
      'on the other, around the subject, labelled on snapshots',
    async () => {
      const out = join(base, 'main3');
      const run = await runExample(
        'main3',
        [astronaut, motorcycle, '--duration', '12', '--out', out, '--json', '--snapshot-interval', '1'],
        { timeoutMs: 120_000 },
      );
      const json = expectCleanRun(run);
      const master = processNamed(json, 'master') as ReturnType<typeof processNamed> & {
        objects: Record<string, number>;
        detector: { model: string; inference: Record<string, { p50: number; p99: number; count: number }> };
      };
      expect(master.detector.model).toBe('centernet');
      expect(master.detector.inference.centernet!.count).toBeGreaterThan(5);
      expect(master.objects.person).toBeGreaterThan(0);
      expect(master.objects.motorcycle).toBeGreaterThan(0);
      type Client = {
        objects: Record<string, number>;
        bestObjects: Record<string, { score: number; box: { x: number; y: number; width: number; height: number } }>;
        replyLatencyMs: { p50: number; p99: number };
        misrouted: number;
        snapshots: number;
      };
      const cam0 = processNamed(json, 'client-cam0') as unknown as Client;
      const cam1 = processNamed(json, 'client-cam1') as unknown as Client;
      for (const [client, label, photo] of [
        [cam0, 'person', 'astronaut'],
        [cam1, 'motorcycle', 'motorcycle'],
      ] as const) {
        expect(client.misrouted).toBe(0);
        const best = client.bestObjects[label];
        expect(best, `${label}: ${JSON.stringify(client.bestObjects)}`).toBeDefined();
        expect(best!.score).toBeGreaterThanOrEqual(label === 'person' ? 0.5 : 0.3);
        expect(best!.box.x).toBeGreaterThanOrEqual(0);
        expect(best!.box.x + best!.box.width).toBeLessThanOrEqual(VIDEO_W);
        expect(best!.box.y + best!.box.height).toBeLessThanOrEqual(VIDEO_H);
        expect(iou(best!.box, boxInVideo(photo))).toBeGreaterThanOrEqual(0.5);
        expect(client.replyLatencyMs.p50).toBeGreaterThan(0);
        expect(client.snapshots).toBeGreaterThan(0);
      }
      // Neither camera shows the other's subject.
      expect(cam0.objects.motorcycle ?? 0).toBe(0);
      expect(cam1.objects.person ?? 0).toBeLessThan(cam1.objects.motorcycle!);
      const files = readdirSync(out);
      expect(files.some((f) => f.startsWith('cam0-') && f.includes('person'))).toBe(true);
      expect(files.some((f) => f.startsWith('cam1-') && f.includes('motorcycle'))).toBe(true);
    },
  );
});

describe('the detector master under overload', { timeout: 150_000 }, () => {
  it('4 cameras at 10 fps into one detector: memory flat, skips counted, clients keep their fps', async () => {
    const tag = `exd${process.pid}`;
    const videos = [astronaut, motorcycle, astronaut, motorcycle];
    const streams = videos.map(
      (path, i) =>
        new LiveStream({
          source: { kind: 'file', path, loop: true, realtime: true },
          width: VIDEO_W,
          height: VIDEO_H,
          fps: 10,
          name: `${tag}-cam${i}`,
          slots: 8,
        }),
    );
    const settings = { outDir: join(base, 'overload'), snapshotIntervalMs: 60_000 };
    const master = new CocoMaster({ name: `${tag}-master`, maxClients: 4, detector: { minScore: 0.35 } });
    const clients = streams.map(
      (_, i) =>
        new MotionClient({
          name: `${tag}-client${i}`,
          settings,
          forward: { width: VIDEO_W, height: VIDEO_H, slots: 4 },
        }),
    );
    try {
      await Promise.all([master.start(), ...clients.map((c) => c.start())]);
      for (const c of clients) await master.registerClientProcess(c);
      await Promise.all(
        clients.map((c, i) => c.backend.activateRGB24Client(streams[i]!.info(), { source: `cam${i}` })),
      );
      await Promise.all(streams.map((s) => s.start()));
      const startMs = Date.now();
      await new Promise((r) => setTimeout(r, 6000)); // warmed up: model loaded, buffers allocated
      const rssEarly = rssKiB(master.pid!);
      const camsEarly = streams.map((s) => s.stats().framesDelivered);
      const handledEarly = await Promise.all(
        clients.map(async (c, i) => (await c.backend.getStats()).rings[`cam${i}`]!.handled),
      );
      let rssMax = rssEarly;
      for (let t = 0; t < 12; t++) {
        await new Promise((r) => setTimeout(r, 1000));
        rssMax = Math.max(rssMax, rssKiB(master.pid!));
      }
      const seconds = (Date.now() - startMs - 6000) / 1000;
      const stats = await master.backend.detectorStats();
      const cams = streams.map((s, i) => s.stats().framesDelivered - camsEarly[i]!);
      const handled = await Promise.all(
        clients.map(async (c, i) => (await c.backend.getStats()).rings[`cam${i}`]!.handled - handledEarly[i]!),
      );
      const summary = {
        seconds,
        rssEarlyMiB: rssEarly / 1024,
        rssMaxMiB: rssMax / 1024,
        cams,
        handled,
        detectionFps: stats.detectionFps,
        skippedFps: stats.skippedFps,
        inference: stats.inference,
        clients: stats.clients,
        bufferedBytes: stats.bufferedBytes,
      };
      console.log(`overload: ${JSON.stringify(summary)}`);

      // The detector is the bottleneck: it looks at fewer frames than arrive, and counts the rest as skipped.
      expect(stats.detectionFps).toBeGreaterThan(0.5);
      expect(stats.detectionFps).toBeLessThan(40);
      let detected = 0;
      for (const c of clients) {
        const s = stats.clients[c.name]!;
        expect(s.skipped, c.name).toBeGreaterThan(0);
        expect(s.detected, c.name).toBeGreaterThan(0); // every client gets its turn
        expect(s.received).toBeGreaterThanOrEqual(s.detected + s.skipped - 1);
        detected += s.detected;
      }
      expect(Math.max(...clients.map((c) => stats.clients[c.name]!.detected))).toBeLessThanOrEqual(
        3 * Math.min(...clients.map((c) => stats.clients[c.name]!.detected)) + 3,
      );
      expect(detected).toBeGreaterThan(0);
      // Bounded: at most a waiting frame and a spare buffer per client (and the one in the network).
      expect(stats.waiting).toBeLessThanOrEqual(4);
      expect(stats.bufferedBytes).toBeLessThanOrEqual(3 * 4 * VIDEO_W * VIDEO_H * 3);
      // Memory flat over 12 s of overload (a leak of one frame per skipped frame would be ~100 MiB here).
      expect(rssMax - rssEarly).toBeLessThan(40 * 1024);
      // The clients keep up with their cameras: the slow master does not hold them back.
      cams.forEach((n, i) => {
        expect(n / seconds, `cam${i} fps`).toBeGreaterThan(6);
        expect(handled[i]!, `client${i} frames`).toBeGreaterThanOrEqual(Math.floor(n * 0.85));
      });
    } finally {
      await stopInOrder(clients, [master]);
      await Promise.all(streams.map((s) => s.stop()));
    }
    expect(shmFiles(tag)).toEqual([]);
  });
});
