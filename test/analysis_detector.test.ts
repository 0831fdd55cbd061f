// The object detector with the real CenterNet model on tfjs-wasm: real photos, letterboxing, thresholds, NMS, errors
// with codes; then the DetectorMaster on its own, fed by a real frame ring and a real ClientProcess.

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COCO_LABELS,
  DetectorError,
  ObjectDetector,
  defaultModelPath,
  fitToInput,
  iou,
  nonMaxSuppression,
  toFrameBox,
} from '../src/analysis/detector/index.js';
import {
  DetectorMaster,
  isDetectorReply,
  stopInOrder,
  type DetectorReply,
  type ObjectEvent,
} from '../src/process/index.js';
import { FrameRingServer } from '../src/shm/index.js';
import { HAND_BOXES, loadPhoto, scaleBox } from './fixtures/detector/photos.js';
import { ForwardingClient } from './fixtures/process/forwarding_client.js';
import { shmFiles, waitEvent } from './fixtures/process/test_helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'framering-detector-'));
let detector: ObjectDetector;

beforeAll(async () => {
  detector = await ObjectDetector.create({ minScore: 0.2 });
});

afterAll(async () => {
  await detector?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string): Promise<DetectorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DetectorError);
  expect((err as DetectorError).code).toBe(code);
  return err as DetectorError;
}

