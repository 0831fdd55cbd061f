#!/usr/bin/env node
/**
 * framering-cleanup: lists the framering rings in /dev/shm and removes those nobody serves any more (writer dead,
 * or a file left half-created by a crash). Replaces the `rm -f /dev/shm/*` habit of older systems: live rings are
 * only removed with --all, after confirmation.
 */
import { createInterface } from 'node:readline/promises';
import { listSegments, type SegmentEntry } from '../src/shm/index.js';
import { removeSegment, SHM_DIR } from '../src/shm/internal.js';

const USAGE = `usage: framering-cleanup [--dry-run] [--all [--yes]] [--json] [RING ...]
  (no option)  list framering rings in ${SHM_DIR} and remove those whose owner is dead
  --dry-run    only list what would be removed
  --all        remove every framering ring, live ones too (asks for confirmation)
  --yes        with --all: do not ask
  --json       print the listing as JSON
  RING ...     only these rings (names without the framering- prefix; a trailing * matches a prefix)`;

interface Args {
  dryRun: boolean;
  all: boolean;
  yes: boolean;
  json: boolean;
  rings: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dryRun: false, all: false, yes: false, json: false, rings: [] };
  for (const a of argv) {
    if (a === '--dry-run' || a === '-n') args.dryRun = true;
    else if (a === '--all') args.all = true;
    else if (a === '--yes' || a === '-y') args.yes = true;
    else if (a === '--json') args.json = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (!a.startsWith('-')) {
      args.rings.push(a);
    } else {
      console.error(`framering-cleanup: unknown option '${a}'\n${USAGE}`);
      process.exit(2);
    }
  }
  if (args.yes && !args.all) {
    console.error(`framering-cleanup: --yes goes with --all\n${USAGE}`);
    process.exit(2);
  }
  return args;
}

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function describe(s: SegmentEntry): string {
  if (s.kind !== 'ring') return `skipped: ${s.problem}`;
  if (!s.valid) return `unusable (${s.problem})`;
  const what = s.format === 'data' ? `data x${s.slots}` : `${s.width}x${s.height} ${s.format} x${s.slots}`;
  const owner = s.closed ? 'closed' : s.writerAlive ? 'alive' : 'dead';
  return `${what}, owner pid ${s.writerPid} ${owner}, ${s.readers} reader(s)`;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = (name: string) =>
    args.rings.length === 0 || args.rings.some((r) => (r.endsWith('*') ? name.startsWith(r.slice(0, -1)) : name === r));
  const segments = listSegments().filter((s) => wanted(s.name));
  // Only regular files are ever removed: a FIFO, link or directory under our prefix is someone else's doing.
  const doomed = segments.filter((s) => s.kind === 'ring' && (args.all || s.stale));

  if (args.json) {
    console.log(JSON.stringify(segments.map((s) => ({ ...s, remove: doomed.includes(s) }))));
  } else if (segments.length === 0) {
    console.log(`no framering rings in ${SHM_DIR}`);
    return 0;
  } else {
    for (const s of segments)
      console.log(`${doomed.includes(s) ? 'remove' : 'keep  '}  ${s.segment}  ${size(s.bytes)}  ${describe(s)}`);
  }
  if (doomed.length === 0 || args.dryRun) {
    if (!args.json)
      console.log(args.dryRun ? `dry run: ${doomed.length} ring(s) would be removed` : 'nothing to remove');
    return 0;
  }
  const live = doomed.filter((s) => !s.stale);
  if (live.length > 0 && !args.yes) {
    const ok = await confirm(`remove ${live.length} ring(s) still served by live processes? [y/N] `);
    if (!ok) {
      console.error('framering-cleanup: not removing live rings (answer y, or pass --yes)');
      return 1;
    }
  }
  let removed = 0;
  for (const s of doomed) {
    const result = removeSegment(s.segment, { force: args.all });
    if (result.removed) removed++;
    else console.error(`framering-cleanup: did not remove ${SHM_DIR}/${s.segment}: ${result.why}`);
  }
  const freed = doomed.reduce((n, s) => n + s.bytes, 0);
  if (!args.json) console.log(`removed ${removed} ring(s), ${size(freed)} freed`);
  return removed === doomed.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`framering-cleanup: ${(err as Error).message}`);
    process.exit(1);
  },
);
