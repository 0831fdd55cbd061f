/**
 * The optional ingest CPU section: scripts/bench_ingest.ts (another engineer's) exports a function that measures it.
 * Loaded only when asked, and only if the file exists, so the bench runs before and after it lands.
 * Accepted shapes: `runIngestBench(opts)` (or `benchIngest`, or the default export) resolving to an array of rows
 * `{ name, ... }` or to `{ rows: [...] }`.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './rows.js';

const EXT = extname(fileURLToPath(import.meta.url));
const MODULE_URL = new URL(`../bench_ingest${EXT}`, import.meta.url);

type IngestFn = (opts: { seconds: number; rounds?: number }) => unknown;

function rowOf(value: unknown): Row {
  const v = (value && typeof value === 'object' ? value : { name: String(value) }) as Record<string, unknown>;
  return {
    ...v,
    name: typeof v.name === 'string' ? v.name : 'ingest',
    section: 'ingest',
    frames_per_s: typeof v.frames_per_s === 'number' ? v.frames_per_s : null,
    p50_us: typeof v.p50_us === 'number' ? v.p50_us : null,
    p99_us: typeof v.p99_us === 'number' ? v.p99_us : null,
  };
}

/** The ingest rows, or null with the reason when the section cannot run. */
export async function runIngestSection(
  seconds: number,
  rounds?: number,
): Promise<{ rows: Row[] } | { skipped: string }> {
  if (!existsSync(fileURLToPath(MODULE_URL))) return { skipped: `scripts/bench_ingest${EXT} does not exist yet` };
  const mod = (await import(MODULE_URL.href)) as Record<string, unknown>;
  const fn = [mod.runIngestBench, mod.benchIngest, mod.default].find((f): f is IngestFn => typeof f === 'function');
  if (!fn)
    return { skipped: `scripts/bench_ingest${EXT} exports no runIngestBench(), benchIngest() or default function` };
  const result = await fn({ seconds, rounds });
  const list = Array.isArray(result)
    ? result
    : Array.isArray((result as { rows?: unknown })?.rows)
      ? (result as { rows: unknown[] }).rows
      : [result];
  return { rows: list.map(rowOf) };
}
