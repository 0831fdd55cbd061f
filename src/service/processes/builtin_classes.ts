// The process classes a config names by a short name instead of { module, export }.

import type { z } from 'zod';
import type { MessageProcess } from '../../process/index.js';
import { blobMasterOptionsSchema, motionOptionsSchema, objectDetectorOptionsSchema } from './builtin_options.js';

/** Where a class fits: 'rgb' reads cameras (shared / per-camera shapes); 'client' and 'master' are main3's halves. */
export type ProcessRole = 'rgb' | 'client' | 'master';

export interface BuiltinClass {
  role: ProcessRole;
  /** What it does, for --check. */
  description: string;
  options: z.ZodType;
  load(): Promise<typeof MessageProcess>;
}

export const BUILTIN_CLASSES: Record<string, BuiltinClass> = {
  motion: {
    role: 'rgb',
    description: 'motion by frame differencing → motion events',
    options: motionOptionsSchema,
    load: async () => (await import('./motion_process.js')).MotionProcess as unknown as typeof MessageProcess,
  },
  'motion-client': {
    role: 'client',
    description: 'motion per camera → motion events (data ring); frames with motion forwarded to the master',
    options: motionOptionsSchema,
    load: async () => (await import('./motion_client.js')).MotionClient as unknown as typeof MessageProcess,
  },
  'object-detector': {
    role: 'master',
    description: 'COCO object detection (CenterNet on tfjs-wasm, offline) → objects events, replies to the clients',
    options: objectDetectorOptionsSchema,
    load: async () =>
      (await import('./object_detector_master.js')).ObjectDetectorMaster as unknown as typeof MessageProcess,
  },
  'blob-master': {
    role: 'master',
    description: 'moving blobs → objects events (label "blob"), replies to the clients',
    options: blobMasterOptionsSchema,
    load: async () => (await import('./blob_master.js')).BlobMaster as unknown as typeof MessageProcess,
  },
};

export const BUILTIN_NAMES = Object.keys(BUILTIN_CLASSES);
