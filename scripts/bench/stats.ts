/** Small statistics over latency samples and counted frames. */

/** Nearest-rank percentile (p in 0..100) of samples; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const n = samples.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return sorted[rank];
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  let max = NaN;
  for (let i = 0; i < samples.length; i++) if (!(samples[i] <= max)) max = samples[i];
  return { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max };
}

/** A growable list of numbers that does not allocate per sample. */
export class SampleList {
  private data = new Float64Array(4096);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** How many values lie in [from, to]. */
  countBetween(from: number, to: number): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.data[i] >= from && this.data[i] <= to) n++;
    return n;
  }
}
