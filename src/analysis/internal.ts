// The analysis layer's plumbing, with no semver promise; reached as 'framering/internal'.
export { ensureDir } from './ensure_dir.js';
