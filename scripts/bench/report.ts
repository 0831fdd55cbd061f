/** The printed tables: throughput with ratios, latency, goals with PASS/MISS. */
import type { GoalResult } from './goals.js';
import type { Row } from './rows.js';

function table(header: string[], lines: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

const num = (v: unknown, digits = 0): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-');

function bytesLabel(bytes: unknown): string {
  if (typeof bytes !== 'number') return '-';
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function throughputNote(r: Row): string {
  if (r.error) return `FAILED: ${r.error}`;
  const notes: string[] = [];
  if (typeof r.written_per_s === 'number' && r.transport === 'framering')
    notes.push(`writer ${num(r.written_per_s)}/s`);
  if (typeof r.min_reader_frames_per_s === 'number' && (r.readers ?? 1) > 1)
    notes.push(`slowest reader ${num(r.min_reader_frames_per_s)}/s`);
  if (typeof r.gb_per_s === 'number') notes.push(`${num(r.gb_per_s, 1)} GB/s`);
  if (typeof r.reader_cpu_us_per_frame === 'number')
    notes.push(`reader CPU ${num(r.reader_cpu_us_per_frame)} us/frame`);
  if (typeof r.torn === 'number') notes.push(`torn ${r.torn}`);
  if (typeof r.runs === 'number' && r.runs > 1)
    notes.push(`best of ${r.runs} runs: ${(r.frames_per_s_runs as number[]).map((x) => num(x)).join(', ')}`);
  if (typeof r.dropped === 'number' && r.transport === 'framering') notes.push(`skipped ${r.dropped}`);
  if (typeof r.writer_refused === 'number' && r.writer_refused > 0)
    notes.push(`writer found no slot ${r.writer_refused}x`);
  return notes.join(', ');
}

export function formatReport(rows: Row[], goals: GoalResult[]): string {
  const out: string[] = [];
  const memcpy = rows.find((r) => r.id === 'memcpy' && !r.error)?.frames_per_s ?? null;
  const tput = rows.filter((r) => r.section === 'throughput' || r.section === 'readers');
  if (tput.length) {
    out.push('Throughput: 1080p RGB24 (6,220,800 B) frames/s delivered to and checked by the reader(s)');
    out.push(
      table(
        ['run', 'frames/s', 'x memcpy', 'notes'],
        tput.map((r) => [
          r.name,
          num(r.frames_per_s),
          memcpy && r.frames_per_s ? num(r.frames_per_s / memcpy, 2) : '-',
          throughputNote(r),
        ]),
        [false, true, true, false],
      ),
    );
    out.push('');
  }
  const lat = rows.filter((r) => r.section === 'latency');
  if (lat.length) {
    out.push('Latency: writer stamp (CLOCK_MONOTONIC) just before publishing -> reader handler, paced, nothing queued');
    out.push(
      table(
        ['run', 'size', 'frames', 'p50 us', 'p99 us', 'max us', 'notes'],
        lat.map((r) => [
          r.name,
          bytesLabel(r.bytes),
          num(r.samples),
          num(r.p50_us, 1),
          num(r.p99_us, 1),
          num(r.max_us, 1),
          r.error
            ? `FAILED: ${r.error}`
            : [
                typeof r.meta_p50_us === 'number'
                  ? `meta stamp p50 ${num(r.meta_p50_us, 1)} p99 ${num(r.meta_p99_us, 1)}`
                  : '',
                typeof r.reader_cpu_us_per_frame === 'number'
                  ? `reader CPU ${num(r.reader_cpu_us_per_frame)} us/frame`
                  : '',
                r.torn ? `torn ${r.torn}` : '',
              ]
                .filter(Boolean)
                .join(', '),
        ]),
        [false, true, true, true, true, true, false],
      ),
    );
    out.push('');
  }
  const ingest = rows.filter((r) => r.section === 'ingest');
  if (ingest.length) {
    out.push(
      'Ingest at 1080p30: CPU per frame on our side of the pipe (floor: C read() loop, same run), median of rounds',
    );
    out.push(
      table(
        ['run', 'frames/s', 'us/frame', 'rounds', 'ffmpeg us/frame', 'x floor', 'x naive', 'load'],
        ingest.map((r) =>
          r.error
            ? [r.name, '-', '-', `FAILED: ${r.error}`, '-', '-', '-', '-']
            : [
                r.name,
                num(r.frames_per_s, 1),
                num(r.cpu_us_per_frame),
                Array.isArray(r.cpu_us_per_frame_runs)
                  ? (r.cpu_us_per_frame_runs as number[]).map((x) => num(x)).join(' / ')
                  : '-',
                num(r.ffmpeg_us_per_frame),
                num(r.floor_ratio, 2),
                num(r.naive_ratio, 2),
                num(r.load_avg_1m, 2),
              ],
        ),
        [false, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
  }
  if (goals.length) {
    out.push('Goals');
    out.push(
      table(
        ['', 'goal', 'measured'],
        goals.map((g) => [g.pass === null ? 'n/a ' : g.pass ? 'PASS' : 'MISS', g.goal, g.measured]),
        [false, false, false],
      ),
    );
  }
  return out.join('\n');
}
