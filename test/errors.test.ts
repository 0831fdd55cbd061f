// One error family: every framering error is a FrameringError whose code is one of FrameringErrorCode, each code
// means one thing, and every code thrown in src/ (and by the native addon) is in that list.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AnalysisError, DetectorError } from '../src/analysis/index.js';
import {
  ERROR_CODE_MEANINGS,
  ERROR_CODES,
  ErrorCodes,
  FrameringError,
  isErrorCode,
  isFrameringError,
} from '../src/errors/index.js';
import { BackendError, ProcessError } from '../src/process/index.js';
import { ConfigError } from '../src/service/config/index.js';
import { HttpError } from '../src/service/http/errors.js';
import { MqttError } from '../src/service/mqtt/mqtt_error.js';
import { NatsBridgeError } from '../src/service/nats/index.js';
import { ServiceError } from '../src/service/service_error.js';
import { RingError } from '../src/shm/index.js';
import { StreamError } from '../src/stream/index.js';

const root = join(import.meta.dirname, '..');

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The text of a call's argument number `index` (0-based), from just after its '(' at `start`. */
function argumentAt(text: string, start: number, index: number): string {
  let depth = 0;
  let arg = 0;
  let from = start;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return arg === index ? text.slice(from, i) : '';
      depth--;
    } else if (c === ',' && depth === 0) {
      if (arg === index) return text.slice(from, i);
      arg++;
      from = i + 1;
    }
  }
  return '';
}

const ERROR_CLASSES = 'Framering|Ring|Process|Stream|Detector|Config|Service|Mqtt|Http|NatsBridge';

/** Every code literal given to a framering error's constructor, errorOf() or a coded message in src/. */
function codesThrownInSrc(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (code: string, where: string) => found.set(code, [...(found.get(code) ?? []), where]);
  for (const file of filesUnder('src', /\.ts$/)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const m of text.matchAll(new RegExp(`new (${ERROR_CLASSES})Error\\(`, 'g'))) {
      const codeArg = argumentAt(text, m.index + m[0].length, m[1] === 'Http' ? 1 : 0);
      for (const lit of codeArg.matchAll(/'([A-Za-z0-9_]+)'/g)) add(lit[1]!, where);
    }
    for (const m of text.matchAll(/errorOf\(\s*'([A-Za-z0-9_]+)'/g)) add(m[1]!, where);
    for (const m of text.matchAll(/\bcode: '([A-Za-z0-9_]+)'/g)) add(m[1]!, where);
  }
  return found;
}

/** Every code the addon raises: MakeError(env, "CODE", …) and RingError("CODE", …), and fail("CODE", …). */
function codesThrownInNative(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of filesUnder('native', /\.(cc|h)$/)) {
    const text = readFileSync(file, 'utf8');
    const coded = /(?:MakeError\([^,]+,|RingError\(|fail\()\s*(?:[^,;]*\?\s*)?"([A-Z_]+)"(?:\s*:\s*"([A-Z_]+)")?/g;
    for (const m of text.matchAll(coded)) {
      for (const code of [m[1], m[2]]) if (code) found.set(code, [...(found.get(code) ?? []), relative(root, file)]);
    }
  }
  return found;
}

/** The literals of `export type XErrorCode = | 'A' | 'B'` in each error file. */
function declaredClassCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of filesUnder('src', /(_error|errors)\.ts$/)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/export type (\w+ErrorCode) =([^;]*);/g)) {
      const literals = m[2]!.replace(/\/\/.*$/gm, '').matchAll(/'([A-Za-z0-9_]+)'/g);
      for (const [, code] of literals) found.set(code!, [...(found.get(code!) ?? []), m[1]!]);
    }
  }
  return found;
}

