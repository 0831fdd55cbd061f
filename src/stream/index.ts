// The stream layer: cameras decoded by ffmpeg into frame rings.
export {
  LiveStream,
  type LiveStreamEvents,
  type LiveStreamStats,
  type StreamState,
  type WhenStateOptions,
} from './live_stream.js';
export type { LiveStreamOptions } from './stream_options.js';
export { StreamError, type StreamErrorCode } from './stream_error.js';
export {
  parseSource,
  describeSource,
  SYNTHETIC_PATTERNS,
  type SourceSpec,
  type CameraSource,
  type RtspTransport,
  type SyntheticPattern,
} from './camera_source.js';
export { resolveFfmpeg, type ResolvedFfmpeg, type FfmpegOrigin } from './ffmpeg_binary.js';
export { probeFfmpeg, type FfmpegCapabilities } from './ffmpeg_capabilities.js';
/** Masks the credentials of every URL in a text (user:pass@, ?token=…), for logging what a camera or ffmpeg said. */
export { redactUrls } from './redact.js';
// Plumbing (the ffmpeg command line, the Redactor, Backoff) is in ./internal.ts.
