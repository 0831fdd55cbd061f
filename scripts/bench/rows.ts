/** One line of the results: the JSON rows of --json and the lines of the printed tables. */
import type { MeasureWindow, ReaderResult } from './reader_roles.js';

export type RowSection = 'throughput' | 'readers' | 'latency' | 'ingest' | 'detect' | 'pipeline' | 'memory' | 'goal';

export interface Row {
  name: string;
  frames_per_s: number | null;
  p50_us: number | null;
  p99_us: number | null;
  section: RowSection;
  transport?: string;
  /** Bytes per frame. */
  bytes?: number;
  readers?: number;
  /** Frames the writer published per second (framering: can exceed what a `latest` reader takes). */
  written_per_s?: number;
  samples?: number;
  max_us?: number;
  /** Frames whose marks disagreed at the reader: must be 0. */
  torn?: number;
  /** Frames a reader knows it missed. */
  dropped?: number | null;
  ratio_vs_memcpy?: number;
  note?: string;
  error?: string;
  [extra: string]: unknown;
}

/** A one-reader throughput row from the reader's result over the writer's window. */
export function throughputRow(
  base: { name: string; transport: string; bytes: number },
  r: ReaderResult,
  window: MeasureWindow,
  written: number,
): Row {
  const spanS = (window.toUs - window.fromUs) / 1e6;
  return {
    ...base,
    section: 'throughput',
    readers: 1,
    frames_per_s: r.inWindow / spanS,
    written_per_s: written / spanS,
    p50_us: null,
    p99_us: null,
    torn: r.torn,
    reader_cpu_us_per_frame: r.cpuUsPerFrame,
  };
}

/** A latency row from the reader's result over the writer's paced window of `calls` frames. */
export function latencyRow(
  base: { name: string; transport: string; bytes: number },
  r: ReaderResult,
  window: MeasureWindow,
  calls: number,
): Row {
  return {
    ...base,
    section: 'latency',
    frames_per_s: calls / ((window.toUs - window.fromUs) / 1e6),
    p50_us: r.latency.p50,
    p99_us: r.latency.p99,
    max_us: r.latency.max,
    samples: r.latency.samples,
    torn: r.torn,
    reader_cpu_us_per_frame: r.cpuUsPerFrame,
  };
}

export const FRAME_1080P = { width: 1920, height: 1080, bytes: 1920 * 1080 * 3 };

export function failedRow(name: string, section: RowSection, err: unknown): Row {
  return {
    name,
    section,
    frames_per_s: null,
    p50_us: null,
    p99_us: null,
    error: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Rows of repeated runs (same id) folded into one: the fastest run's row (interference from other work on a shared
 * machine only ever slows a run down, so the best run is the closest to what the transport can do), with every run's
 * rate and their mean kept beside it; torn and dropped frames are added up over all runs.
 */
export function mergeRepeats(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  const order: Array<Row | string> = [];
  for (const row of rows) {
    if (row.id === undefined) {
      order.push(row);
      continue;
    }
    const id = String(row.id);
    if (!groups.has(id)) {
      groups.set(id, []);
      order.push(id);
    }
    groups.get(id)!.push(row);
  }
  return order.map((entry) => {
    if (typeof entry !== 'string') return entry;
    const runs = groups.get(entry)!;
    if (runs.length === 1) return runs[0];
    const failed = runs.find((r) => r.error);
    if (failed) return failed;
    if (runs[0].section === 'latency') return mergeLatencyRuns(runs);
    const best = runs.reduce((a, b) => ((b.frames_per_s ?? -1) > (a.frames_per_s ?? -1) ? b : a));
    const rates = runs.map((r) => r.frames_per_s ?? NaN);
    const merged: Row = {
      ...best,
      runs: runs.length,
      frames_per_s_runs: rates,
      frames_per_s_mean: rates.reduce((a, b) => a + b, 0) / rates.length,
    };
    for (const k of ['torn', 'dropped'] as const)
      if (runs.some((r) => typeof r[k] === 'number')) merged[k] = runs.reduce((a, r) => a + ((r[k] as number) ?? 0), 0);
    return merged;
  });
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/**
 * Latency runs of one row, interleaved with the other transports' (--rounds): the median p50 and median p99 over the
 * rounds, every round's figures kept beside them. The best run would favour whichever transport a quiet moment hit.
 */
function mergeLatencyRuns(runs: Row[]): Row {
  const p50s = runs.map((r) => r.p50_us ?? NaN);
  const p99s = runs.map((r) => r.p99_us ?? NaN);
  // The other fields (hops, notes) from the round whose p50 is the median's.
  const mid = median(p50s);
  const typical = runs.reduce((a, b) =>
    Math.abs((b.p50_us ?? NaN) - mid) < Math.abs((a.p50_us ?? NaN) - mid) ? b : a,
  );
  return {
    ...typical,
    p50_us: median(p50s),
    p99_us: median(p99s),
    max_us: Math.max(...runs.map((r) => r.max_us ?? NaN)),
    samples: runs.reduce((a, r) => a + (r.samples ?? 0), 0),
    runs: runs.length,
    p50_us_runs: p50s,
    p99_us_runs: p99s,
    load_avg_1m_runs: runs.map((r) => r.load_avg_1m),
    torn: runs.reduce((a, r) => a + (r.torn ?? 0), 0),
  };
}
