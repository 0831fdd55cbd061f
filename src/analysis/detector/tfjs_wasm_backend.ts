// The default detector backend: TensorFlow.js with its WebAssembly backend. Everything it needs ships in npm
// packages (@tensorflow/tfjs-core, -converter, -backend-wasm and their .wasm files), so it installs and runs
// offline, with no native download. One TensorFlow.js runtime per process: the first backend created sets it up
// (SIMD, threads), later ones share it.
//
// Threads: tfjs-backend-wasm starts its pthread workers from blob: URLs, which Node's worker_threads refuse. When
// threads are asked for, the worker script is written to a private temporary file instead and the workers load the
// main script from the package by path; the file is removed when the process exits.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DetectorError } from './detector_error.js';
import { inputSizeOf, readGraphModel } from './model_files.js';
import type { DetectorBackend, TfjsWasmOptions } from './object_detector.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Converter = typeof import('@tensorflow/tfjs-converter');
type WasmBackend = typeof import('@tensorflow/tfjs-backend-wasm');

export interface TfjsRuntime {
  tf: Tf;
  converter: Converter;
  simd: boolean;
  threads: number;
}

let runtime: Promise<TfjsRuntime> | null = null;

/** Sets up TensorFlow.js on the wasm backend once per process; later calls get the same runtime. */
export function tfjsWasmRuntime(options: TfjsWasmOptions = {}): Promise<TfjsRuntime> {
  runtime ??= initRuntime(options).catch((err: unknown) => {
    runtime = null;
    throw err;
  });
  return runtime;
}

async function initRuntime(options: TfjsWasmOptions): Promise<TfjsRuntime> {
  let tf: Tf;
  let converter: Converter;
  let wasm: WasmBackend;
  try {
    tf = await import('@tensorflow/tfjs-core');
    converter = await import('@tensorflow/tfjs-converter');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      `the tfjs-wasm detector backend needs @tensorflow/tfjs-core, @tensorflow/tfjs-converter and ` +
        `@tensorflow/tfjs-backend-wasm: ` +
        `npm install them (${(err as Error).message})`,
      { cause: err },
    );
  }
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
  wasm.setWasmPaths(`${join(root, 'dist')}/`);
  const simd = options.simd ?? true;
  const threadCount =
    options.threads === true ? 2 : options.threads === false || options.threads === undefined ? 0 : options.threads;
  if (!Number.isInteger(threadCount) || threadCount < 0 || threadCount > 64) {
    throw new DetectorError(
      'INVALID_ARGUMENT',
      `tfjsWasm.threads must be true, false or a whole number of threads 0..64, got ${String(options.threads)}`,
    );
  }
  const threads = threadCount > 1 && simd; // tfjs ships a threaded build with SIMD only
  tf.env().set('WASM_HAS_SIMD_SUPPORT', simd);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads);
  if (threads) wasm.setThreadsCount(threadCount);

  // Emscripten adds process handlers that rethrow every uncaught error (and print its whole minified source): they
  // would take over the crash handling of the process that hosts the detector. Keep the process's own handlers only.
  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const restoreUrl = threads ? patchWorkerUrls(root) : () => {};
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tf.setBackend("wasm") returned false');
    await tf.ready();
  } catch (err) {
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      `the TensorFlow.js wasm backend failed to start ` +
        `(simd ${simd}, threads ${threads ? threadCount : 0}): ${messageOf(err)}`,
      { cause: err },
    );
  } finally {
    restoreUrl();
    for (const listener of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener);
    }
  }
  return { tf, converter, simd, threads: threads ? threadCount : 1 };
}

