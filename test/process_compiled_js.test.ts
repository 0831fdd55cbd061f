// The process layer from compiled JavaScript, without tsx: compile src/process (and the shm layer and two fixtures)
// with tsc into a scratch package, then run a plain-node script that forks backends from it.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { shmFiles } from './fixtures/process/test_helpers.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'framering-compiled-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('compiled JavaScript', () => {
  it('forks backends from .js files with plain node (no tsx), rings included', async () => {
    // What the addon loader and ESM need to see a package here: package.json (type: module), CMakeLists.txt, build/.
    for (const entry of ['package.json', 'CMakeLists.txt', 'build', 'node_modules'])
      symlinkSync(join(root, entry), join(scratch, entry));
    await run(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        ...[
          '--outDir',
          scratch,
          '--rootDir',
          root,
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
        ],
        ...['--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')],
        join(root, 'src/process/index.ts'),
        // nothing imports the runtime (it is forked by path): `tsc -p tsconfig.json` compiles it with the rest of src/
        join(root, 'src/process/backend_runtime.ts'),
        join(root, 'test/fixtures/process/echo_process.ts'),
        join(root, 'test/fixtures/process/checksum_process.ts'),
      ],
      { cwd: root },
    );
    const tag = `pjs${process.pid}`;
    const driver = join(scratch, 'driver.mjs');
    writeFileSync(
      driver,
      `
      import { EchoProcess } from './test/fixtures/process/echo_process.js';
      import { ChecksumProcess } from './test/fixtures/process/checksum_process.js';
      import { fnv1a, patternFrame } from './test/fixtures/process/frame_hash.js';
      import { FrameRingServer } from './src/shm/index.js';
      const echo = new EchoProcess({ name: '${tag}-echo', factor: 5 });
      await echo.start();
      const info = await echo.backend.runtimeInfo();
      const product = await echo.backend.multiply(8);
      const error = await echo.backend.fail('from js').catch((e) => e.message);
      const ring = new FrameRingServer({ name: '${tag}-cam', width: 8, height: 4 });
      const reader = new ChecksumProcess({ name: '${tag}-reader' });
      await reader.start();
      await reader.backend.activateRGB24Client(ring.info(), { policy: 'every' });
      const seen = new Promise((resolve) => reader.on('frame', resolve));
      ring.write(patternFrame(8, 4, 3), { frameNumber: 3 });
      const report = await seen;
      await Promise.all([echo.stop(), reader.stop()]);
      ring.close();
      console.log(JSON.stringify({ info, product, error, hash: report.hash, expected: fnv1a(patternFrame(8, 4, 3)) }));
      `,
    );
    const { stdout } = await run(process.execPath, [driver], { cwd: scratch });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result.info.runtime).toBe(join(scratch, 'src/process/backend_runtime.js'));
    expect(result.info.execArgv.join(' ')).not.toContain('tsx');
    expect(result.product).toBe(40);
    expect(result.error).toBe('from js');
    expect(result.hash).toBe(result.expected);
    expect(shmFiles(tag)).toEqual([]);
  });
});