describe('one error family', () => {
  const samples: Array<[string, Error]> = [
    ['RingError', new RingError('RING_NOT_FOUND', 'no ring')],
    ['ProcessError', new ProcessError('RPC_TIMEOUT', 'no reply')],
    ['BackendError', new BackendError('p', 'm', { name: 'RangeError', message: 'boom', code: 'ENOENT' })],
    ['StreamError', new StreamError('FFMPEG_EXITED', 'ffmpeg ended')],
    ['DetectorError', new DetectorError('MODEL_NOT_FOUND', 'no model')],
    ['AnalysisError', new AnalysisError('INVALID_FRAME', 'frame has 3 bytes')],
    ['ConfigError', new ConfigError('CONFIG_INVALID', 'must be a number', { path: 'cameras.a.width', line: 3 })],
    ['ServiceError', new ServiceError('START_FAILED', 'could not start')],
    ['MqttError', new MqttError('MQTT_UNREACHABLE', 'no broker')],
    ['HttpError', new HttpError(404, 'UNKNOWN_CAMERA', 'no camera')],
    ['NatsBridgeError', new NatsBridgeError('NATS_AUTH', 'refused')],
  ];

  it.each(samples)('%s is a FrameringError with its own name and a listed code', (name, err) => {
    expect(err).toBeInstanceOf(FrameringError);
    expect(err).toBeInstanceOf(Error);
    expect(isFrameringError(err)).toBe(true);
    expect(err.name).toBe(name);
    expect(isErrorCode((err as FrameringError).code)).toBe(true);
    expect(String(err.stack)).toContain(`${name}: `);
  });

  it('every error class in src/ extends FrameringError (none extends Error directly)', () => {
    const classes: string[] = [];
    for (const file of filesUnder('src', /\.ts$/)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/class (\w+)(?:<.*?>)? extends (\w+)/g)) {
        if (/Error$/.test(m[1]!)) classes.push(`${m[1]} extends ${m[2]} (${relative(root, file)})`);
      }
    }
    const direct = classes.filter((c) => / extends (Error|TypeError|RangeError) /.test(c));
    expect(direct).toEqual(['FrameringError extends Error (src/errors/framering_error.ts)']);
    // …and each of them is among the samples above, so the test above covers it.
    const names = classes.map((c) => c.split(' ')[0]).filter((n) => n !== 'FrameringError');
    expect(names.sort()).toEqual(samples.map(([n]) => n).sort());
  });

  it('isFrameringError: no for coded errors that are not ours, yes for ours from another copy of framering', () => {
    expect(isFrameringError(Object.assign(new Error('x'), { code: 'RING_NOT_FOUND' }))).toBe(false);
    expect(isFrameringError({ code: 'RING_NOT_FOUND', message: 'x' })).toBe(false);
    expect(isFrameringError(undefined)).toBe(false);
    // A second copy: a class of its own whose prototype carries the same registered mark.
    class OtherCopyError extends Error {
      code = 'RING_NOT_FOUND';
    }
    Object.defineProperty(OtherCopyError.prototype, Symbol.for('framering.error'), { value: true });
    const foreign = new OtherCopyError('x');
    expect(foreign instanceof FrameringError).toBe(false);
    expect(isFrameringError(foreign)).toBe(true);
    foreign.code = 'NOT_OURS';
    expect(isFrameringError(foreign)).toBe(false);
  });

  it('the codes: one list, each mapped to itself, each with its own meaning', () => {
    const codes = Object.keys(ERROR_CODE_MEANINGS);
    expect(ERROR_CODES).toEqual(codes);
    for (const code of codes) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(ErrorCodes[code as keyof typeof ErrorCodes]).toBe(code);
    }
    expect(Object.keys(ErrorCodes)).toEqual(codes);
    expect(Object.isFrozen(ErrorCodes)).toBe(true);
    const meanings = Object.values(ERROR_CODE_MEANINGS).map((m) => m.toLowerCase());
    expect(new Set(meanings).size).toBe(meanings.length);
    for (const m of meanings) expect(m.length).toBeGreaterThan(15);
    expect(isErrorCode('TIMEOUT')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('INVALID_OPTIONS')).toBe(false); // merged into INVALID_ARGUMENT
  });

  it('every code thrown in src/ is a listed code', () => {
    const thrown = codesThrownInSrc();
    // The scan finds what it should (so an empty scan cannot pass).
    const expected = ['WRITER_GONE', 'RPC_TIMEOUT', 'FFMPEG_SPAWN_FAILED', 'MODEL_INVALID', 'CONFIG_SYNTAX'];
    expected.push('MQTT_REQUIRED', 'FRAME_SIZE', 'UNAUTHORIZED', 'UNKNOWN_METHOD', 'ENCODE_FAILED');
    for (const code of expected) expect(thrown.has(code), code).toBe(true);
    // `code: '…'` also matches other objects (zod issue codes are lower case): only upper-case codes count.
    // Node's own errno codes (ENOTDIR…) are thrown as they are, on plain Errors.
    const ours = (code: string) => /^[A-Z][A-Z0-9_]+$/.test(code) && !/^E[A-Z]+$/.test(code);
    const unlisted = [...thrown].filter(([code]) => ours(code) && !isErrorCode(code));
    expect(unlisted.map(([code, where]) => `${code} in ${[...new Set(where)].join(', ')}`)).toEqual([]);
  });

  it('every code the native addon raises is a listed code', () => {
    const thrown = codesThrownInNative();
    for (const code of ['RING_EXISTS', 'INTERRUPTED', 'RING_UNTRUSTED', 'NO_SPACE', 'SYSTEM']) {
      expect(thrown.has(code), code).toBe(true);
    }
    const unlisted = [...thrown].filter(([code]) => !isErrorCode(code));
    expect(unlisted.map(([code, where]) => `${code} in ${[...new Set(where)].join(', ')}`)).toEqual([]);
  });

  it("every class's own code union lists only listed codes", () => {
    const declared = declaredClassCodes();
    const unions = ['RingErrorCode', 'ProcessErrorCode', 'StreamErrorCode', 'DetectorErrorCode', 'AnalysisErrorCode'];
    unions.push('ConfigErrorCode');
    unions.push('ServiceErrorCode', 'MqttErrorCode', 'HttpErrorCode', 'NatsBridgeErrorCode');
    for (const union of unions) {
      expect([...declared.values()].flat(), union).toContain(union);
    }
    expect([...declared.keys()].filter((code) => !isErrorCode(code))).toEqual([]);
  });
});

