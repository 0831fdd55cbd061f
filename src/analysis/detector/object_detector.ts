// ObjectDetector: finds objects (person, car, dog, … ) in an RGB24 frame of any size with a neural network.
// The frame is fitted to the model's input (letterboxed by default), the model returns candidate boxes, and the
// detector keeps those above a minimum score, of the wanted labels, merges near-duplicates (NMS), and maps the boxes
// back to the frame's own pixels. The network runs in a backend chosen by config: TensorFlow.js on WebAssembly by
// default (offline, shipped in npm packages), or your own module. The model loads once, when the detector is created;
// a missing or damaged model file is a DetectorError (MODEL_NOT_FOUND / MODEL_INVALID) then, not later.

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COCO_LABELS } from './coco_labels.js';
import { DetectorError } from './detector_error.js';
import { fitToInput, toFrameBox, type InputTransform, type ResizeMode } from './letterbox.js';
import { defaultModelPath } from './model_files.js';
import { nonMaxSuppression } from './nms.js';

/** One object found in a frame; `box` is in the frame's pixels (top-left corner and size). */
export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: { x: number; y: number; width: number; height: number };
}

export interface DetectionResult {
  objects: Detection[];
  /** Time in the network (the backend's run), and in the whole detect() (fitting, network, filtering). */
  inferenceMs: number;
  totalMs: number;
}

/**
 * What a backend does: run the network on one input (inputHeight × inputWidth × 3 floats, HWC, values 0-255) and
 * return its raw detections, rows of 6 floats: x1, y1, x2, y2, score, class — coordinates in model-input pixels
 * (or 0..1 with model.coordinates 'normalized'), class an index into the labels.
 */
export interface DetectorBackend {
  readonly name: string;
  readonly description: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  run(input: Float32Array): Promise<Float32Array>;
  dispose(): void | Promise<void>;
}

/** A module of your own that provides the backend: `export async function createDetectorBackend(model, options)`. */
export interface CustomBackendSpec {
  /**
   * Absolute path or file: URL of an ES module exporting
   * createDetectorBackend(model: ResolvedModelSpec, options: unknown).
   */
  module: string;
  /** Plain data handed to it as is. */
  options?: unknown;
}

export type BackendChoice = 'tfjs-wasm' | 'onnxruntime' | CustomBackendSpec;

export interface TfjsWasmOptions {
  /** Use the WebAssembly SIMD build (default true). */
  simd?: boolean;
  /** Worker threads for the wasm kernels: false/0 (default: one thread), true (2) or a count. Needs simd. */
  threads?: boolean | number;
}

export interface DetectorModelSpec {
  /** A name for stats and replies (default: the file's name without extension, e.g. 'centernet'). */
  name?: string;
  /** The model file: a TensorFlow.js model.json for tfjs-wasm (default: CenterNet from @vladmandic/human). */
  path?: string;
  /** Class names, indexed by the model's class output (default: the 80 COCO labels). */
  labels?: readonly string[];
  /** Whether the model's boxes are in input pixels (default, as CenterNet) or 0..1. */
  coordinates?: 'pixels' | 'normalized';
  /** Input and output tensor names (default: from the model's signature). */
  inputName?: string;
  outputName?: string;
}

export type ResolvedModelSpec = Required<Pick<DetectorModelSpec, 'name' | 'path' | 'labels' | 'coordinates'>> &
  Pick<DetectorModelSpec, 'inputName' | 'outputName'>;

export interface ObjectDetectorOptions {
  /** Which runtime runs the network (default 'tfjs-wasm'). */
  backend?: BackendChoice;
  model?: DetectorModelSpec;
  /** Detections below this score are dropped (default 0.3; CenterNet's scores for clear objects are 0.4-0.7). */
  minScore?: number;
  /** Only these labels are reported (default: all). Each must be one of the model's labels. */
  labels?: readonly string[];
  /** Boxes of one label overlapping a better one by more than this IoU are merged into it (default 0.5). */
  iouThreshold?: number;
  /** At most this many objects per frame, best first (default 20). */
  maxDetections?: number;
  /** How a frame is fitted to the model's input: 'letterbox' (default: aspect kept, padded) or 'stretch'. */
  resize?: ResizeMode;
  tfjsWasm?: TfjsWasmOptions;
}

