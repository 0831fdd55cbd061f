// 'framering/internal': the plumbing under the public API (src/index.ts), for framering's own service, tools,
// benchmarks and tests. No semver promise: names here may change or go in any release. Programs use 'framering'.
export * from './shm/internal.js';
export * from './stream/internal.js';
export * from './analysis/internal.js';