describe('what each class keeps', () => {
  it('cause, and the extra fields of each class', () => {
    const cause = new Error('root cause');
    expect(new ProcessError('START_FAILED', 'x', { cause }).cause).toBe(cause);
    expect(new DetectorError('INFERENCE_FAILED', 'x', { cause }).cause).toBe(cause);
    expect(new NatsBridgeError('NATS_ERROR', 'x', { cause }).cause).toBe(cause);
    const stream = new StreamError('FFMPEG_SPAWN_FAILED', 'x', { cause, stderrTail: ['a'] });
    expect(stream).toMatchObject({ cause, stderrTail: ['a'] });
    expect(new RingError('SYSTEM', 'x')).not.toHaveProperty('cause');

    const where = { path: 'cameras.front.width', line: 7, file: 'c.yaml' };
    const config = new ConfigError('CONFIG_INVALID', 'must be an integer', where);
    expect(config).toMatchObject({ ...where, message: 'cameras.front.width: must be an integer (line 7)' });

    const http = new HttpError(400, 'BAD_QUERY', "query parameter 'h': too big", 'h');
    expect(http.status).toBe(400);
    expect(http.body()).toEqual({ code: 'BAD_QUERY', message: "query parameter 'h': too big", param: 'h' });
  });

  it('BackendError: a framering code stays the code, any other code is kept as remoteCode', () => {
    const stack = 'RangeError: boom\n    at backendThing (echo_process.ts:1:1)';
    const other = new BackendError('cam', 'fail', { name: 'RangeError', message: 'boom', stack, code: 'ENOENT' });
    expect(other).toMatchObject({ code: 'BACKEND_ERROR', remoteCode: 'ENOENT', remoteName: 'RangeError' });
    expect(other).toMatchObject({ method: 'fail', processName: 'cam' });
    expect(other.stack).toContain('echo_process.ts');
    expect(other.stack).toContain("in backend of process 'cam'");
    const ours = new BackendError('cam', 'open', { name: 'RingError', message: 'no ring', code: 'RING_NOT_FOUND' });
    expect(ours).toMatchObject({ code: 'RING_NOT_FOUND', remoteCode: 'RING_NOT_FOUND', remoteName: 'RingError' });
    const uncoded = new BackendError('cam', 'x', { name: 'Error', message: 'plain' });
    expect(uncoded).toMatchObject({ code: 'BACKEND_ERROR', remoteCode: undefined });
  });

  it('StreamError still masks credentials of its cause when inspected', () => {
    const spawnargs = ['-i', 'rtsp://admin:hunter2@cam.local/stream'];
    const cause = Object.assign(new Error('spawn failed'), { spawnargs });
    const err = new StreamError('FFMPEG_SPAWN_FAILED', 'ffmpeg could not be started', { cause });
    const shown = inspect(err, { depth: 5 });
    expect(shown).toContain('cam.local');
    expect(shown).not.toContain('hunter2');
    expect(isFrameringError(err)).toBe(true);
  });
});
