// The stream layer's plumbing: what framering's service, tools and tests use, with no semver promise. Programs use
// the public API (./index.ts); this is reached as 'framering/internal'.
export { buildFfmpegArgs, buildFfmpegCommand, FfmpegCommand, type OutputGeometry } from './ffmpeg_command.js';
export { Redactor } from './redact.js';
export { VISIBLE_QUERY_KEYS } from './url_secrets.js';
export { Backoff, type BackoffOptions } from './backoff.js';
