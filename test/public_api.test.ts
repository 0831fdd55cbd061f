// The package as a user gets it: compile src/ into a scratch package (package.json with its exports, the addon's
// build/), then import 'framering' and 'framering/internal' by name from plain node. The root keeps the public API
// and no plumbing; the plumbing is under framering/internal. Then tsc --strict compiles two user programs against
// the package's types, by name: an exhaustive switch over error codes compiles, one with a missing case does not; and
// the README's program (await using, for await over frames, an RPC call with a signal) compiles and runs as JS.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'framering-public-api-'));

/** Moved to framering/internal (README, "Public API"): none of these may come back to the root. */
const PLUMBING = [
  'createPipe',
  'closeFd',
  'RingPump',
  'closeOnExit',
  'forgetOnExit',
  'removeSegment',
  'SHM_DIR',
  'SEGMENT_PREFIX',
  'buildFfmpegArgs',
  'buildFfmpegCommand',
  'FfmpegCommand',
  'Backoff',
  'Redactor',
  'VISIBLE_QUERY_KEYS',
  'ensureDir',
];

/** A sample of what stays public, one or more per layer. */
const PUBLIC = [
  'FrameringError',
  'isFrameringError',
  'ErrorCodes',
  'ERROR_CODES',
  'RingError',
  'FrameRingServer',
  'FrameRingClient',
  'DataRingServer',
  'DataRingClient',
  'RingServer',
  'Frame',
  'listSegments',
  'MessageProcess',
  'RGB24Process',
  'ClientProcess',
  'MasterProcess',
  'DetectorMaster',
  'ProcessError',
  'BackendError',
  'stopAll',
  'LiveStream',
  'StreamError',
  'parseSource',
  'redactUrls',
  'resolveFfmpeg',
  'MotionDetector',
  'ObjectDetector',
  'DetectorError',
  'AnalysisError',
  'NatsBridge',
  'NatsBridgeError',
  'ConfigError',
  'ServiceError',
  'MqttError',
  'HttpError',
];

const tsc = join(root, 'node_modules/typescript/bin/tsc');
const strict = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
strict.push('--lib', 'es2022,esnext.disposable');
const types = ['--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')];

beforeAll(async () => {
  // What node needs to see a package here: package.json (name, exports, type: module), and for the addon loader
  // CMakeLists.txt and build/; node_modules for the dependencies.
  for (const entry of ['package.json', 'CMakeLists.txt', 'build', 'node_modules']) {
    symlinkSync(join(root, entry), join(scratch, entry));
  }
  const out = ['--outDir', join(scratch, 'dist'), '--rootDir', root, '--declaration'];
  // backend_runtime is what a forked child runs: nothing imports it, so it is named here.
  const entries = ['src/index.ts', 'src/internal.ts', 'src/process/backend_runtime.ts'].map((f) => join(root, f));
  await run(process.execPath, [tsc, ...out, ...strict, ...types, ...entries], { cwd: root, maxBuffer: 16 << 20 });
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('public API', () => {
  it('tsc --strict against the package by name: a full switch compiles, one missing a case does not', async () => {
    // The user program of test/fixtures/errors/, importing 'framering' as a user would.
    const fixture = readFileSync(join(root, 'test/fixtures/errors/switch_on_code.ts'), 'utf8');
    const program = fixture.replace("'../../../src/index.js'", "'framering'");
    expect(program).toContain("from 'framering'");
    // The same switch without RING_UNTRUSTED: the `never` check must catch it.
    const missing = program.replace("    case 'RING_UNTRUSTED':\n", '');
    expect(missing).not.toContain("'RING_UNTRUSTED'");
    mkdirSync(join(scratch, 'user'));
    writeFileSync(join(scratch, 'user/switch_on_code.ts'), program);
    writeFileSync(join(scratch, 'user/switch_missing_case.ts'), missing);
    const compile = (file: string) =>
      run(process.execPath, [tsc, '--noEmit', ...strict, ...types, join(scratch, 'user', file)], { cwd: scratch }).then(
        () => '',
        (err: { stdout?: string }) => String(err.stdout),
      );
    expect(await compile('switch_on_code.ts')).toBe('');
    const errors = (await compile('switch_missing_case.ts')).split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/switch_missing_case\.ts.*"RING_UNTRUSTED"' is not assignable to type 'never'/);
  });

  it('the README program (await using, for await over frames, an RPC call with a signal, switch ' +
    'on err.code) compiles with tsc --strict against the package by name and runs as JavaScript', {
    timeout: 120_000,
  }, async () => {
    const dir = join(scratch, 'readme');
    mkdirSync(dir);
    for (const file of ['bright_process.ts', 'run_bright.ts']) {
      const source = readFileSync(join(root, 'test/fixtures/examples/readme', file), 'utf8');
      const program = source.replaceAll("'../../../../src/index.js'", "'framering'");
      expect(program).toContain("from 'framering'");
      writeFileSync(join(dir, file), program);
    }
    const files = ['bright_process.ts', 'run_bright.ts'].map((f) => join(dir, f));
    await run(process.execPath, [tsc, '--outDir', dir, '--rootDir', dir, ...strict, ...types, ...files], {
      cwd: scratch,
    }).catch((err: { stdout?: string }) => {
      throw new Error(`tsc --strict failed:\n${err.stdout}`);
    });
    const { stdout } = await run(process.execPath, [join(dir, 'run_bright.js')], { cwd: scratch, timeout: 90_000 });
    expect(stdout).toMatch(/^cam0: brightness \d+$/m);
    expect(stdout).toMatch(/^levels: \{ cam0: \d+ \}$/m);
    expect(Number(/^read here: (\d+) frames$/m.exec(stdout)?.[1])).toBeGreaterThan(10);
  });

  it("'framering' exports the public API and no plumbing; 'framering/internal' has the plumbing", async () => {
    const consumer = join(scratch, 'consumer.mjs');
    writeFileSync(
      consumer,
      `
      const pub = await import('framering');
      const internal = await import('framering/internal');
      let caught;
      try { new pub.FrameRingServer({ name: 'bad name!', width: 8, height: 8 }); } catch (err) { caught = err; }
      console.log(JSON.stringify({
        pub: Object.keys(pub),
        internal: Object.keys(internal),
        caught: {
          name: caught?.name,
          code: caught?.code,
          base: caught instanceof pub.FrameringError,
          guard: pub.isFrameringError(caught),
        },
        createPipe: typeof internal.createPipe,
      }));
      `,
    );
    const { stdout } = await run(process.execPath, [consumer], { cwd: scratch });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      pub: string[];
      internal: string[];
      caught: { name: string; code: string; base: boolean; guard: boolean };
      createPipe: string;
    };
    expect(PLUMBING.filter((name) => result.pub.includes(name))).toEqual([]);
    expect(PLUMBING.filter((name) => !result.internal.includes(name))).toEqual([]);
    expect(PUBLIC.filter((name) => !result.pub.includes(name))).toEqual([]);
    // internal is plumbing only: nothing of the public API is duplicated there.
    expect(result.internal.filter((name) => result.pub.includes(name))).toEqual([]);
    expect(result.caught).toEqual({ name: 'RingError', code: 'INVALID_ARGUMENT', base: true, guard: true });
    expect(result.createPipe).toBe('function');
  });
});