describe('ObjectDetector (CenterNet, tfjs-wasm)', () => {
  it(
    'finds the astronaut (person ≥ 0.5), the motorcycle ' + 'and the cup, inside the frame and around the subject',
    async () => {
      expect(detector.description).toMatch(/^centernet on tfjs-wasm .*input 512x512$/);
      for (const [name, expected] of Object.entries(HAND_BOXES)) {
        const photo = await loadPhoto(name);
        const { objects, inferenceMs } = await detector.detect(photo.pixels, photo.width, photo.height);
        const best = objects.find((o) => o.label === expected.label);
        expect(best, `${name}: ${JSON.stringify(objects)}`).toBeDefined();
        if (name === 'astronaut') expect(best!.score).toBeGreaterThanOrEqual(0.5);
        else expect(best!.score).toBeGreaterThanOrEqual(0.3);
        // Best first, and every box inside the frame.
        expect(objects[0]!.score).toBeGreaterThanOrEqual(best!.score);
        for (const o of objects) {
          expect(o.box.x).toBeGreaterThanOrEqual(0);
          expect(o.box.y).toBeGreaterThanOrEqual(0);
          expect(o.box.x + o.box.width).toBeLessThanOrEqual(photo.width);
          expect(o.box.y + o.box.height).toBeLessThanOrEqual(photo.height);
          expect(COCO_LABELS[o.classId]).toBe(o.label);
        }
        expect(iou(best!.box, expected.box)).toBeGreaterThanOrEqual(0.5);
        expect(inferenceMs).toBeGreaterThan(0);
      }
    },
  );

  it(
    'maps boxes back to the frame whatever its size and ' + 'shape (a wide 640x360 camera frame of the motorcycle)',
    async () => {
      const expected = HAND_BOXES.motorcycle;
      const photo = await loadPhoto('motorcycle', { width: 640, height: 360 });
      const { objects } = await detector.detect(photo.pixels, photo.width, photo.height);
      const moto = objects.find((o) => o.label === 'motorcycle');
      expect(moto, JSON.stringify(objects)).toBeDefined();
      expect(iou(moto!.box, scaleBox(expected.box, expected.size, { width: 640, height: 360 }))).toBeGreaterThanOrEqual(
        0.5,
      );
    },
  );

  it('a flat grey frame has no person in it', async () => {
    const grey = new Uint8Array(640 * 360 * 3).fill(128);
    const { objects } = await detector.detect(grey, 640, 360);
    expect(objects.filter((o) => o.label === 'person')).toEqual([]);
  });

  it('keeps only the labels asked for, above the minimum score, one box per object', async () => {
    const photo = await loadPhoto('motorcycle');
    const only = await ObjectDetector.create({ labels: ['motorcycle'], minScore: 0.5 }); // shares the process's runtime
    try {
      const { objects } = await only.detect(photo.pixels, photo.width, photo.height);
      expect(objects.length).toBe(1);
      expect(objects[0]).toMatchObject({ label: 'motorcycle', classId: 3 });
      expect(objects[0]!.score).toBeGreaterThanOrEqual(0.5);
    } finally {
      await only.dispose();
    }
    await expectCode(only.detect(photo.pixels, photo.width, photo.height), 'DISPOSED');
    await expectCode(detector.detect(photo.pixels, photo.width + 1, photo.height), 'INVALID_FRAME');
  });

  it('letterbox, box mapping and NMS on their own', () => {
    const rgb = new Uint8Array(200 * 100 * 3).fill(200);
    const out = new Float32Array(64 * 64 * 3);
    const t = fitToInput(rgb, 200, 100, out, 64, 64);
    expect(t).toMatchObject({ scaleX: 0.32, scaleY: 0.32, padX: 0, padY: 16 });
    expect(out[0]).toBe(114); // padding above
    expect(out[(20 * 64 + 10) * 3]).toBeCloseTo(200);
    expect(toFrameBox(t, 0, 16, 64, 48)).toEqual({ x: 0, y: 0, width: 200, height: 100 });
    expect(toFrameBox(t, -10, 0, 70, 60)).toEqual({ x: 0, y: 0, width: 200, height: 100 }); // clipped
    const a = { classId: 0, score: 0.9, box: { x: 0, y: 0, width: 10, height: 10 } };
    const b = { classId: 0, score: 0.8, box: { x: 1, y: 1, width: 10, height: 10 } };
    const c = { classId: 1, score: 0.7, box: { x: 1, y: 1, width: 10, height: 10 } };
    expect(nonMaxSuppression([b, c, a], 0.5)).toEqual([a, c]);
    expect(nonMaxSuppression([b, c, a], 0.5, { perClass: false })).toEqual([a]);
  });

  it('bad options, a missing model and a damaged model are errors with codes, at creation', async () => {
    await expectCode(ObjectDetector.create({ minScore: 2 }), 'INVALID_ARGUMENT');
    const unknown = await expectCode(ObjectDetector.create({ labels: ['unicorn'] }), 'INVALID_ARGUMENT');
    expect(unknown.message).toContain("'unicorn'");
    await expectCode(ObjectDetector.create({ backend: 'onnxruntime' }), 'INFERENCE_UNAVAILABLE');
    await expectCode(ObjectDetector.create({ backend: { module: 'relative.js' } }), 'INVALID_ARGUMENT');
    const missing = await expectCode(
      ObjectDetector.create({ model: { path: join(tmp, 'nope.json') } }),
      'MODEL_NOT_FOUND',
    );
    expect(missing.message).toContain('nope.json');

    // A copy of the real model with its weights cut short, one with no weights file, and one that is not JSON.
    const src = defaultModelPath();
    const dir = join(tmp, 'damaged');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    copyFileSync(src, join(dir, 'centernet.json'));
    writeFileSync(join(dir, 'centernet.bin'), readFileSync(src.replace(/\.json$/, '.bin')).subarray(0, 1000));
    const short = await expectCode(
      ObjectDetector.create({ model: { path: join(dir, 'centernet.json') } }),
      'MODEL_INVALID',
    );
    expect(short.message).toMatch(/truncated/);
    rmSync(join(dir, 'centernet.bin'));
    await expectCode(ObjectDetector.create({ model: { path: join(dir, 'centernet.json') } }), 'MODEL_NOT_FOUND');
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    await expectCode(ObjectDetector.create({ model: { path: join(dir, 'bad.json') } }), 'MODEL_INVALID');
  });
});

