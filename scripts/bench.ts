/**
 * `npm run bench [-- --json FILE]`: 1080p RGB24 frames from this process to readers in forked processes through
 * framering, process.send (advanced serialization) and a Unix socket, against a plain memcpy; framering with 4
 * readers; publish → handler latency at 64 B, 1080p and 25 MB. Prints the tables and judges the goals of
 * design.md ("Targets"); options in scripts/bench/options.ts (--help).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { goalRows, judge, LATENCY_SIZES } from './bench/goals.js';
import { formatDetectRows, runDetectSection } from './bench/detect_section.js';
import { runIngestSection } from './bench/ingest_section.js';
import { parseOptions, USAGE, UsageError, wants, type BenchOptions } from './bench/options.js';
import { startCpuBurners } from './bench/cpu_burners.js';
import { formatHops } from './bench/hop_report.js';
import { formatReport } from './bench/report.js';
import { failedRow, FRAME_1080P, mergeRepeats, type Row, type RowSection } from './bench/rows.js';
import { teardownAll } from './bench/teardown.js';
import { frameringLatency, frameringThroughput } from './bench/transport_framering.js';
import { memcpyThroughput } from './bench/transport_memcpy.js';
import { processSendLatency, processSendThroughput } from './bench/transport_process_send.js';
import { unixSocketLatency, unixSocketThroughput } from './bench/transport_unix_socket.js';
import { wakeupFloorLatency, type FloorPlacement } from './bench/wakeup_floor.js';

interface Run {
  id: string;
  name: string;
  section: RowSection;
  run: () => Promise<Row>;
}

function plan(o: BenchOptions): Run[] {
  const s = o.seconds;
  const frame = FRAME_1080P.bytes;
  const runs: Run[] = [];
  const memcpyRun: Run = { id: 'memcpy', name: 'memcpy', section: 'throughput', run: () => memcpyThroughput(s, 8) };
  if (wants(o, 'throughput'))
    runs.push({ id: 'memcpy-hot', name: 'memcpy (hot)', section: 'throughput', run: () => memcpyThroughput(s, 1) });
  // memcpy, 1 reader and 4 readers alternate (m, 1, 4, m, 1, 4, ...) and the best run of each counts: the machine is
  // shared, its load drifts, and the goals are ratios of these three.
  const one = 'framering write(), latest, 1 reader';
  const four = 'framering write(), latest, 4 readers (per reader)';
  const oneRun: Run = {
    id: 'framering',
    name: one,
    section: 'throughput',
    run: () =>
      frameringThroughput({
        name: one,
        section: 'throughput',
        seconds: s,
        readers: 1,
        policy: 'latest',
        blocking: false,
        fill: 'write',
      }),
  };
  const fourRun: Run = {
    id: 'framering-4',
    name: four,
    section: 'readers',
    run: () =>
      frameringThroughput({
        name: four,
        section: 'readers',
        seconds: s,
        readers: 4,
        policy: 'latest',
        blocking: false,
        fill: 'write',
      }),
  };
  // (the 1-reader run only where a table uses it: `--only ingest` or `--only latency` ran it for nothing)
  const round = [
    ...(wants(o, 'throughput') ? [memcpyRun] : []),
    ...(wants(o, 'throughput') || wants(o, 'readers') ? [oneRun] : []),
    ...(wants(o, 'readers') ? [fourRun] : []),
  ];
  for (let i = 0; i < o.rounds; i++) runs.push(...round);
  if (wants(o, 'throughput')) {
    const lossless = 'framering write(), lossless (blocking + every)';
    const lend = 'framering lend()/commit(), no pixel copy, lossless';
    runs.push(
      {
        id: 'framering-lossless',
        name: lossless,
        section: 'throughput',
        run: () =>
          frameringThroughput({
            name: lossless,
            section: 'throughput',
            seconds: s,
            readers: 1,
            policy: 'every',
            blocking: true,
            fill: 'write',
          }),
      },
      {
        id: 'framering-lend',
        name: lend,
        section: 'throughput',
        run: () =>
          frameringThroughput({
            name: lend,
            section: 'throughput',
            seconds: s,
            readers: 1,
            policy: 'every',
            blocking: true,
            fill: 'lend',
          }),
      },
      {
        id: 'process.send',
        name: 'process.send (advanced)',
        section: 'throughput',
        run: () => processSendThroughput({ name: 'process.send (advanced serialization)', bytes: frame, seconds: s }),
      },
      {
        id: 'unix',
        name: 'Unix socket',
        section: 'throughput',
        run: () => unixSocketThroughput({ name: 'Unix socket stream', bytes: frame, seconds: s }),
      },
    );
  }
  if (wants(o, 'latency')) {
    const lat = { seconds: o.latencySeconds, rate: o.latencyRate };
    // framering and the Unix socket (its target) alternate size by size, --rounds times: each pair shares a moment of
    // the machine's load, and the judged figures are the medians over the rounds.
    const latencyRun = (
      transport: 'framering' | 'process.send' | 'unix',
      size: (typeof LATENCY_SIZES)[number],
    ): Run => {
      const fn = { framering: frameringLatency, 'process.send': processSendLatency, unix: unixSocketLatency }[
        transport
      ];
      const name = `${transport} ${size.label}`;
      return {
        id: `latency-${transport}-${size.bytes}`,
        name,
        section: 'latency',
        run: () => fn({ name, bytes: size.bytes, ...lat }),
      };
    };
    // The same ring read with a blocking pull() on the JS thread: what the wakeup costs without Node's event loop.
    const pull = 'framering pull() 64 B';
    const pullRun: Run = {
      id: 'latency-framering-pull-64',
      name: pull,
      section: 'latency',
      run: () => frameringLatency({ name: pull, bytes: 64, mode: 'pull', ...lat }),
    };
    // onFrame through the futex waiter thread (the fallback when a doorbell is unreachable): in the same rounds, so
    // that which wakeup is faster is judged on one moment of the machine.
    const thread = 'framering onFrame, waiter thread 64 B';
    const threadRun: Run = {
      id: 'latency-framering-thread-64',
      name: thread,
      section: 'latency',
      run: () => frameringLatency({ name: thread, bytes: 64, mode: 'thread', ...lat }),
    };
    // The floor under pull(): the same wakeup in C (a futex, two processes, no ring), with the processes across two
    // CPUs and on one, and pull() itself placed across CPUs, in the same rounds (scripts/bench/wakeup_floor.ts).
    const pullAcrossRun: Run = {
      id: 'latency-framering-pull-64-across',
      name: 'framering pull() 64 B, across CPUs',
      section: 'latency',
      run: () =>
        frameringLatency({
          name: 'framering pull() 64 B, across CPUs',
          bytes: 64,
          mode: 'pull',
          placement: 'across CPUs',
          ...lat,
        }),
    };
    const floorRun = (kind: 'futex' | 'socket', placement: FloorPlacement): Run => {
      const name = `C ${kind === 'futex' ? 'futex' : 'Unix datagram + epoll'} wakeup, ${placement}`;
      return {
        id: `latency-floor-${kind}-${placement === 'same CPU' ? 'same' : 'across'}`,
        name,
        section: 'latency',
        run: () => wakeupFloorLatency({ name, kind, placement, ...lat }),
      };
    };
    for (let i = 0; i < o.rounds; i++) {
      for (const size of LATENCY_SIZES) runs.push(latencyRun('framering', size), latencyRun('unix', size));
      runs.push(threadRun, pullRun, pullAcrossRun, floorRun('futex', 'across CPUs'), floorRun('futex', 'same CPU'));
      runs.push(floorRun('socket', 'across CPUs'));
    }
    // process.send once (far off the others), and not at all when timing hops (it has none to show).
    if (!o.hops) for (const size of LATENCY_SIZES) runs.push(latencyRun('process.send', size));
  }
  return runs;
}

async function main(): Promise<number> {
  // `--watch`: only the MJPEG watching section (scripts/bench/watch_section.ts).
  if (process.argv.includes('--watch')) {
    const i = process.argv.indexOf('--seconds');
    const seconds = i > 0 ? Number(process.argv[i + 1]) : 10;
    if (!(seconds >= 1 && seconds <= 600)) {
      process.stderr.write('bench: --seconds needs a number from 1 to 600\n');
      return 2;
    }
    const { runWatchSection, formatWatch } = await import('./bench/watch_section.js');
    process.stderr.write(`bench: MJPEG watching, ${seconds} s per step ...\n`);
    process.stdout.write(`\n${formatWatch(await runWatchSection({ seconds }))}\n`);
    return 0;
  }
  // `--pipeline`: only the whole-pipeline section (scripts/bench/pipeline/); `--memory`: only the memory section.
  if (process.argv.includes('--pipeline')) return pipelineMain(process.argv.slice(2).filter((a) => a !== '--pipeline'));
  if (process.argv.includes('--memory')) return memoryMain(process.argv.slice(2).filter((a) => a !== '--memory'));
  let opts: BenchOptions | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The native hop stamps are switched on when the addon loads (native/doorbell_hops.h): run again with the switch.
  if (opts.hops && process.env.FRAMERING_HOPS !== '1') {
    const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, FRAMERING_HOPS: '1' },
    });
    return again.status ?? 1;
  }
  const started = Date.now();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stderr.write(
    `bench: ${cpus().length} x ${cpu}, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  let rows: Row[] = [];
  let stopBurners: (() => void) | null = null;
  for (const r of plan(opts)) {
    if (r.section === 'latency' && opts.burn > 0 && !stopBurners) {
      stopBurners = startCpuBurners(opts.burn);
      process.stderr.write(`bench: ${opts.burn} CPU burner(s) running beside the latency runs\n`);
    }
    process.stderr.write(`bench: ${r.name} ...`);
    const t = Date.now();
    // Others share this machine: the load when each run started says how far to trust it.
    const load1 = Number(loadavg()[0].toFixed(2));
    let row: Row;
    try {
      row = await r.run();
    } catch (err) {
      row = failedRow(r.name, r.section, err);
    }
    row.id = r.id;
    row.load_avg_1m = load1;
    if (r.section === 'latency') row.cpu_burners = opts.burn;
    rows.push(row);
    process.stderr.write(row.error ? ` FAILED: ${row.error}\n` : ` ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  stopBurners?.();
  if (wants(opts, 'ingest')) {
    process.stderr.write('bench: ingest ...');
    try {
      const ingest = await runIngestSection(opts.seconds, opts.rounds);
      if ('skipped' in ingest) process.stderr.write(` skipped: ${ingest.skipped}\n`);
      else {
        rows.push(...ingest.rows);
        process.stderr.write(' done\n');
      }
    } catch (err) {
      rows.push(failedRow('ingest', 'ingest', err));
      process.stderr.write(` FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  if (wants(opts, 'detect')) rows.push(...(await runDetectSection((s) => process.stderr.write(s))));
  teardownAll();
  rows = mergeRepeats(rows);
  const goals = judge(rows);
  const detectRows = rows.filter((r) => r.section === 'detect');
  process.stdout.write(
    `\n${formatReport(
      rows.filter((r) => r.section !== 'detect'),
      goals,
    )}\n`,
  );
  if (detectRows.length > 0) process.stdout.write(`\n${formatDetectRows(detectRows)}\n`);
  const hopTable = formatHops(rows);
  if (hopTable) process.stdout.write(`\n${hopTable}\n`);
  process.stdout.write(
    `\n${cpus().length} cores, load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
  );
  if (opts.json) {
    try {
      writeFileSync(opts.json, `${JSON.stringify([...rows, ...goalRows(goals)], null, 2)}\n`);
      process.stdout.write(`rows written to ${opts.json}\n`);
    } catch (err) {
      process.stderr.write(
        `bench: could not write the rows to ${opts.json} (${(err as Error).message}); check the path\n`,
      );
      return 1;
    }
  }
  return rows.some((r) => r.error) ? 1 : 0;
}

/** Value of `--flag X` or `--flag=X` in argv. */
function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  return argv[i]!.includes('=') ? argv[i]!.slice(flag.length + 1) : argv[i + 1];
}

