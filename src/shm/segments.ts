/** The framering segments in /dev/shm, as the cleanup tool and tests see them. */
import { readdirSync } from 'node:fs';
import { addon, type NativeSegmentInfo } from './native_addon.js';

export const SHM_DIR = '/dev/shm';
export const SEGMENT_PREFIX = addon.segmentPrefix;

export interface SegmentEntry extends NativeSegmentInfo {
  /** File name in /dev/shm, e.g. framering-cam1 */
  segment: string;
  /** Ring name, without the prefix */
  name: string;
  /** True when nobody serves it: its writer died, closed it without unlinking, or it is an unusable file. */
  stale: boolean;
}

/** Shorter than this and a ring with a bad header may still be being created. */
const CREATION_GRACE_MS = 2000;

export function listSegments(): SegmentEntry[] {
  let names: string[];
  try {
    names = readdirSync(SHM_DIR);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(SEGMENT_PREFIX))
    .sort()
    .map((segment) => {
      const info = addon.inspectSegment(segment);
      // Not a file (a FIFO, a link, a directory): never ours, never removed; shown so that people can see what it is.
      const stale =
        info.kind !== 'ring'
          ? false
          : info.valid
            ? !info.writerAlive || info.closed
            : !info.writerAlive && info.ageMs >= CREATION_GRACE_MS;
      return { ...info, segment, name: segment.slice(SEGMENT_PREFIX.length), stale };
    });
}

/**
 * Removes a ring nobody serves; never a live one, whatever its layout version, unless `force` (a person asked to
 * remove live rings too). Only regular files, and only the file that was looked at: by (device, inode), not by name.
 */
export function removeSegment(segment: string, opts: { force?: boolean } = {}): { removed: boolean; why: string } {
  return addon.removeStaleSegment(segment, !!opts.force);
}
