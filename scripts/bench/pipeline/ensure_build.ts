/**
 * The pipeline and memory sections measure processes as users run them: compiled JS, no tsx. Under tsx (npm run
 * bench) that needs an up-to-date dist/; when it is stale, build it first (tsc, ~20 s) rather than measure tsx.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compiledCounterpart } from '../../../src/process/fork_spec.js';

export async function ensureBuild(log: (line: string) => void): Promise<boolean> {
  if (!import.meta.url.endsWith('.ts')) return true;
  const probe = fileURLToPath(import.meta.url);
  if (compiledCounterpart(probe)) return true;
  log(
    'bench: dist/ is missing or older than the sources; building it (tsc -p tsconfig.json) ' +
      'so that no process runs through tsx ...\n',
  );
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  await promisify(execFile)(
    process.execPath,
    [fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'],
    { cwd: root },
  );
  const ok = compiledCounterpart(probe) !== null;
  if (!ok) log('bench: dist/ still not up to date: the Node processes run through tsx (marked "(tsx)")\n');
  return ok;
}
