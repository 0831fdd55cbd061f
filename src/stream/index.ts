// The stream layer: cameras decoded by ffmpeg into frame rings.
export { LiveStream, type LiveStreamEvents, type LiveStreamStats, type StreamState, type WhenStateOptions } from './live_stream.js';
export type { LiveStreamOptions } from './stream_options.js';
export { StreamError, type StreamErrorCode } from './stream_error.js';
export { parseSource, describeSource, SYNTHETIC_PATTERNS, type SourceSpec, type CameraSource, type RtspTransport, type SyntheticPattern } from './camera_source.js';
export { resolveFfmpeg, type ResolvedFfmpeg, type FfmpegOrigin } from './ffmpeg_binary.js';
export { probeFfmpeg, type FfmpegCapabilities } from './ffmpeg_capabilities.js';
export { buildFfmpegArgs, buildFfmpegCommand, FfmpegCommand, type OutputGeometry } from './ffmpeg_command.js';
export { Redactor, redactUrls } from './redact.js';
export { VISIBLE_QUERY_KEYS } from './url_secrets.js';
export { Backoff, type BackoffOptions } from './backoff.js';
