// The command line shared by main1, main2 and main3:
//   [camera URL ...] [--width W] [--height H] [--fps F] [--duration S] [--out DIR] [--json] [--snapshot-interval S]
// Every value is checked here, before anything starts; a mistake is a UsageError with a message saying what to fix.

import { resolve } from 'node:path';
import {
  describeSource,
  parseSource,
  redactUrls,
  type CameraSource,
  type RtspTransport,
  type SourceSpec,
} from '../../src/stream/index.js';
import { UsageError } from './usage_error.js';

export interface CameraArg {
  /** cam0, cam1, …: names used for rings, processes, snapshots and the summary. */
  name: string;
  /** What LiveStream gets (the URL as given, credentials included: it redacts them itself). */
  source: SourceSpec;
  /** For people: redacted. */
  label: string;
  synthetic: boolean;
}

export interface ExampleOptions {
  cameras: CameraArg[];
  width: number;
  height: number;
  fps: number;
  /** Seconds to run; null = until Ctrl-C / SIGTERM. */
  durationS: number | null;
  outDir: string;
  json: boolean;
  snapshotIntervalS: number;
  /** How rtsp:// cameras are read. */
  transport: RtspTransport;
  help: boolean;
}

export const DEFAULTS = {
  width: 640,
  height: 360,
  fps: 10,
  outDir: 'snapshots',
  snapshotIntervalS: 5,
  syntheticCameras: 2,
} as const;
export const LIMITS = { minSize: 16, maxSize: 4096, maxFps: 60, maxCameras: 16 } as const;
// The built-in cameras: ffmpeg test patterns with moving parts, so the motion detector has something to see.
const SYNTHETIC_SOURCES = ['synthetic://testsrc2', 'synthetic://testsrc'];

const VALUE_OPTIONS = [
  '--width',
  '--height',
  '--fps',
  '--duration',
  '--out',
  '--snapshot-interval',
  '--transport',
] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

export function usage(program: string): string {
  return [
    `usage: npm run ${program} -- [camera URL ...] [--width W] [--height H] [--fps F] ` +
      `[--duration S] [--out DIR] [--json]`,
    '',
    '  camera URL        rtsp://[user:pass@]host[:port]/path, http(s)://…, a video file, ' +
      'or synthetic://[testsrc2|testsrc|smptebars]',
    `                    none: ${DEFAULTS.syntheticCameras} built-in synthetic cameras ` +
      `(ffmpeg test patterns with motion)`,
    `  --width W         frame width in pixels, ${LIMITS.minSize}..${LIMITS.maxSize} (default ${DEFAULTS.width})`,
    `  --height H        frame height in pixels, ${LIMITS.minSize}..${LIMITS.maxSize} (default ${DEFAULTS.height})`,
    `  --fps F           frames per second per camera, above 0 and at most ${LIMITS.maxFps} (default ${DEFAULTS.fps})`,
    '  --duration S      stop by itself after S seconds (default: run until Ctrl-C)',
    `  --out DIR         folder for JPEG snapshots (default ./${DEFAULTS.outDir})`,
    `  --snapshot-interval S  at most one snapshot per camera every S seconds (default ${DEFAULTS.snapshotIntervalS})`,
    '  --transport T     tcp (default) or udp: how rtsp:// cameras are read',
    '  --json            print the summary as one JSON object on the last line',
    '  --help            this text',
  ].join('\n');
}

export function parseArgs(argv: readonly string[]): ExampleOptions {
  const values: Partial<Record<ValueOption, string>> = {};
  const sources: string[] = [];
  let json = false;
  let help = false;
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositional || !arg.startsWith('-') || arg === '-') {
      sources.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositional = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--json' || name === '--help' || name === '-h') {
      if (inline !== undefined) throw new UsageError(`${name} takes no value (got '${name}=${inline}')`);
      if (name === '--json') json = true;
      else help = true;
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown option '${redactUrls(name)}'`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`${name} needs a value`);
    if (values[name as ValueOption] !== undefined) throw new UsageError(`${name} was given twice`);
    values[name as ValueOption] = value;
  }

  const width = integer('--width', values['--width'], DEFAULTS.width, LIMITS.minSize, LIMITS.maxSize);
  const height = integer('--height', values['--height'], DEFAULTS.height, LIMITS.minSize, LIMITS.maxSize);
  const fps = number('--fps', values['--fps'], DEFAULTS.fps);
  if (!(fps > 0 && fps <= LIMITS.maxFps))
    throw new UsageError(`--fps must be above 0 and at most ${LIMITS.maxFps} (got ${values['--fps']})`);
  let durationS: number | null = null;
  if (values['--duration'] !== undefined) {
    durationS = number('--duration', values['--duration'], 0);
    if (!(durationS > 0))
      throw new UsageError(`--duration must be a positive number of seconds (got ${values['--duration']})`);
  }
  const snapshotIntervalS = number('--snapshot-interval', values['--snapshot-interval'], DEFAULTS.snapshotIntervalS);
  if (!(snapshotIntervalS >= 0))
    throw new UsageError(`--snapshot-interval must be a number of seconds ≥ 0 (got ${values['--snapshot-interval']})`);
  const out = values['--out'] ?? DEFAULTS.outDir;
  if (out.trim() === '') throw new UsageError('--out needs a folder name');

  const transport = values['--transport'] ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp')
    throw new UsageError(`--transport must be tcp or udp (got '${transport}')`);

  if (sources.length > LIMITS.maxCameras)
    throw new UsageError(`at most ${LIMITS.maxCameras} cameras (got ${sources.length})`);
  const cameras: CameraArg[] =
    sources.length > 0
      ? sources.map((s, i) => camera(i, s, transport))
      : Array.from({ length: DEFAULTS.syntheticCameras }, (_, i) =>
          camera(i, SYNTHETIC_SOURCES[i % SYNTHETIC_SOURCES.length]!, transport),
        );
  return { cameras, width, height, fps, durationS, outDir: resolve(out), json, snapshotIntervalS, transport, help };
}

function camera(index: number, text: string, transport: RtspTransport): CameraArg {
  let parsed: CameraSource;
  let source: SourceSpec = text;
  try {
    parsed = parseSource(text);
    if (parsed.kind === 'rtsp' && transport !== 'tcp') {
      source = { kind: 'rtsp', url: text.trim(), transport };
      parsed = parseSource(source);
    }
  } catch (err) {
    // LiveStream's messages are already redacted and say what is wrong with the source.
    const message = err instanceof Error ? err.message : String(err);
    const hint = /^[a-z][a-z0-9+.-]*:/i.test(text.trim())
      ? ''
      : ' (a camera is given as a URL such as rtsp://host:554/stream)';
    throw new UsageError(`camera ${index + 1}: ${message}${hint}`);
  }
  return { name: `cam${index}`, source, label: describeSource(parsed), synthetic: parsed.kind === 'synthetic' };
}

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  // Number('') is 0 and Number('0x10') is 16: accept plain decimals only.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text.trim())) throw new UsageError(`${name} must be a number (got '${text}')`);
  return Number(text);
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const v = number(name, text, fallback);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max} (got ${text})`);
  return v;
}
