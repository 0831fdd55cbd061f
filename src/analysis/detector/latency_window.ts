// Percentiles of the last N durations (a ring of samples: bounded memory however long the process runs).
import { DetectorError } from './detector_error.js';

export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;

  constructor(readonly size = 1000) {
    if (!Number.isInteger(size) || size < 1)
      throw new DetectorError('INVALID_ARGUMENT', `size must be a whole number ≥ 1, got ${size}`);
    this.samples = new Float64Array(size);
  }

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
    this.count++;
  }

  /** The p-th percentile (0..100) of the window by nearest rank, rounded to 0.1 ms; null when empty. */
  percentile(p: number): number | null {
    if (this.filled === 0) return null;
    const sorted = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[rank]! * 10) / 10;
  }
}