/** Lets the threaded wasm build start its workers under Node (see the header); returns the undo. */
function patchWorkerUrls(root: string): () => void {
  const require = createRequire(import.meta.url);
  const workerModule = join(root, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const mainScript = join(root, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents: string };
  // The same escaping tfjs does before it makes its Blob; then load the main script by path, not from a Blob.
  const blobImport =
    'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)';
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  if (!source.includes(blobImport))
    throw new DetectorError(
      'INFERENCE_UNAVAILABLE',
      'this version of @tensorflow/tfjs-backend-wasm cannot run threads under Node: set tfjsWasm.threads to false',
    );
  const dir = mkdtempSync(join(tmpdir(), 'framering-tfjs-'));
  const workerPath = join(dir, 'worker.cjs');
  writeFileSync(workerPath, source.replace(blobImport, `importScripts(${JSON.stringify(mainScript)})`), {
    mode: 0o600,
  });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  readFileSync(mainScript, { flag: 'r' }); // fails now, clearly, if the package is incomplete
  const original = URL.createObjectURL;
  URL.createObjectURL = (() => workerPath) as typeof URL.createObjectURL;
  return () => {
    URL.createObjectURL = original;
  };
}

export interface TfjsGraphModelSpec {
  path: string;
  inputName?: string;
  outputName?: string;
}

/** A TensorFlow.js graph model that takes [1, H, W, 3] floats and returns rows of 6 floats. */
export async function createTfjsWasmBackend(
  spec: TfjsGraphModelSpec,
  options: TfjsWasmOptions = {},
): Promise<DetectorBackend> {
  const files = readGraphModel(spec.path); // file errors first: they need no runtime
  const rt = await tfjsWasmRuntime(options);
  const { tf, converter } = rt;
  const signature = files.json.signature ?? {};
  const inputs = Object.entries(signature.inputs ?? {});
  const outputs = Object.entries(signature.outputs ?? {});
  const inputName = spec.inputName ?? inputs[0]?.[0];
  const outputName =
    spec.outputName ??
    outputs.find(([, info]) => info.tensorShape?.dim?.length === 3 && Number(info.tensorShape.dim[2]?.size) === 6)?.[0];
  const size = inputSizeOf(inputs.find(([name]) => name === inputName)?.[1]);
  if (!inputName || !outputName || !size) {
    throw new DetectorError(
      'MODEL_INVALID',
      `model ${files.path}: cannot tell its input ([1, H, W, 3]) and detections output ([1, N, 6]) ` +
        `from its signature; give model.inputName and model.outputName`,
    );
  }
  let model: import('@tensorflow/tfjs-converter').GraphModel;
  try {
    model = await converter.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: files.json.modelTopology as object,
        weightSpecs: files.weightSpecs as never,
        weightData: files.weightData,
        format: files.json.format,
        generatedBy: files.json.generatedBy,
        convertedBy: files.json.convertedBy,
        signature: files.json.signature as object,
      }),
    );
  } catch (err) {
    throw new DetectorError(
      'MODEL_INVALID',
      `model ${files.path} could not be loaded by TensorFlow.js: ${messageOf(err)}`,
      { cause: err },
    );
  }
  const { width, height } = size;
  const run = async (input: Float32Array): Promise<Float32Array> => {
    const tensor = tf.tensor4d(input, [1, height, width, 3], 'float32');
    let out: import('@tensorflow/tfjs-core').Tensor | undefined;
    try {
      out = model.execute(tensor, outputName) as import('@tensorflow/tfjs-core').Tensor;
      if (out.shape.length !== 3 || out.shape[2] !== 6) {
        throw new DetectorError(
          'MODEL_INVALID',
          `model ${files.path}: output ${outputName} has shape [${out.shape.join(', ')}], expected [1, N, 6]`,
        );
      }
      return (await out.data()) as Float32Array;
    } finally {
      tensor.dispose();
      out?.dispose();
    }
  };
  // One run now: kernels get set up before the first frame, and a model that cannot run fails at start.
  try {
    await run(new Float32Array(width * height * 3));
  } catch (err) {
    model.dispose();
    if (err instanceof DetectorError) throw err;
    throw new DetectorError(
      'MODEL_INVALID',
      `model ${files.path} failed its first run on the wasm backend: ${messageOf(err)}`,
      { cause: err },
    );
  }
  return {
    name: 'tfjs-wasm',
    description: `tfjs-wasm (${rt.simd ? 'SIMD' : 'no SIMD'}, ${rt.threads} thread${rt.threads === 1 ? '' : 's'})`,
    inputWidth: width,
    inputHeight: height,
    run,
    dispose: () => model.dispose(),
  };
}

function messageOf(err: unknown): string {
  const text =
    err instanceof Error
      ? err.message
      : typeof err === 'object' && err !== null && 'message' in err
        ? String((err as { message: unknown }).message)
        : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
