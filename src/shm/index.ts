export { RingError, type RingErrorCode } from './ring_error.js';
export { MAX_DIMENSION, MAX_SLOTS, type ReadPolicy } from './options.js';
export { PIXEL_FORMATS, BYTES_PER_PIXEL, isPixelFormat, type PixelFormat, type PayloadFormat } from './pixel_format.js';
export type { SlotMeta } from './slot_meta.js';
export { Frame } from './frame.js';
export {
  FrameRingServer,
  type FrameRingInfo,
  type FrameRingPars,
  type FrameRingServerOptions,
  type LentSlot,
  type RingServerStats,
  type WriteMeta,
} from './frame_ring_server.js';
export { RingServer, RingWriter, type RingServerOptions, type RingWriterOptions } from './ring_server.js';
export { FrameRingClient, type FrameHandler } from './frame_ring_client.js';
export {
  DataRingServer,
  type DataRingInfo,
  type DataRingPars,
  type DataRingServerOptions,
} from './data_ring_server.js';
export { DataRingClient, type DataMessage, type MessageHandler } from './data_ring_client.js';
export type { IterateOptions, OpenOptions, PullOptions, WaitOptions } from './ring_client.js';
export type { RingClientStats } from './native_addon.js';
export { listSegments, type SegmentEntry } from './segments.js';
export type { FrameRef } from './frame_ref.js';
export {
  FRAME_REF_LIMITS,
  FrameRefSender,
  type FrameRefSenderOptions,
  type FrameRefSenderStats,
} from './frame_ref_sender.js';
export {
  FrameRefReceiver,
  type FrameRefReceiverEvents,
  type FrameRefReceiverOptions,
  type FrameRefReceiverStats,
} from './frame_ref_receiver.js';
// Plumbing (the pump, pipes, segment removal, exit cleanup) is in ./internal.ts.