export interface NormalizedDetectorOptions {
  backend: BackendChoice;
  model: DetectorModelSpec;
  minScore: number;
  labels: readonly string[] | null;
  iouThreshold: number;
  maxDetections: number;
  resize: ResizeMode;
  tfjsWasm: TfjsWasmOptions;
}

/** Checks options without loading anything (the frontend of a process uses it to fail before forking). */
export function normalizeDetectorOptions(options: ObjectDetectorOptions = {}): NormalizedDetectorOptions {
  const bad = (msg: string): never => {
    throw new DetectorError('INVALID_ARGUMENT', msg);
  };
  const backend = options.backend ?? 'tfjs-wasm';
  if (typeof backend === 'string') {
    if (backend !== 'tfjs-wasm' && backend !== 'onnxruntime')
      bad(`backend must be 'tfjs-wasm', 'onnxruntime' or { module }, got '${backend}'`);
  } else if (
    typeof backend !== 'object' ||
    backend === null ||
    typeof backend.module !== 'string' ||
    !(backend.module.startsWith('file:') || isAbsolute(backend.module))
  ) {
    bad(
      'a custom backend is { module: ' +
        '<absolute path or file: URL of an ES module exporting createDetectorBackend>, options? }',
    );
  }
  const minScore = options.minScore ?? 0.3;
  if (!(typeof minScore === 'number' && minScore >= 0 && minScore <= 1))
    bad(`minScore must be a number from 0 to 1, got ${String(options.minScore)}`);
  const iouThreshold = options.iouThreshold ?? 0.5;
  if (!(typeof iouThreshold === 'number' && iouThreshold > 0 && iouThreshold <= 1))
    bad(`iouThreshold must be above 0 and at most 1, got ${String(options.iouThreshold)}`);
  const maxDetections = options.maxDetections ?? 20;
  if (!Number.isInteger(maxDetections) || maxDetections < 1 || maxDetections > 1000)
    bad(`maxDetections must be a whole number 1..1000, got ${String(options.maxDetections)}`);
  const resize = options.resize ?? 'letterbox';
  if (resize !== 'letterbox' && resize !== 'stretch')
    bad(`resize must be 'letterbox' or 'stretch', got '${String(resize)}'`);
  const model = options.model ?? {};
  if (model.coordinates !== undefined && model.coordinates !== 'pixels' && model.coordinates !== 'normalized')
    bad(`model.coordinates must be 'pixels' or 'normalized'`);
  if (model.labels !== undefined && (!Array.isArray(model.labels) || model.labels.some((l) => typeof l !== 'string')))
    bad('model.labels must be an array of strings');
  const known = model.labels ?? COCO_LABELS;
  let labels: readonly string[] | null = null;
  if (options.labels !== undefined) {
    if (!Array.isArray(options.labels) || options.labels.length === 0)
      bad('labels must be a non-empty array of label names (leave it out to keep every label)');
    const unknown = options.labels.filter((l) => !known.includes(l));
    if (unknown.length > 0)
      bad(
        `unknown label(s) ${unknown.map((l) => `'${l}'`).join(', ')}: ` +
          `the model knows ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}`,
      );
    labels = [...options.labels];
  }
  return { backend, model, minScore, labels, iouThreshold, maxDetections, resize, tfjsWasm: options.tfjsWasm ?? {} };
}

