/**
 * Defence in depth: the service core already redacts what it hands over, and every body the HTTP side sends goes
 * through this too. URL credentials are masked (rtsp://user:pw@ → rtsp://***@) and values under secret-looking keys
 * become '***'.
 */
import { redactUrls } from '../../stream/redact.js';

const SECRET_KEY = /^(pass(word|wd)?|pwd|secret|token|api[_-]?key|auth(orization)?|credentials?)$/i;

export function scrub<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactUrls(value) as T;
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? '***' : scrub(v, depth + 1);
  }
  return out as T;
}