describe('DetectorMaster on its own', () => {
  const tag = `adt${process.pid}`;

  afterAll(() => {
    expect(shmFiles(tag)).toEqual([]);
  });

  it('replies to a client with the objects in its frames, counts them, and reports its figures', async () => {
    const W = 640;
    const H = 360;
    const camera = new FrameRingServer({ name: `${tag}-cam`, width: W, height: H, slots: 4 });
    const client = new ForwardingClient({ name: `${tag}-client`, forward: { width: W, height: H } });
    const master = new DetectorMaster({ name: `${tag}-master`, detector: { minScore: 0.3 } });
    try {
      await Promise.all([client.start(), master.start()]);
      await master.registerClientProcess(client);
      await client.backend.activateRGB24Client(camera.info(), { source: 'cam', policy: 'every' });
      const events: ObjectEvent[] = [];
      master.on('object', (e: ObjectEvent) => events.push(e));
      const astronaut = await loadPhoto('astronaut', { width: W, height: H });
      const grey = new Uint8Array(W * H * 3).fill(128);
      const replies: DetectorReply[] = [];
      client.on('reply', (r: { value: unknown }) => {
        if (isDetectorReply(r.value)) replies.push(r.value);
      });
      // One frame at a time, each after the previous reply: nothing is skipped.
      for (let n = 1; n <= 4; n++) {
        const wait = waitEvent<{ value: DetectorReply }>(client, 'reply', (r) => r.value.frameNumber === n, 30_000);
        camera.write(n <= 3 ? astronaut.pixels : grey, { frameNumber: n });
        await wait;
      }
      expect(replies.map((r) => r.frameNumber)).toEqual([1, 2, 3, 4]);
      for (const r of replies.slice(0, 3)) {
        expect(r).toMatchObject({ client: client.name, width: W, height: H, model: 'centernet' });
        const person = r.objects.find((o) => o.label === 'person');
        expect(person, JSON.stringify(r.objects)).toBeDefined();
        expect(
          iou(person!.box, scaleBox(HAND_BOXES.astronaut.box, HAND_BOXES.astronaut.size, { width: W, height: H })),
        ).toBeGreaterThanOrEqual(0.5);
        expect(r.inferenceMs).toBeGreaterThan(0);
      }
      expect(replies[3]!.objects.filter((o) => o.label === 'person')).toEqual([]);
      // The person who stayed for three frames is one track: one 'new' event.
      expect(events.filter((e) => e.type === 'new' && e.label === 'person')).toHaveLength(1);
      const stats = await master.backend.detectorStats();
      expect(stats.model).toBe('centernet');
      expect(stats.backend).toMatch(/tfjs-wasm/);
      expect(stats.inference.centernet!.count).toBe(4);
      expect(stats.inference.centernet!.p50).toBeGreaterThan(0);
      expect(stats.inference.centernet!.p99).toBeGreaterThanOrEqual(stats.inference.centernet!.p50!);
      expect(stats.clients[client.name]).toMatchObject({ received: 4, detected: 4, skipped: 0 });
      expect(stats.clients[client.name]!.objects.person).toBeGreaterThanOrEqual(3);
      expect(stats.detectionFps).toBeGreaterThan(0);
    } finally {
      await stopInOrder([client], [master]);
      camera.close();
    }
  });

  it('a missing model fails start() with the detector code, and bad options fail in the constructor', async () => {
    expect(() => new DetectorMaster({ name: `${tag}-bad`, detector: { iouThreshold: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const m = new DetectorMaster({
      name: `${tag}-nomodel`,
      detector: { model: { path: join(tmp, 'missing', 'model.json') } },
    });
    const err = await m.start().then(
      () => null,
      (e: unknown) => e as Error & { code: string; cause?: { code?: string } },
    );
    expect(err?.code).toBe('START_FAILED');
    expect(err?.cause?.code).toBe('MODEL_NOT_FOUND');
    expect(err?.message).toContain('model.json');
    if (m.state !== 'exited') await m.stop();
  });
});
