// Bounded, jittered exponential backoff between reconnect attempts: a dead camera is retried ever more slowly
// (up to maxMs), and many cameras failing together do not retry in lockstep.
import { StreamError } from './stream_error.js';

export interface BackoffOptions {
  /** First delay (ms). Default 500. */
  initialMs?: number;
  /** Upper bound of any delay (ms). Default 30 000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay that is random, 0..1: delay ∈ [d·(1−jitter), d]. Default 0.5. */
  jitter?: number;
  /** Source of randomness in [0,1), replaceable for deterministic tests. */
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.5;
    this.random = opts.random ?? Math.random;
    const problems: string[] = [];
    if (!(Number.isFinite(this.initialMs) && this.initialMs >= 0))
      problems.push(`initialMs must be a number >= 0 (got ${opts.initialMs})`);
    if (!(Number.isFinite(this.maxMs) && this.maxMs >= this.initialMs))
      problems.push(`maxMs must be a number >= initialMs (got ${opts.maxMs})`);
    if (!(Number.isFinite(this.factor) && this.factor >= 1))
      problems.push(`factor must be a number >= 1 (got ${opts.factor})`);
    if (!(Number.isFinite(this.jitter) && this.jitter >= 0 && this.jitter <= 1))
      problems.push(`jitter must be between 0 and 1 (got ${opts.jitter})`);
    if (problems.length) throw new StreamError('INVALID_ARGUMENT', `invalid backoff options: ${problems.join('; ')}`);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt (ms), always within [initialMs·(1−jitter), maxMs]. */
  next(): number {
    // Cap the exponent so a long outage cannot overflow to Infinity.
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.attempt, 64));
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Back to the first delay, after the stream proved healthy. */
  reset(): void {
    this.attempt = 0;
  }
}