export class ObjectDetector {
  private input: Float32Array;
  private disposed = false;
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly options: NormalizedDetectorOptions,
    readonly model: ResolvedModelSpec,
    private readonly backend: DetectorBackend,
  ) {
    this.input = new Float32Array(backend.inputWidth * backend.inputHeight * 3);
  }

  /** Loads the model (once) and returns a ready detector. Errors are DetectorErrors with a code. */
  static async create(options: ObjectDetectorOptions = {}): Promise<ObjectDetector> {
    const o = normalizeDetectorOptions(options);
    const path = o.model.path ?? defaultModelPath();
    const model: ResolvedModelSpec = {
      name: o.model.name ?? (path.split('/').pop() ?? 'model').replace(/\.(json|onnx)$/i, ''),
      path,
      labels: o.model.labels ?? COCO_LABELS,
      coordinates: o.model.coordinates ?? 'pixels',
      inputName: o.model.inputName,
      outputName: o.model.outputName,
    };
    const backend = await createBackend(o, model);
    return new ObjectDetector(o, model, backend);
  }

  /** e.g. 'centernet on tfjs-wasm (SIMD, 1 thread), input 512x512'. */
  get description(): string {
    return (
      `${this.model.name} on ${this.backend.description}, ` +
      `input ${this.backend.inputWidth}x${this.backend.inputHeight}`
    );
  }

  get inputSize(): { width: number; height: number } {
    return { width: this.backend.inputWidth, height: this.backend.inputHeight };
  }

  /**
   * Objects in one RGB24 frame (width × height × 3 bytes; a zero-copy ring view is fine: it is read before the
   * first await). Calls are serialised: one frame in the network at a time.
   */
  async detect(pixels: Uint8Array, width: number, height: number): Promise<DetectionResult> {
    if (this.disposed) throw new DetectorError('DISPOSED', 'detect() on a disposed ObjectDetector');
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      !(pixels instanceof Uint8Array) ||
      pixels.length < width * height * 3
    ) {
      throw new DetectorError(
        'INVALID_FRAME',
        `detect() needs width × height × 3 bytes of RGB24: got ${pixels?.length} bytes for ${width}x${height}`,
      );
    }
    const previous = this.busy;
    let done!: () => void;
    this.busy = new Promise<void>((r) => (done = r));
    await previous;
    try {
      const t0 = performance.now();
      const { inputWidth, inputHeight } = this.backend;
      const transform = fitToInput(pixels, width, height, this.input, inputWidth, inputHeight, {
        mode: this.options.resize,
      });
      const t1 = performance.now();
      let raw: Float32Array;
      try {
        raw = await this.backend.run(this.input);
      } catch (err) {
        if (err instanceof DetectorError) throw err;
        throw new DetectorError(
          'INFERENCE_FAILED',
          `${this.model.name} on ${this.backend.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      const t2 = performance.now();
      const objects = this.decode(raw, transform);
      return { objects, inferenceMs: t2 - t1, totalMs: performance.now() - t0 };
    } finally {
      done();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.busy;
    await this.backend.dispose();
  }

  private decode(raw: Float32Array, t: InputTransform): Detection[] {
    const { minScore, labels, iouThreshold, maxDetections } = this.options;
    const names = this.model.labels;
    const sx = this.model.coordinates === 'normalized' ? this.backend.inputWidth : 1;
    const sy = this.model.coordinates === 'normalized' ? this.backend.inputHeight : 1;
    const candidates: Detection[] = [];
    for (let i = 0; i + 6 <= raw.length; i += 6) {
      const score = raw[i + 4]!;
      if (!(score >= minScore)) continue; // NaN too
      const classId = Math.round(raw[i + 5]!);
      const label = names[classId];
      if (label === undefined) continue;
      if (labels && !labels.includes(label)) continue;
      const box = toFrameBox(t, raw[i]! * sx, raw[i + 1]! * sy, raw[i + 2]! * sx, raw[i + 3]! * sy);
      if (box.width < 1 || box.height < 1) continue;
      candidates.push({ label, classId, score: Math.round(score * 1000) / 1000, box });
    }
    return nonMaxSuppression(candidates, iouThreshold, { maxResults: maxDetections });
  }
}

async function createBackend(o: NormalizedDetectorOptions, model: ResolvedModelSpec): Promise<DetectorBackend> {
  if (o.backend === 'tfjs-wasm') {
    const { createTfjsWasmBackend } = await import('./tfjs_wasm_backend.js');
    return createTfjsWasmBackend(model, o.tfjsWasm);
  }
  if (o.backend === 'onnxruntime') {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      "the 'onnxruntime' backend is not built in yet: use 'tfjs-wasm', " +
        "or plug onnxruntime-node in as { module } (see the README's detector section)",
    );
  }
  const spec = o.backend;
  const url = spec.module.startsWith('file:') ? spec.module : pathToFileURL(spec.module).href;
  let mod: { createDetectorBackend?: (model: ResolvedModelSpec, options: unknown) => Promise<DetectorBackend> };
  try {
    mod = await import(url);
  } catch (err) {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      `backend module ${spec.module} could not be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (typeof mod.createDetectorBackend !== 'function') {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      `backend module ${spec.module} does not export createDetectorBackend(model, options)`,
    );
  }
  const backend = await mod.createDetectorBackend(model, spec.options);
  if (!backend || typeof backend.run !== 'function' || !(backend.inputWidth > 0) || !(backend.inputHeight > 0)) {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      `backend module ${spec.module}: ` +
        `createDetectorBackend must resolve to { name, description, inputWidth, inputHeight, run, dispose }`,
    );
  }
  return backend;
}
