// How full /dev/shm is, as the file system says (statvfs): every ring of every program counts, not only ours.

import { statfsSync } from 'node:fs';
import { SHM_DIR } from '../../shm/internal.js';

export function shmUsage(): { used_bytes: number; free_bytes: number } {
  try {
    const s = statfsSync(SHM_DIR);
    return { used_bytes: (s.blocks - s.bfree) * s.bsize, free_bytes: s.bavail * s.bsize };
  } catch {
    return { used_bytes: 0, free_bytes: 0 };
  }
}
