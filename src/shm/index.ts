export { FrameringError, type FrameringErrorCode } from './framering_error.js';
export { MAX_DIMENSION, MAX_SLOTS, type ReadPolicy } from './options.js';
export { PIXEL_FORMATS, BYTES_PER_PIXEL, isPixelFormat, type PixelFormat, type PayloadFormat } from './pixel_format.js';
export type { SlotMeta } from './slot_meta.js';
export { Frame } from './frame.js';
export {
  FrameRingServer,
  type FrameRingPars,
  type FrameRingServerOptions,
  type LentSlot,
  type RingServerStats,
  type WriteMeta,
} from './frame_ring_server.js';
export { RingWriter, type RingWriterOptions } from './ring_writer.js';
export { FrameRingClient, type FrameHandler } from './frame_ring_client.js';
export { DataRingServer, type DataRingPars, type DataRingServerOptions } from './data_ring_server.js';
export { DataRingClient, type MessageHandler } from './data_ring_client.js';
export type { OpenOptions, WaitOptions } from './ring_reader.js';
export { RingPump, createPipe, closeFd, type PumpEnd, type PumpStats, type RingPumpOptions } from './ring_pump.js';
export { listSegments, removeSegment, SHM_DIR, SEGMENT_PREFIX, type SegmentEntry } from './segments.js';
export { closeOnExit, forgetOnExit, type ClosesOnExit } from './exit_cleanup.js';
