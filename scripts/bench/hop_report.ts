/** The --hops table: for each latency row that recorded hops, p50 and p99 of each hop beside the end-to-end figure. */
import type { Row } from './rows.js';

type Summary = { samples: number; p50: number; p99: number };

const us = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');

export function formatHops(rows: Row[]): string | null {
  const withHops = rows.filter((r) => r.section === 'latency' && r.hops && typeof r.hops === 'object');
  if (withHops.length === 0) return null;
  const lines = ['Per-hop times (FRAMERING_HOPS=1), µs: p50 / p99 of each hop over the frames of the window', ''];
  for (const r of withHops) {
    lines.push(
      `${r.name}: end to end p50 ${us(r.p50_us ?? NaN)} / p99 ${us(r.p99_us ?? NaN)} (load ${r.load_avg_1m ?? '-'})`,
    );
    for (const [hop, s] of Object.entries(r.hops as Record<string, Summary>))
      lines.push(`  ${hop.padEnd(36)} ${us(s.p50).padStart(8)} / ${us(s.p99).padStart(8)}   (${s.samples} frames)`);
  }
  return lines.join('\n');
}
