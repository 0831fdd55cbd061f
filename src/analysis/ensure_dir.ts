// mkdir -p, one level at a time. Node 20's mkdirSync(…, { recursive: true }) spins forever on some paths
// (e.g. under /proc, where mkdir keeps answering ENOENT), so the analysis uses this instead.

import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensureDir(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
    throw Object.assign(new Error(`not a directory: ${dir}`), { code: 'ENOTDIR' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent);
  mkdirSync(dir);
}
