/** The targets of design.md ("Targets"), issue 2 and issue 13, judged from the measured rows: never assumed. */
import type { Row } from './rows.js';

export interface GoalResult {
  goal: string;
  /** What was measured, readable. */
  measured: string;
  /** null: not measured in this run (section skipped or failed). */
  pass: boolean | null;
}

export const LATENCY_SIZES = [
  { label: '64 B', bytes: 64 },
  { label: '1080p', bytes: 1920 * 1080 * 3 },
  { label: '25 MB', bytes: 25_000_000 },
];

const num = (v: unknown, digits = 2): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-');

function byId(rows: Row[], id: string): Row | undefined {
  return rows.find((r) => r.id === id && !r.error);
}

function rate(rows: Row[], id: string): number | null {
  const r = byId(rows, id);
  return r && typeof r.frames_per_s === 'number' && r.frames_per_s > 0 ? r.frames_per_s : null;
}

function ratioGoal(rows: Row[], goal: string, baseId: string, factor: number): GoalResult {
  const fr = rate(rows, 'framering');
  const base = rate(rows, baseId);
  if (fr === null || base === null) return { goal, measured: 'not measured', pass: null };
  const ratio = fr / base;
  return {
    goal,
    measured: `${ratio.toFixed(2)} x (${Math.round(fr)} vs ${Math.round(base)} frames/s)`,
    pass: ratio >= factor,
  };
}

export function judge(rows: Row[]): GoalResult[] {
  const goals: GoalResult[] = [
    ratioGoal(rows, 'framering >= 0.9 x memcpy (1080p frames/s)', 'memcpy', 0.9),
    ratioGoal(rows, '(stricter) framering >= 0.9 x cache-hot memcpy (1 destination)', 'memcpy-hot', 0.9),
    ratioGoal(rows, 'framering >= 10 x process.send', 'process.send', 10),
    ratioGoal(rows, 'framering >= 3 x Unix socket', 'unix', 3),
  ];
  // Issue 13 §1: onFrame against a 64-byte-framed Unix socket message of the same size, measured in the same run.
  for (const size of LATENCY_SIZES) {
    const goal = `framering onFrame ${size.label}: p50 <= Unix socket p50 and p99 <= its p99`;
    const r = byId(rows, `latency-framering-${size.bytes}`);
    const u = byId(rows, `latency-unix-${size.bytes}`);
    if (
      !r?.samples ||
      !u?.samples ||
      r.p50_us === null ||
      r.p99_us === null ||
      u.p50_us === null ||
      u.p99_us === null
    ) {
      goals.push({ goal, measured: 'not measured', pass: null });
      continue;
    }
    const rounds = Array.isArray(r.p50_us_runs) ? `, medians of ${r.p50_us_runs.length} rounds` : '';
    goals.push({
      goal,
      measured:
        `p50 ${r.p50_us.toFixed(1)} vs ${u.p50_us.toFixed(1)} us (${(r.p50_us / u.p50_us).toFixed(2)} x), ` +
        `p99 ${r.p99_us.toFixed(1)} vs ${u.p99_us.toFixed(1)} us (${(r.p99_us / u.p99_us).toFixed(2)} x)${rounds}`,
      pass: r.p50_us <= u.p50_us && r.p99_us <= u.p99_us,
    });
  }
  goals.push(pullGoal(rows));
  const one = rate(rows, 'framering');
  const four = rate(rows, 'framering-4');
  if (one === null || four === null)
    goals.push({ goal: '4 readers < 5% slower than 1', measured: 'not measured', pass: null });
  else {
    const cost = (1 - four / one) * 100;
    goals.push({
      goal: '4 readers < 5% slower than 1',
      measured: `${cost.toFixed(1)}% (${Math.round(four)} vs ${Math.round(one)} frames/s per reader)`,
      pass: cost < 5,
    });
  }
  // Ingest (issue 13 section 2): the pump's CPU per frame against the C read() floor and the naive path, same run.
  for (const r of rows.filter((x) => x.section === 'ingest' && !x.error && x.path === 'framering')) {
    const src = String(r.source);
    const runs = Array.isArray(r.floor_ratio_runs)
      ? ` (median of ${(r.floor_ratio_runs as number[]).length} rounds: ` +
        `${(r.floor_ratio_runs as number[]).map((x) => x.toFixed(2)).join(', ')}; ` +
        `quartiles ${num(r.floor_ratio_p25)}-${num(r.floor_ratio_p75)})`
      : '';
    goals.push({
      goal: `ingest ${src}: framering pump CPU <= 1.15 x the C read() floor`,
      measured:
        `${num(r.floor_ratio)} x: ${num(r.cpu_us_per_frame)} vs floor ${num(r.floor_us_per_frame)} us/frame${runs}; ` +
        `pump thread alone ${num(r.pump_thread_us_per_frame)} us/frame; ` +
        `against the floor into 8 rotating shared buffers (where the pump writes) ${num(r.ring_floor_ratio)} x, ` +
        `into 2 (the fewest a ring has) ${num(r.two_floor_ratio)} x`,
      pass: typeof r.floor_ratio === 'number' ? r.floor_ratio <= 1.15 : null,
    });
    const naive = rows.find((x) => x.section === 'ingest' && x.path === 'naive' && x.source === r.source && !x.error);
    goals.push({
      goal: `ingest ${src}: framering pump CPU <= 0.5 x naive fluent-ffmpeg -> Buffer`,
      measured: naive
        ? `${num(r.naive_ratio)} x: ${num(r.cpu_us_per_frame)} vs naive ${num(naive.cpu_us_per_frame)} us/frame`
        : 'not measured',
      pass: typeof r.naive_ratio === 'number' ? r.naive_ratio <= 0.5 : null,
    });
  }
  const framering = rows.filter((r) => r.transport === 'framering' && !r.error);
  const torn = framering.reduce((a, r) => a + (r.torn ?? 0), 0);
  goals.push({
    goal: 'no torn frame at any framering reader',
    measured: `${torn} torn in ${framering.length} runs`,
    pass: framering.length ? torn === 0 : null,
  });
  const lossless = byId(rows, 'framering-lossless');
  goals.push(
    lossless
      ? {
          goal: 'lossless ring (blocking + every) drops nothing',
          measured: `${lossless.dropped ?? 0} dropped`,
          pass: (lossless.dropped ?? 0) === 0,
        }
      : { goal: 'lossless ring (blocking + every) drops nothing', measured: 'not measured', pass: null },
  );
  return goals;
}

