// Frames per second over a sliding window, from cumulative counters sampled now and then.

export class RateMeter {
  private readonly samples: Array<{ t: number; count: number }> = [];

  constructor(private readonly windowMs = 3000) {}

  /** Record the cumulative count at time t (ms, monotonic). */
  sample(t: number, count: number): void {
    this.samples.push({ t, count });
    // Keep one sample older than the window so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
  }

  /** Events per second over the window, 0 before two samples. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = last.t - first.t;
    return dt > 0 ? ((last.count - first.count) * 1000) / dt : 0;
  }
}
