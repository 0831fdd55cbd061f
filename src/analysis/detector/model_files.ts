// Finding and reading model files. The default model is the COCO CenterNet (MobileNetV3, 80 classes, ~4 MB) that
// the @vladmandic/human npm package ships in its models/ folder, so it is on disk after `npm install`, offline.
// A TensorFlow.js graph model is a model.json (topology + weights manifest) and the weight files it names, read here
// and checked before any backend sees them: a missing or damaged file is a clear error at start, never a crash later.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DetectorError } from './detector_error.js';

export const DEFAULT_MODEL_PACKAGE = '@vladmandic/human';
export const DEFAULT_MODEL_FILE = 'models/centernet.json';

/** Path of the default CenterNet model.json, or a MODEL_NOT_FOUND error saying how to get it. */
export function defaultModelPath(): string {
  const require = createRequire(import.meta.url);
  // The package's "exports" hide its package.json and models/, so look along node's own search path.
  const dirs = require.resolve.paths(DEFAULT_MODEL_PACKAGE) ?? [];
  for (const dir of dirs) {
    const candidate = join(dir, DEFAULT_MODEL_PACKAGE, DEFAULT_MODEL_FILE);
    if (existsSync(candidate)) return candidate;
  }
  throw new DetectorError(
    'MODEL_NOT_FOUND',
    `the default detection model (${DEFAULT_MODEL_FILE} of the npm package ${DEFAULT_MODEL_PACKAGE}) ` +
      `is not installed: ` +
      `run \`npm install ${DEFAULT_MODEL_PACKAGE}\`, or give model.path`,
  );
}

/** What a TensorFlow.js graph model's files hold, read and checked. */
export interface GraphModelFiles {
  path: string;
  json: {
    modelTopology: unknown;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    signature?: { inputs?: Record<string, TensorInfo>; outputs?: Record<string, TensorInfo> };
    userDefinedMetadata?: unknown;
  };
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

interface TensorInfo {
  name?: string;
  dtype?: string;
  tensorShape?: { dim?: Array<{ size?: string | number }> };
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype?: string };
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  float16: 2,
};

export function readGraphModel(path: string): GraphModelFiles {
  const modelPath = resolve(path);
  const text = readModelFile(modelPath, 'model file').toString('utf8');
  let json: GraphModelFiles['json'] & { weightsManifest?: Array<{ paths?: string[]; weights?: WeightSpec[] }> };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DetectorError(
      'MODEL_INVALID',
      `model file ${modelPath} is not valid JSON (${(err as Error).message}): is it a TensorFlow.js model.json?`,
      { cause: err },
    );
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new DetectorError(
      'MODEL_INVALID',
      `model file ${modelPath} has no modelTopology or weightsManifest: it is not a TensorFlow.js graph model.json`,
    );
  }
  const weightSpecs: WeightSpec[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new DetectorError(
        'MODEL_INVALID',
        `model file ${modelPath}: a weightsManifest entry has no paths or weights`,
      );
    }
    for (const p of group.paths)
      parts.push(readModelFile(join(dirname(modelPath), p), `weights file named by ${modelPath}`));
    weightSpecs.push(...group.weights);
  }
  const data = Buffer.concat(parts);
  // The manifest fixes the weights' size (quantised weights take their quantised type's size): a truncated or
  // swapped .bin is caught here.
  const bytesOf = (w: WeightSpec): number | undefined => BYTES[w.quantization?.dtype ?? w.dtype];
  if (weightSpecs.every((w) => bytesOf(w) !== undefined && Array.isArray(w.shape))) {
    const expected = weightSpecs.reduce((sum, w) => sum + bytesOf(w)! * w.shape.reduce((a, b) => a * b, 1), 0);
    if (expected !== data.length) {
      throw new DetectorError(
        'MODEL_INVALID',
        `the weights of ${modelPath} are ${data.length} bytes but its manifest describes ${expected}: ` +
          `the .bin file is truncated or belongs to another model`,
      );
    }
  }
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return { path: modelPath, json, weightSpecs, weightData };
}

function readModelFile(path: string, what: string): Buffer {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DetectorError('MODEL_NOT_FOUND', `${what} ${path} does not exist`);
    throw new DetectorError(
      'MODEL_NOT_FOUND',
      `${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`,
      { cause: err },
    );
  }
  if (!isFile) throw new DetectorError('MODEL_NOT_FOUND', `${what} ${path} is not a regular file`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DetectorError(
      'MODEL_NOT_FOUND',
      `${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`,
      { cause: err },
    );
  }
}

/** [height, width] of a signature tensor shaped [1, H, W, C], or null. */
export function inputSizeOf(info: TensorInfo | undefined): { width: number; height: number; channels: number } | null {
  const dims = info?.tensorShape?.dim?.map((d) => Number(d.size));
  if (dims?.length !== 4 || !(dims[1]! > 0) || !(dims[2]! > 0)) return null;
  return { height: dims[1]!, width: dims[2]!, channels: dims[3]! };
}
