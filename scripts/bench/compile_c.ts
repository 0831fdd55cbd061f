/**
 * The bench's C floors (read_floor.c, wakeup_floor.c) are compiled at bench time with the system cc (`CC` overrides
 * it): found next to this file when the bench runs from sources, or in scripts/bench when it runs compiled from dist/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Compiles scripts/bench/<name>.c into `dir`; the binary's path. */
export async function compileBenchC(name: 'read_floor' | 'wakeup_floor', dir: string): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const source = [join(here, `${name}.c`), join(here, `../../../scripts/bench/${name}.c`)].find((f) => existsSync(f));
  if (!source) throw new Error(`scripts/bench/${name}.c not found`);
  const out = join(dir, name);
  await promisify(execFile)(process.env.CC ?? 'cc', ['-O2', '-o', out, source]);
  return out;
}
