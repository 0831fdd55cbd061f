// Percentiles over the last N samples (a ring of numbers: memory stays fixed however long the service runs).

export class RecentSamples {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  constructor(size = 1024) {
    this.values = new Float64Array(size);
  }

  add(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.values.length;
    if (this.count < this.values.length) this.count++;
  }

  /** p in 0–100; null before the first sample. Rounded to 0.1. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const sorted = Array.from(this.values.subarray(0, this.count)).sort((a, b) => a - b);
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[i]! * 10) / 10;
  }

  mean(): number | null {
    if (this.count === 0) return null;
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.values[i]!;
    return sum / this.count;
  }
}
