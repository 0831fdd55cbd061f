// One detection configuration, measured in a process of its own (the wasm runtime's SIMD and thread flags are
// fixed per process): loads the CenterNet model, warms up, times `runs` inferences at 512x512, prints one JSON line.
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ObjectDetector } from '../../src/analysis/detector/index.js';

const simd = process.env.DETECT_SIMD !== '0';
const threads = Number(process.env.DETECT_THREADS ?? '0');
const runs = Number(process.env.DETECT_RUNS ?? '25');
const photo = fileURLToPath(new URL('../../test/fixtures/photos/astronaut.jpg', import.meta.url));

const loadStart = performance.now();
const detector = await ObjectDetector.create({ tfjsWasm: { simd, threads } });
const loadMs = performance.now() - loadStart;
const { data, info } = await sharp(photo).removeAlpha().resize(512, 512).raw().toBuffer({ resolveWithObject: true });
const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
for (let i = 0; i < 3; i++) await detector.detect(pixels, info.width, info.height);
const ms: number[] = [];
let objects = 0;
for (let i = 0; i < runs; i++) {
  const r = await detector.detect(pixels, info.width, info.height);
  ms.push(r.inferenceMs);
  objects = r.objects.length;
}
ms.sort((a, b) => a - b);
const pct = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)]! * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    description: detector.description,
    loadMs: Math.round(loadMs),
    runs,
    p50_ms: pct(50),
    p99_ms: pct(99),
    objects,
  })}\n`,
);
await detector.dispose();
process.exit(0);