async function pipelineMain(argv: string[]): Promise<number> {
  const { runPipelineSection, PIPELINES } = await import('./bench/pipeline/pipeline_section.js');
  const { pipelineTable, pipelineGoals, writePipelinePlot } = await import('./bench/pipeline/pipeline_report.js');
  const { ensureBuild } = await import('./bench/pipeline/ensure_build.js');
  const seconds = Number(flagValue(argv, '--seconds') ?? 30);
  const cameras = (flagValue(argv, '--cameras') ?? '1,2,4,8').split(',').map(Number);
  const rounds = Number(flagValue(argv, '--rounds') ?? 1);
  // Steady state is what a camera service runs in: the first seconds of every pipeline carry its start-up (module
  // loading, and in Node the JIT compiling the per-frame path, which runs cold at 10 frames a second until then).
  const warmupS = Number(flagValue(argv, '--warmup') ?? 30);
  const pipelines = (flagValue(argv, '--pipelines') ?? PIPELINES.join(',')).split(',') as Array<
    (typeof PIPELINES)[number]
  >;
  if (
    !(seconds >= 1 && seconds <= 600) ||
    !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20) ||
    !(warmupS >= 0 && warmupS <= 600) ||
    cameras.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 32)) ||
    pipelines.some((p) => !PIPELINES.includes(p))
  ) {
    process.stderr.write(
      'bench: usage: npm run bench -- --pipeline [--seconds S (30)] [--warmup S (30)] [--rounds N (1)] ' +
        '[--cameras 1,2,4,8] ' +
        `[--pipelines ${PIPELINES.join(',')}] [--json FILE] [--plot FILE.png]\n`,
    );
    return 2;
  }
  const log = (s: string) => process.stderr.write(s);
  log(
    `bench: pipeline section, ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  await ensureBuild(log);
  const started = Date.now();
  // The floor under a process per camera, in the same run: one empty wakeup of a Node and of a Python process.
  const { runtimeWakeupRows } = await import('./bench/pipeline/runtime_wakeup.js');
  const wakeupRounds = 2;
  log(`bench: empty wakeups, Node and Python, 10 a second, ${wakeupRounds} rounds of 10 s ...`);
  const floors = await runtimeWakeupRows(10, 10, wakeupRounds);
  const floorsText = floors.map((f) => `${f.runtime} ${f.p50_us} µs`).join(', ');
  log(` ${floorsText}\n`);
  const rows = await runPipelineSection({
    seconds,
    rounds,
    cameras,
    pipelines,
    width: 1280,
    height: 720,
    fps: 10,
    warmupS,
    log,
  });
  const goals = pipelineGoals(rows, floors);
  process.stdout.write(
    `\nPipeline (main3 shape): CPU of every process but ffmpeg over ${seconds} s, RSS at the end, ` +
      'frames handled per camera process / frames out of ffmpeg\n',
  );
  process.stdout.write(
    `${pipelineTable(rows)}\n\nOne empty wakeup (a process woken by 8 bytes on a Unix socket, 10 a second, ` +
      `median of ${wakeupRounds}): ${floorsText}\n\n${formatReport([], goals)}\n`,
  );
  process.stdout.write(
    `\n${cpus().length} cores, load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
  );
  const plot = flagValue(argv, '--plot');
  if (plot) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    await writePipelinePlot(
      rows,
      plot,
      'main3 pipeline: CPU against cameras',
      `${cpus().length}-core VM, ${when} UTC; each point the median of ${rounds} round(s) of ${seconds} s, ` +
        `measured after a ${warmupS} s warm-up`,
    );
    process.stdout.write(`chart written to ${plot}\n`);
  }
  const json = flagValue(argv, '--json');
  if (json) writeFileSync(json, `${JSON.stringify([...floors, ...rows, ...goalRows(goals)], null, 2)}\n`);
  return rows.some((r) => r.error) ? 1 : 0;
}

async function memoryMain(argv: string[]): Promise<number> {
  const { runMemorySection, formatMemory } = await import('./bench/memory_section.js');
  const { ensureBuild } = await import('./bench/pipeline/ensure_build.js');
  const seconds = Number(flagValue(argv, '--seconds') ?? 10);
  const log = (s: string) => process.stderr.write(s);
  log(
    `bench: memory section, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  await ensureBuild(log);
  const result = await runMemorySection({ seconds, log });
  process.stdout.write(`\n${formatMemory(result)}\n\n${formatReport([], result.goals)}\n`);
  process.stdout.write(
    `\nload average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const json = flagValue(argv, '--json');
  if (json) writeFileSync(json, `${JSON.stringify([...result.rows, ...goalRows(result.goals)], null, 2)}\n`);
  return result.rows.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    teardownAll();
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
