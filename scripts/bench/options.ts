/** The bench's command line: what to run, for how long, where to write the JSON rows. */

export interface BenchOptions {
  /** Length of each throughput run, after its warm-up. */
  seconds: number;
  /** Length of each paced latency run. */
  latencySeconds: number;
  /** Frames per second of the paced latency runs (low enough that nothing queues). */
  latencyRate: number;
  json: string | null;
  ingest: boolean;
  /** The detection section (about a minute): only with --detect or --only detect. */
  detect: boolean;
  /** Alternating rounds of memcpy / 1 reader / 4 readers; the best of each is judged. */
  rounds: number;
  /** Sections to run; all when empty. */
  only: Set<Section>;
  /** Per-hop times of the latency runs (the bench runs itself again with FRAMERING_HOPS=1). */
  hops: boolean;
  /** CPU burners (busy processes) running beside the latency runs: the latency under load. */
  burn: number;
}

export const SECTIONS = ['throughput', 'readers', 'latency', 'ingest', 'detect'] as const;
export type Section = (typeof SECTIONS)[number];

export const USAGE =
  'usage: npm run bench -- [--seconds S] [--latency-seconds S] [--rate FPS] [--rounds N] [--json FILE] ' +
  `[--no-ingest] [--detect] [--only SECTION,...]

  --seconds S           length of each throughput run after a short warm-up (default 3)
  --latency-seconds S   length of each paced latency run (default 2)
  --rate FPS            pace of the latency runs, frames per second (default 500)
  --rounds N            alternating rounds of memcpy, 1 reader, 4 readers (the best of each counts), of framering
                        and Unix socket latency (medians count), of the ingest paths (default 2)
  --json FILE           also write the result rows to FILE as a JSON array
  --ingest / --no-ingest  run the ingest CPU section of scripts/bench_ingest.ts when it exists (default: run)
  --detect              also run the detection section: CenterNet inference p50/p99 with SIMD and threads on and off,
                        main3 camera → reply latency (about a minute; --only detect runs it alone)
  --hops                per-hop times of the latency runs (doorbell: commit, ring, poll, recv, callback, handler,
                        re-arm; Unix socket: write, data callback), with FRAMERING_HOPS=1
  --burn N              N busy processes beside the latency runs (latency under load; default 0)
  --only LIST           comma-separated subset of: ${SECTIONS.join(', ')}
  --watch               only the MJPEG watching section: service CPU with 0, 1, 10, 30 viewers ` +
  `(--seconds per step, default 10)
  -h, --help            this text`;

export class UsageError extends Error {}

function numberArg(flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || text.startsWith('--') || !Number.isFinite(value) || value < min || value > max)
    throw new UsageError(
      `${flag} needs a number from ${min} to ${max}, got ${text === undefined ? 'nothing' : `'${text}'`}`,
    );
  return value;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const opts: BenchOptions = {
    seconds: 3,
    latencySeconds: 2,
    latencyRate: 500,
    rounds: 2,
    json: null,
    ingest: true,
    detect: false,
    only: new Set(),
    hops: false,
    burn: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--seconds':
        opts.seconds = numberArg(flag, value(), 0.5, 600);
        break;
      case '--latency-seconds':
        opts.latencySeconds = numberArg(flag, value(), 0.5, 600);
        break;
      case '--rate':
        opts.latencyRate = numberArg(flag, value(), 1, 5000);
        break;
      case '--rounds':
        opts.rounds = numberArg(flag, value(), 1, 20);
        if (!Number.isInteger(opts.rounds)) throw new UsageError(`--rounds needs a whole number, got ${opts.rounds}`);
        break;
      case '--json': {
        const file = value();
        if (!file || file.startsWith('--')) throw new UsageError('--json needs a file name, e.g. --json bench.json');
        opts.json = file;
        break;
      }
      case '--ingest':
        opts.ingest = true;
        break;
      case '--no-ingest':
        opts.ingest = false;
        break;
      case '--detect':
        opts.detect = true;
        break;
      case '--hops':
        opts.hops = true;
        break;
      case '--burn':
        opts.burn = numberArg(flag, value(), 0, 16);
        if (!Number.isInteger(opts.burn)) throw new UsageError(`--burn needs a whole number, got ${opts.burn}`);
        break;
      case '--only': {
        const list = value();
        if (!list || list.startsWith('--'))
          throw new UsageError(`--only needs a list of sections: ${SECTIONS.join(', ')}`);
        for (const name of list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!(SECTIONS as readonly string[]).includes(name))
            throw new UsageError(`unknown section '${name}' for --only; choose from ${SECTIONS.join(', ')}`);
          opts.only.add(name as Section);
        }
        break;
      }
      default:
        throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return opts;
}

export function wants(opts: BenchOptions, section: Section): boolean {
  if (section === 'ingest' && !opts.ingest) return false;
  if (section === 'detect') return opts.detect || opts.only.has('detect');
  return opts.only.size === 0 || opts.only.has(section);
}
