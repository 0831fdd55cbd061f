// Which files a child runs: the compiled counterpart in dist/ when the build is up to date, else the sources (tsx).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compiledCounterpart, resolveForkSpec } from '../src/process/fork_spec.js';

const root = join(import.meta.dirname, '..');
const fixture = join(root, 'test/fixtures/process/echo_process.ts');

afterEach(() => {
  delete process.env.FRAMERING_CHILD_TS;
});

describe('fork spec: compiled JS first', () => {
  it('never swaps a module outside the build (test/, other folders) and forks it through tsx', () => {
    expect(compiledCounterpart(fixture)).toBeNull();
    const spec = resolveForkSpec('EchoProcess', pathToFileURL(fixture).href, 'EchoProcess', undefined);
    expect(spec.moduleUrl).toBe(pathToFileURL(fixture).href);
    expect(spec.execArgv.join(' ')).toContain('tsx');
  });

  it('swaps a package module for dist/ only when that exists, and never with FRAMERING_CHILD_TS=1', () => {
    const source = join(root, 'examples/client_process.ts');
    const js = compiledCounterpart(source);
    if (js !== null) {
      expect(js).toBe(join(root, 'dist/examples/client_process.js'));
      expect(existsSync(js)).toBe(true);
      const spec = resolveForkSpec('MotionClient', pathToFileURL(source).href, 'MotionClient', ['--expose-gc']);
      expect(spec.runtimePath).toBe(join(root, 'dist/src/process/backend_runtime.js'));
      expect(spec.execArgv).toEqual(['--expose-gc']);
    }
    process.env.FRAMERING_CHILD_TS = '1';
    expect(compiledCounterpart(source)).toBeNull();
    expect(
      resolveForkSpec('MotionClient', pathToFileURL(source).href, 'MotionClient', undefined).execArgv.join(' '),
    ).toContain('tsx');
  });
});
