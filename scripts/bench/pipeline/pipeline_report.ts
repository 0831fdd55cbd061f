/** The pipeline section's table, goals and chart (an SVG drawn here, rendered to PNG with sharp: no plot library). */
import { writeFileSync } from 'node:fs';
import type { GoalResult } from '../goals.js';
import { median, type Row } from '../rows.js';

const num = (v: unknown, d = 2): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');

export function pipelineTable(rows: Row[]): string {
  const header = [
    'pipeline',
    'cams',
    'CPU s',
    'cores',
    'RSS MB (sum)',
    'PSS MB',
    'RSS per process MB',
    'delivered',
    'decoded/s',
    'ffmpeg CPU s',
    'load',
  ];
  const lines = rows.map((r) => {
    if (r.error) return [String(r.pipeline), String(r.cameras), `FAILED: ${r.error}`, '', '', '', '', '', '', '', ''];
    const procs = (r.processes as Array<{ role: string; rss_mb: number }>) ?? [];
    const byRole = new Map<string, number[]>();
    for (const p of procs) byRole.set(p.role, [...(byRole.get(p.role) ?? []), p.rss_mb]);
    const per = [...byRole]
      .map(
        ([role, v]) =>
          `${role} ${
            v.length > 1 ? `${v.length}x ${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)}` : v[0]!.toFixed(0)
          }`,
      )
      .join(', ');
    return [
      String(r.pipeline) + (r.compiled === false ? ' (tsx)' : ''),
      String(r.cameras),
      num(r.cpu_s),
      num(r.cpu_share_of_core, 3),
      num(r.rss_mb, 0),
      num(r.pss_mb, 0),
      per,
      `${num((r.delivered_ratio as number) * 100, 1)}%`,
      `${num(r.frames_per_s, 1)}/${r.decoded_per_s_expected}`,
      num(r.ffmpeg_cpu_s),
      num(r.load_avg_1m),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (c: string[]) =>
    c
      .map((x, i) => (i === 0 || i === 6 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** Each round's framering ÷ alternative CPU (the two ran in the same round), or null for a single round. */
function roundRatios(fr: Row, base: Row): number[] | null {
  const a = fr.cpu_s_runs as Array<number | null> | undefined;
  const b = base.cpu_s_runs as Array<number | null> | undefined;
  if (!a || !b || a.length !== b.length) return null;
  const ratios = a.flatMap((x, i) => (x !== null && b[i] ? [x / b[i]!] : []));
  return ratios.length > 0 ? ratios : null;
}

/**
 * `floors`: one empty wakeup of a Node and of a Python process in the same run (runtime_wakeup.ts), printed with the
 * goals against Python: every process of a pipeline pays its runtime's wakeup per frame.
 */
export function pipelineGoals(rows: Row[], floors: Row[] = []): GoalResult[] {
  const [nodeUs, pythonUs] = ['node', 'python'].map((runtime) => floors.find((f) => f.runtime === runtime)?.p50_us);
  const floorNote =
    nodeUs != null && pythonUs != null ? `; floor: an empty wakeup costs Node ${nodeUs} µs, Python ${pythonUs} µs` : '';
  const goals: GoalResult[] = [];
  const get = (kind: string, n: number) => rows.find((r) => r.pipeline === kind && r.cameras === n && !r.error);
  for (const n of [...new Set(rows.map((r) => r.cameras as number))]) {
    const fr = get('framering', n);
    for (const [alt, factor] of [
      ['naive', 0.5],
      ['python', 0.7],
      ['python-readinto', 0.7],
    ] as const) {
      const base = get(alt, n);
      if (alt === 'python-readinto' && !base) continue;
      const goal = `pipeline ${n} cam: framering CPU <= ${factor} x ${
        alt === 'naive'
          ? 'naive Node'
          : alt === 'python'
            ? "Python, Frigate's capture"
            : 'Python, readinto (stricter, not the target)'
      }`;
      if (!fr || !base) goals.push({ goal, measured: 'not measured', pass: null });
      else {
        const rounds = roundRatios(fr, base);
        const ratio = rounds ? median(rounds) : (fr.cpu_s as number) / (base.cpu_s as number);
        const roundsNote = rounds ? `, median of ${rounds.length} rounds: ${rounds.map((x) => num(x)).join(', ')}` : '';
        const slow =
          (base.delivered_ratio as number) < 0.99
            ? `; ${alt} delivered only ${num((base.delivered_ratio as number) * 100, 1)}%`
            : '';
        goals.push({
          goal,
          measured:
            `${num(ratio)} x (${num(fr.cpu_s)} vs ${num(base.cpu_s)} CPU s${slow}${roundsNote}` +
            `${alt === 'naive' ? '' : floorNote})`,
          pass: ratio <= factor,
        });
      }
    }
    if (fr) {
      // "Where the machine keeps up": ffmpeg itself delivered at least 95% of the cameras' frames.
      const keepsUp = (fr.frames_per_s as number) >= 0.95 * (fr.decoded_per_s_expected as number);
      goals.push({
        goal: `pipeline ${n} cam: framering delivers >= 99% of decoded frames`,
        measured:
          `${num((fr.delivered_ratio as number) * 100, 2)}% (decoded ${num(fr.frames_per_s, 1)}/s ` +
          `of ${fr.decoded_per_s_expected}${keepsUp ? '' : ': ffmpeg did not keep up'})`,
        pass: keepsUp ? (fr.delivered_ratio as number) >= 0.99 : null,
      });
    }
  }
  return goals;
}

const COLOURS: Record<string, string> = {
  framering: '#1f77b4',
  'framering-copy': '#9ecae1',
  naive: '#d62728',
  python: '#2ca02c',
  'python-readinto': '#98df8a',
};
const LABELS: Record<string, string> = {
  framering: 'framering (forward by reference)',
  'framering-copy': 'framering (forward by copy)',
  naive: 'naive Node (process.send)',
  python: "Python, Frigate's capture",
  'python-readinto': 'Python, readinto (best case)',
};

/**
 * CPU (share of one core, everything but ffmpeg) against cameras, one line per pipeline, as SVG. `subtitle` (the
 * machine, the date, the windows) goes on a line of its own so that neither runs off the chart.
 */
export function pipelineSvg(rows: Row[], title: string, subtitle = ''): string {
  const ok = rows.filter((r) => !r.error && typeof r.cpu_share_of_core === 'number');
  const cams = [...new Set(ok.map((r) => r.cameras as number))].sort((a, b) => a - b);
  const W = 900,
    H = 460,
    L = 70,
    R = 260,
    T = 70,
    B = 60;
  const maxY = Math.max(0.1, ...ok.map((r) => r.cpu_share_of_core as number)) * 1.1;
  const maxX = Math.max(...cams, 1);
  const x = (c: number) => L + ((W - L - R) * c) / maxX;
  const y = (v: number) => H - B - ((H - T - B) * v) / maxY;
  const step = maxY > 2 ? 0.5 : maxY > 1 ? 0.25 : maxY > 0.4 ? 0.1 : 0.05;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
      'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
    `<title>${escapeXml(subtitle ? `${title} (${subtitle})` : title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="28" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${L}" y="48" fill="#444">${escapeXml(subtitle)}</text>`,
  ];
  for (let v = 0; v <= maxY + 1e-9; v += step) {
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`,
    );
  }
  for (const c of cams) parts.push(`<text x="${x(c)}" y="${H - B + 20}" text-anchor="middle">${c}</text>`);
  parts.push(
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle">cameras (720p, 10 fps, H.264)</text>`,
    `<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" ` +
      'text-anchor="middle">CPU, cores (all but ffmpeg)</text>',
  );
  let legendY = T + 10;
  for (const kind of Object.keys(COLOURS)) {
    const pts = ok.filter((r) => r.pipeline === kind).sort((a, b) => (a.cameras as number) - (b.cameras as number));
    if (!pts.length) continue;
    const colour = COLOURS[kind]!;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2.5" ` +
        `points="${pts.map((r) => `${x(r.cameras as number)},${y(r.cpu_share_of_core as number)}`).join(' ')}"/>`,
    );
    for (const r of pts)
      parts.push(
        `<circle cx="${x(r.cameras as number)}" cy="${y(r.cpu_share_of_core as number)}" r="4" fill="${colour}"/>`,
      );
    parts.push(
      `<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${legendY}" y2="${legendY}" ` +
        `stroke="${colour}" stroke-width="2.5"/>`,
      `<text x="${W - R + 46}" y="${legendY + 4}">${escapeXml(LABELS[kind]!)}</text>`,
    );
    legendY += 22;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Writes the chart as PNG (sharp renders the SVG) to `file`, and the SVG beside it. */
export async function writePipelinePlot(rows: Row[], file: string, title: string, subtitle = ''): Promise<void> {
  const svg = pipelineSvg(rows, title, subtitle);
  const { default: sharp } = await import('sharp');
  await sharp(Buffer.from(svg)).png().toFile(file);
  writeFileSync(`${file.replace(/\.png$/, '')}.svg`, `${svg}\n`);
}
