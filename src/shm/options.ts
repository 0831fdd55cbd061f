/** Checks of user-given ring options, before anything touches /dev/shm. */
import { RingError } from './ring_error.js';
import { addon } from './native_addon.js';

// The native side's own limits (native/ring_layout.h): one source of truth.
export const MAX_SLOTS: number = addon.limits.maxSlots;
export const MAX_DIMENSION: number = addon.limits.maxDimension;

/** What is wrong with `value` as a whole number from min to max, or null when nothing is (for checks that collect). */
export function wholeNumberProblem(what: string, value: unknown, min: number, max: number): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return `${what} must be a whole number from ${min} to ${max}, got ${String(value)}`;
  return null;
}

/** `value` when it is a whole number from min to max; INVALID_ARGUMENT otherwise. */
export function wholeNumber(what: string, value: unknown, min: number, max: number): number {
  const problem = wholeNumberProblem(what, value, min, max);
  if (problem) throw new RingError('INVALID_ARGUMENT', problem);
  return value as number;
}

/** The longest timer Node keeps (about 24.8 days); a longer timeoutMs would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A pullAsync() timeout: undefined (no timeout) or whole milliseconds a timer can hold. */
export function pullTimeout(value: unknown): number | undefined {
  return value === undefined ? undefined : wholeNumber('timeoutMs', value, 0, MAX_TIMER_MS);
}

export function ringName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new RingError('INVALID_ARGUMENT', 'ring name must be a non-empty string of letters, digits, ".", "_" or "-"');
  return value;
}

export type ReadPolicy = 'latest' | 'every';

export function readPolicy(value: unknown, fallback: ReadPolicy): ReadPolicy {
  if (value === undefined) return fallback;
  if (value !== 'latest' && value !== 'every')
    throw new RingError('INVALID_ARGUMENT', `policy must be 'latest' or 'every', got ${String(value)}`);
  return value;
}

export function fileMode(value: unknown): number {
  if (value === undefined) return 0o600;
  const mode = wholeNumber('mode', value, 0, 0o777);
  if ((mode & 0o600) !== 0o600)
    throw new RingError('INVALID_ARGUMENT', 'mode must give the owner read and write (0o600 at least)');
  if (mode & 0o007)
    throw new RingError(
      'INVALID_ARGUMENT',
      'mode must not open the ring to other users; widen it to a group (e.g. 0o660) at most',
    );
  return mode;
}