export function goalRows(goals: GoalResult[]): Row[] {
  return goals.map((g) => ({
    name: `goal: ${g.goal}`,
    section: 'goal',
    frames_per_s: null,
    p50_us: null,
    p99_us: null,
    measured: g.measured,
    pass: g.pass,
  }));
}

/**
 * pull() p50 <= 30 us, with the floor beside it: the same wakeup in C across two CPUs (wakeup_floor.c), and pull()
 * placed the same way. Where the floor itself is above 30 us the goal is out of this machine's reach, and says so.
 */
function pullGoal(rows: Row[]): GoalResult {
  const goal = 'framering pull() 64 B: p50 <= 30 us';
  const pull = byId(rows, 'latency-framering-pull-64');
  if (!pull?.samples || pull.p50_us === null) return { goal, measured: 'not measured', pass: null };
  const across = byId(rows, 'latency-framering-pull-64-across');
  const floor = byId(rows, 'latency-floor-futex-across');
  const same = byId(rows, 'latency-floor-futex-same');
  let measured = `p50 ${pull.p50_us.toFixed(1)} us, p99 ${(pull.p99_us ?? NaN).toFixed(1)} us`;
  if (floor?.p50_us != null && across?.p50_us != null) {
    measured +=
      `; across CPUs ${across.p50_us.toFixed(1)} us vs the C futex floor ${floor.p50_us.toFixed(1)} us ` +
      `(${(across.p50_us / floor.p50_us).toFixed(2)} x)`;
    if (same?.p50_us != null) measured += `, floor on one CPU ${same.p50_us.toFixed(1)} us`;
    if (floor.p50_us > 30) measured += ': the floor across CPUs is above 30 us on this machine';
  }
  return { goal, measured, pass: pull.p50_us <= 30 };
}
