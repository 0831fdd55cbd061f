// framering's version, from its package.json: found by walking up from this module, which sits at a different
// depth under src/ (tsx) and dist/src/ (compiled).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'framering') {
        cached = pkg.version ?? '0.0.0';
        return cached;
      }
    } catch {
      /* not here: one level up */
    }
  }
  cached = '0.0.0';
  return cached;
}
