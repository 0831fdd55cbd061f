// Rings in a hostile /dev/shm (issue 8 §4 and §7): things that are not ring files at a ring's name, rings of other
// users, racing restarts, junk written over the shared words, odd arrays, files resized behind the writer's back,
// dead readers, and a live ring of another layout version. Everything runs in real processes against the real
// /dev/shm; every call that could hang runs in a child with a kill timer.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import { FrameringError } from '../src/errors/index.js';
import { DataRingClient, FrameRingClient, FrameRingServer, listSegments } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { addon } from '../src/shm/native_addon.js';
import { nativeServerOf } from '../src/shm/internal.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { holdLock } from './support/lock_holder.js';
import { checkFrame, fillFrame } from './fixtures/shm/frame_pattern.js';

const PROBE = fileURLToPath(new URL('./fixtures/shm/hostile_probe.ts', import.meta.url));
const RACER = new URL('./fixtures/shm/hostile_racer.ts', import.meta.url);
const WRITER = new URL('./fixtures/shm/hostile_writer.ts', import.meta.url);
const READER = new URL('./fixtures/shm/hostile_reader.ts', import.meta.url);
const TOOL = fileURLToPath(new URL('../scripts/cleanup.ts', import.meta.url));
const NOBODY = 65534;
const RING_MAGIC = 0x31474e4952524d46n;
const offsets = addon.layoutOffsets;

let seq = 0;
const ringName = () => `t-hostile-${process.pid}-${++seq}`;
const shmPath = (name: string) => `/dev/shm/framering-${name}`;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { cleanups, children } = trackCleanups();

function child(url: URL, args: string[], quiet = false): ChildProcess {
  const c = forkScript(url, args, { quiet });
  children.push(c);
  return c;
}

/** Removes whatever a test left at a ring's name (file, link, directory), never following a link. */
function removeLater(name: string): void {
  cleanups.push(() => rmSync(shmPath(name), { force: true, recursive: true }));
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): FrameringError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameringError);
    expect((err as FrameringError).code).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
    return err as FrameringError;
  }
  throw new Error(`expected a ${code} error`);
}

interface Bounded {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  timedOut: boolean;
  ms: number;
}

/** Runs node (as root, or as user nobody through setpriv) with a kill timer: a hang is a result, not a stuck run. */
function runBounded(argv: string[], opts: { asNobody?: boolean; timeoutMs?: number } = {}): Promise<Bounded> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const [cmd, args] = opts.asNobody
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...argv]]
    : [process.execPath, argv];
  const started = performance.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    let err = '';
    let timedOut = false;
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      c.kill('SIGKILL');
    }, timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, timedOut, ms: performance.now() - started });
    });
  });
}

type ProbeOp = { op: 'list' | 'server' | 'open' | 'openData' | 'remove'; name: string; allowForeign?: boolean };
type ProbeResult = {
  i: number;
  uid: number;
  op: string;
  ok: boolean;
  code?: string;
  message?: string;
  segments?: Array<{
    name: string;
    kind: string;
    stale: boolean;
    valid: boolean;
    problem: string;
    writerAlive: boolean;
    writerPid: number;
    version: number;
  }>;
  layout?: { width: number; writerPid: number };
  rssGrowth: number;
  vmGrowth: number;
  hwmGrowth: number;
};

/** The framering calls in ops, in a child bounded by a kill timer; one result per call that returned. */
async function probe(ops: ProbeOp[], opts: { asNobody?: boolean } = {}) {
  const r = await runBounded(['--import', 'tsx', PROBE, JSON.stringify(ops)], opts);
  const lines = r.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ProbeResult & { done?: boolean });
  const done = lines.some((l) => l.done);
  if (!done || r.timedOut)
    throw new Error(
      `probe ${JSON.stringify(ops)} ${r.timedOut ? 'HUNG (killed after 15 s)' : 'died'} ` +
        `after ${lines.length} of ${ops.length} calls` +
        ` (code ${r.code}, signal ${r.signal}): ${r.err.slice(0, 2000)}`,
    );
  return lines.filter((l) => !l.done);
}

/** The cleanup tool, run as a person runs it, restricted to our own names (other people's stale rings are theirs). */
async function cleanupTool(...args: string[]): Promise<Bounded> {
  const r = await runBounded(['--import', 'tsx', TOOL, ...args], { timeoutMs: 20_000 });
  expect(r.timedOut, `cleanup ${args.join(' ')} hung:\n${r.out}${r.err}`).toBe(false);
  return r;
}

/** hold_mask of every slot, read from the file as another process sees it. */
function holdMasks(name: string, slots: number): bigint[] {
  const buf = readFileSync(shmPath(name)).subarray(0, offsets.headerBytes + slots * offsets.slotMetaBytes);
  return Array.from({ length: slots }, (_, i) =>
    buf.readBigUInt64LE(offsets.headerBytes + i * offsets.slotMetaBytes + offsets.slotHoldMask),
  );
}

/** A ring file that no process serves, made by copying a live ring's bytes into a file of another name. */
function unservedCopy(): string {
  const s = new FrameRingServer({ name: ringName(), width: 8, height: 8, slots: 2 });
  const pixels = new Uint8Array(s.frameBytes);
  fillFrame(pixels, 1);
  s.write(pixels);
  const name = ringName();
  removeLater(name);
  copyFileSync(shmPath(s.name), shmPath(name));
  chmodSync(shmPath(name), 0o600);
  s.close();
  return name;
}

// ---------------------------------------------------------------------------------------------------------------
// §4.1 What sits at a ring's name may be anything: a FIFO (opening it could block forever), a link (to a ring of
// another name, or to nothing), a directory, a socket. Nothing may hang on it, nothing may remove it, and every error
// says what it is.
describe('§4 something other than a ring file at a ring path', () => {
  const cases: Array<{
    what: string;
    kind: string;
    words: string;
    make: (path: string) => void | Promise<void>;
    target?: () => string;
  }> = [];
  let linkTarget = '';
  cases.push(
    {
      what: 'a named pipe (mkfifo)',
      kind: 'fifo',
      words: 'a named pipe (FIFO)',
      make: (p) => void execFileSync('mkfifo', ['-m', '600', p]),
    },
    {
      what: 'a symbolic link to a live ring of another name',
      kind: 'symlink',
      words: 'a symbolic link',
      make: (p) => {
        const t = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
        cleanups.push(() => t.close());
        linkTarget = t.name;
        symlinkSync(shmPath(t.name), p);
      },
      target: () => linkTarget,
    },
    {
      what: 'a symbolic link to a stale ring of another name',
      kind: 'symlink',
      words: 'a symbolic link',
      make: (p) => {
        linkTarget = unservedCopy();
        symlinkSync(shmPath(linkTarget), p);
      },
      target: () => linkTarget,
    },
    {
      what: 'a dangling symbolic link',
      kind: 'symlink',
      words: 'a symbolic link',
      make: (p) => symlinkSync(`/dev/shm/framering-t-hostile-${process.pid}-nowhere`, p),
    },
    { what: 'a directory', kind: 'directory', words: 'a directory', make: (p) => mkdirSync(p, 0o700) },
    {
      what: 'a unix socket',
      kind: 'socket',
      words: 'a socket',
      make: async (p) => {
        const srv = createServer();
        await new Promise<void>((r) => srv.listen(p, r));
        cleanups.push(() => srv.close());
      },
    },
  );

  for (const c of cases) {
    it(
      `${c.what}: listing, create, open ` +
        `and the cleanup tool ` +
        `neither hang nor remove it, ` +
        `and say what it is`,
      async () => {
        const name = ringName();
        const path = shmPath(name);
        removeLater(name);
        await c.make(path);
        const before = lstatSync(path);
        const target = c.target?.();
        const targetIno = target ? lstatSync(shmPath(target)).ino : 0;

        const [list, server, open, openData] = await probe([
          { op: 'list', name },
          { op: 'server', name },
          { op: 'open', name },
          { op: 'openData', name },
        ]);
        expect(list.segments).toEqual([expect.objectContaining({ kind: c.kind, stale: false, valid: false })]);
        expect(list.segments![0].problem).toContain(c.words);
        expect(server).toMatchObject({ ok: false, code: 'RING_EXISTS' });
        expect(server.message).toContain(`is ${c.words}`);
        expect(server.message).not.toMatch(/being created/);
        for (const o of [open, openData]) {
          expect(o).toMatchObject({ ok: false, code: 'RING_INVALID' });
          expect(o.message).toContain(`is ${c.words}`);
        }
        // The same listing in this process, as the brief's API call.
        expect(listSegments().find((s) => s.name === name)).toMatchObject({ kind: c.kind, stale: false });

        const keep = new RegExp(`keep\\s+framering-${escapeRe(name)}\\s.*skipped: ${escapeRe(c.words)}`);
        const dry = await cleanupTool('--dry-run', name);
        expect(dry.code).toBe(0);
        expect(dry.out).toMatch(keep);
        expect(dry.out).toMatch(/dry run: 0 ring\(s\) would be removed/);
        const plain = await cleanupTool(name);
        expect(plain.code).toBe(0);
        expect(plain.out).toMatch(keep);

        const after = lstatSync(path);
        expect(after.ino).toBe(before.ino);
        expect(after.mode).toBe(before.mode);
        if (target) {
          // Nothing followed the link: its target is the same file, untouched.
          expect(lstatSync(shmPath(target)).ino).toBe(targetIno);
          expect(lstatSync(shmPath(target)).isFile()).toBe(true);
        }
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------
// §4.2 Rings another user made, or that every user may write, could carry planted frames.
describe('§4 rings of other users', () => {
  it('a ring of another user, or one every user may write (ours too), is RING_UNTRUSTED unless allowForeign', () => {
    const name = unservedCopy();
    const path = shmPath(name);
    const own = FrameRingClient.open(name); // our own 0600 file opens as it is
    expect(own.width).toBe(8);
    own.close();

    chmodSync(path, 0o666); // ours, but anyone may write it
    expectCode(
      () => FrameRingClient.open(name),
      'RING_UNTRUSTED',
      /every user may write it \(mode 666\).*allowForeign/,
    );
    let c = FrameRingClient.open(name, { allowForeign: true });
    expect(c.width).toBe(8);
    c.close();

    chownSync(path, NOBODY, NOBODY);
    chmodSync(path, 0o600); // another user's, private to that user
    expectCode(
      () => FrameRingClient.open(name),
      'RING_UNTRUSTED',
      /belongs to user id 65534, not to this process's user \(0\)/,
    );
    expectCode(() => DataRingClient.open(name), 'RING_UNTRUSTED');
    c = FrameRingClient.open(name, { allowForeign: true });
    expect(c.width).toBe(8);
    c.close();

    chmodSync(path, 0o666); // another user's, and anyone may write it
    expectCode(() => FrameRingClient.open(name), 'RING_UNTRUSTED', /every user may write it/);
    c = FrameRingClient.open(name, { allowForeign: true });
    c.close();
    // Nor is it ours to replace, although its writer is dead.
    expectCode(() => new FrameRingServer({ name, width: 8, height: 8 }), 'RING_EXISTS', /not ours to replace/);
    expect(statSync(path).uid).toBe(NOBODY);

    chownSync(path, NOBODY, 0);
    chmodSync(path, 0o660); // another user's, shared with our group: trusted
    c = FrameRingClient.open(name);
    c.close();
  });

  it(
    'as user nobody: a root-owned 0600 ring cannot be opened ' +
      '(permission), a root-owned 0666 ring is RING_UNTRUSTED',
    async () => {
      const name = unservedCopy();
      const path = shmPath(name);
      const [open, list, server] = await probe(
        [
          { op: 'open', name },
          { op: 'list', name },
          { op: 'server', name },
        ],
        { asNobody: true },
      );
      expect(open.uid).toBe(NOBODY);
      expect(open.ok).toBe(false);
      expect(open.message).toMatch(/permission denied/i);
      expect(list.segments).toEqual([expect.objectContaining({ kind: 'ring' })]);
      expect(server).toMatchObject({ ok: false, code: 'RING_EXISTS' });
      expect(server.message).toMatch(/permission denied/i);

      chmodSync(path, 0o666);
      const [untrusted, foreign, replace] = await probe(
        [
          { op: 'open', name },
          { op: 'open', name, allowForeign: true },
          { op: 'server', name },
        ],
        { asNobody: true },
      );
      expect(untrusted).toMatchObject({ uid: NOBODY, ok: false, code: 'RING_UNTRUSTED' });
      expect(untrusted.message).toMatch(/every user may write it \(mode 666\)/);
      expect(foreign).toMatchObject({ ok: true, layout: expect.objectContaining({ width: 8 }) });
      expect(replace).toMatchObject({ ok: false, code: 'RING_EXISTS' });
      expect(statSync(path).uid).toBe(0); // still root's file, still there
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §4.3 Restarts racing for a dead owner's ring: exactly one process may win it, every time.
describe('§4 racing restarts', () => {
  it(
    'of six processes restarting a dead owner’s ring at ' + 'the same instant, exactly one wins, round after round',
    async () => {
      const STALE_ROUNDS = 20;
      const FRESH_ROUNDS = 6; // and the same race for a name nobody had yet
      const names = Array.from({ length: STALE_ROUNDS + FRESH_ROUNDS }, ringName);
      cleanups.push(() => {
        for (const n of names) removeSegment(`framering-${n}`);
      });
      const owner = child(WRITER, ['many', ...names.slice(0, STALE_ROUNDS)]);
      await nextMessage(owner, (m) => m.ready === true);
      owner.kill('SIGKILL');
      await exited(owner);
      const segments = listSegments();
      for (const n of names.slice(0, STALE_ROUNDS))
        expect(segments.find((s) => s.name === n)).toMatchObject({ stale: true });

      const racers = Array.from({ length: 6 }, () => child(RACER, []));
      await Promise.all(racers.map((r) => nextMessage(r, (m) => m.ready === true)));
      type Reply = { round: number; ok: boolean; pid: number; late: number; code?: string; message?: string };
      const spreads: number[] = [];
      const failures: string[] = [];
      const loserMessages = new Map<string, number>();
      for (let round = 0; round < names.length; round++) {
        const name = names[round];
        const at = performance.timeOrigin + performance.now() + 80;
        for (const r of racers) r.send({ race: name, at, round });
        const replies = await Promise.all(racers.map((r) => nextMessage<Reply>(r, (m) => m.round === round, 15_000)));
        spreads.push(Math.max(...replies.map((r) => r.late)) - Math.min(...replies.map((r) => r.late)));
        const winners = replies.filter((r) => r.ok);
        const losers = replies.filter((r) => !r.ok);
        for (const l of losers) {
          const gist = `${l.code}: ${(l.message ?? '').replace(/\d+/g, 'N').replace(/framering-\S+/, 'framering-X')}`;
          loserMessages.set(gist, (loserMessages.get(gist) ?? 0) + 1);
        }
        const kind = round < STALE_ROUNDS ? 'stale' : 'fresh';
        if (winners.length !== 1 || losers.some((l) => l.code !== 'RING_EXISTS')) {
          failures.push(
            `round ${round} (${kind}): ${winners.length} winners; ` +
              `losers: ${losers.map((l) => `${l.code} ${l.message}`).join(' | ')}`,
          );
        }
        if (winners.length >= 1) {
          const reader = FrameRingClient.open(name);
          const seen = reader.layout.writerPid;
          reader.close();
          const listed = listSegments().find((s) => s.name === name);
          if (!winners.some((w) => w.pid === seen) || !listed?.writerAlive || listed.writerPid !== seen)
            failures.push(
              `round ${round} (${kind}): a reader sees writer ${seen}, listing ` +
                `${JSON.stringify(listed)}, winners ${winners.map((w) => w.pid)}`,
            );
        }
        for (const w of winners) {
          const r = racers.find((x) => x.pid === w.pid)!;
          r.send({ close: true, round });
          await nextMessage(r, (m) => m.closed === round);
        }
        if (existsSync(shmPath(name)))
          failures.push(`round ${round} (${kind}): the ring is still there after its winner closed it`);
      }
      spreads.sort((x, y) => x - y);
      console.log(
        `racing restarts: the six tries of a round started within ` +
          `${spreads[spreads.length >> 1].toFixed(2)} ms of each other ` +
          `(median; worst ${spreads.at(-1)!.toFixed(2)} ms); loser messages ` +
          `${JSON.stringify(Object.fromEntries(loserMessages), null, 1)}`,
      );
      expect(failures).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §4.4 Junk over the shared words, while a writer and readers in other processes run: no hang, no crash, frames
// keep flowing. In layout 2 the 64 bytes at layoutOffsets.futexes hold the futex words and waiter counts (16 bytes),
// then the counters (write_seq, written, writer_drops, next_token: 32 bytes), then padding. Layout 1 kept a
// process-shared pthread mutex right after that block, where layout 2 has reader entry 0: a reader of our own (the
// decoy) takes that entry, so junk there can only evict the decoy (which the lifecycle tests cover), never the
// readers we count.
describe('§4 junk over the futex words, counters and the old mutex bytes', () => {
  const regions: Array<{ what: string; start: number; end: number }> = [
    { what: 'the futex words and waiter counts', start: offsets.futexes, end: offsets.counters },
    {
      what: 'the counters (write_seq, written, writer_drops, next_token) and their padding',
      start: offsets.counters,
      end: offsets.readers,
    },
    {
      what: 'the bytes where layout 1 kept its pthread mutex (reader entry 0 now, the decoy’s)',
      start: offsets.readers,
      end: offsets.readers + 40,
    },
  ];
  for (const region of regions) {
    it(
      `${region.what}, overwritten with random junk for 1.5 s: ` +
        `no process hangs or dies, frames flow again within 5 s`,
      async () => {
        const name = ringName();
        cleanups.push(() => void removeSegment(`framering-${name}`));
        const writer = child(WRITER, ['stream', name, '32', '32', '8']);
        await nextMessage(writer, (m) => m.ready === true);
        const decoy = FrameRingClient.open(name);
        cleanups.push(() => decoy.close());
        const procs = [writer, ...['latest', 'latest', 'every'].map((p) => child(READER, ['count', name, p]))];
        type Beat = { at: number; count: number; written: number; bad: number };
        const beats = procs.map(() => [] as Beat[]);
        const deaths: string[] = [];
        procs.forEach((p, i) => {
          p.on('message', (m: { beat?: boolean; count?: number; written?: number; bad?: number }) => {
            if (m.beat)
              beats[i].push({ at: Date.now(), count: m.count ?? 0, written: m.written ?? 0, bad: m.bad ?? 0 });
          });
          p.on('exit', (code, signal) =>
            deaths.push(`${i === 0 ? 'writer' : `reader ${i}`} exited (${code}, ${signal})`),
          );
        });
        const progress = (i: number) => (i === 0 ? beats[0].at(-1)?.written : beats[i].at(-1)?.count) ?? 0;
        await until('procs.every((_, i) => progress(i) > 0)', () => procs.every((_, i) => progress(i) > 0), 10_000);

        const fd = openSync(shmPath(name), 'r+');
        const len = region.end - region.start;
        const stopAt = Date.now() + 1500;
        let writes = 0;
        while (Date.now() < stopAt) {
          writeSync(fd, randomBytes(len), 0, len, region.start);
          if (++writes % 4 === 0) await sleep(1);
        }
        closeSync(fd);
        const lastCorruption = Date.now();
        const atCorruption = procs.map((_, i) => progress(i));

        // Flowing: within 5 s of the last corruption, every process makes steady progress again, i.e. at least
        // FLOW frames (written or read) within one 500 ms window (the writer manages ~1000 frames a second; a reader
        // that gets a stray frame or two from slots left over from before is not flowing).
        const FLOW = 20;
        const since = (i: number, t: number) =>
          progress(i) - (beats[i].filter((b) => b.at <= t).at(-1)?.[i === 0 ? 'written' : 'count'] ?? atCorruption[i]);
        const flowing = () =>
          procs.map((_, i) => since(i, Date.now() - 500) >= FLOW && (beats[i].at(-1)?.at ?? 0) > lastCorruption + 500);
        const deadline = lastCorruption + 5000;
        while (Date.now() < deadline && !flowing().every(Boolean)) await sleep(50);
        await sleep(300); // one more round of beats, to measure gaps up to now
        const gaps = beats.map((b) =>
          b.reduce((max, x, k) => (k === 0 ? 0 : Math.max(max, x.at - b[k - 1].at)), Date.now() - (b.at(-1)?.at ?? 0)),
        );
        const report = procs.map(
          (_, i) =>
            `${i === 0 ? 'writer' : `reader ${i}`}: at last corruption ${atCorruption[i]}, now ${progress(i)} ` +
            `(${since(i, Date.now() - 1000)} in the last second), longest silence ${gaps[i]} ms, ` +
            `bad frames ${beats[i].at(-1)?.bad ?? 0}`,
        );
        console.log(`junk over ${region.what} (${writes} writes):\n  ${report.join('\n  ')}`);
        expect(deaths, report.join('\n')).toEqual([]);
        expect(
          gaps.every((g) => g < 5000),
          report.join('\n'),
        ).toBe(true);
        expect(flowing(), `frames did not flow again within 5 s of the last corruption:\n${report.join('\n')}`).toEqual(
          procs.map(() => true),
        );
        expect(
          beats.slice(1).map((b) => b.at(-1)?.bad ?? 0),
          'torn or mislabelled frames',
        ).toEqual([0, 0, 0]);
      },
    );
  }
});

describe('§4 junk in write_seq, step by step', () => {
  // The random junk above, reduced to two writes: write_seq thrown far forward, then back. The writer's numbers are
  // its own (the header only publishes them), so junk there never moves them; readers skip seqs above the published
  // one and restart from the newest frame when their cursor is beyond it. (Before, frames took the junk seqs, and
  // readers waiting for seqs past 2^40 starved for good.)
  it(
    'write_seq moved forward and then back by another process: readers of both ' +
      'policies, and one that attaches after, get new frames again within 5 s',
    async () => {
      const s = new FrameRingServer({ name: ringName(), width: 16, height: 16, slots: 4 });
      cleanups.push(() => s.close());
      const latest = FrameRingClient.open(s.name, { policy: 'latest' });
      const every = FrameRingClient.open(s.name, { policy: 'every' });
      cleanups.push(
        () => latest.close(),
        () => every.close(),
      );
      const pixels = new Uint8Array(s.frameBytes);
      let n = 0;
      const writeOne = () => {
        fillFrame(pixels, ++n);
        return s.write(pixels, { frameNumber: n });
      };
      const take = (c: FrameRingClient) => {
        const f = c.pull(0);
        if (!f) return null;
        const got = { frame: f.meta.frameNumber, seq: f.meta.seq, whole: checkFrame(f.pixels) === f.meta.frameNumber };
        f.release();
        return got;
      };
      const setWriteSeq = (v: bigint) => {
        const fd = openSync(shmPath(s.name), 'r+');
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(v);
        writeSync(fd, b, 0, 8, offsets.counters); // write_seq is the first counter
        closeSync(fd);
      };
      writeOne();
      expect(take(latest)).toMatchObject({ frame: 1, seq: 1 });
      expect(take(every)).toMatchObject({ frame: 1, seq: 1 });
      setWriteSeq(1n << 40n);
      writeOne();
      expect(take(latest)).toMatchObject({ frame: 2, seq: 2 });
      expect(take(every)).toMatchObject({ frame: 2, seq: 2 });
      setWriteSeq(5n);
      // And a reader that attaches only after the junk.
      const fresh = FrameRingClient.open(s.name, { policy: 'latest' });
      cleanups.push(() => fresh.close());
      const readers = { latest, every, fresh };
      const got = { latest: [] as number[], every: [] as number[], fresh: [] as number[] };
      const enough = () => Object.values(got).every((g) => g.length >= 10);
      const end = Date.now() + 5000;
      while (Date.now() < end && !enough()) {
        writeOne();
        for (const k of ['latest', 'every', 'fresh'] as const) {
          const f = take(readers[k]);
          if (f) got[k].push(f.frame);
        }
        await sleep(5);
      }
      const report = `${n - 2} frames written after write_seq went back; frames taken: ${JSON.stringify(got)}`;
      console.log(report);
      expect(Object.fromEntries(Object.entries(got).map(([k, g]) => [k, g.length >= 10])), report).toEqual({
        latest: true,
        every: true,
        fresh: true,
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §4.5 Odd arrays and odd commits.
describe('§4 writes from shared arrays, lends and commits', () => {
  it(
    'write() takes a Uint8Array backed by a SharedArrayBuffer, ' +
      '30 times into an 8-slot ring, and the reader gets the bytes',
    () => {
      const s = new FrameRingServer({ name: ringName(), width: 16, height: 16, slots: 8 });
      cleanups.push(() => s.close());
      const c = FrameRingClient.open(s.name, { policy: 'every' });
      cleanups.push(() => c.close());
      const shared = new SharedArrayBuffer(s.frameBytes + 64);
      const pixels = new Uint8Array(shared, 32, s.frameBytes); // at an offset: the copy must start where the view does
      new Uint8Array(shared).fill(0xee);
      // Back to back: every write finds a slot (the ring overwrites what the reader has not taken).
      for (let n = 1; n <= 30; n++) {
        fillFrame(pixels, n);
        expect(s.write(pixels, { frameNumber: n })).toBe(n);
      }
      const early: number[] = [];
      for (let f = c.pull(0); f; f = c.pull(0)) {
        expect(checkFrame(f.pixels)).toBe(f.meta.frameNumber);
        early.push(f.meta.frameNumber);
        f.release();
      }
      expect(early.length).toBeGreaterThan(0);
      expect(early.at(-1)).toBe(30);
      // And one at a time, each taken by the reader before the next.
      for (let n = 31; n <= 60; n++) {
        fillFrame(pixels, n);
        expect(s.write(pixels, { frameNumber: n })).toBe(n);
        const f = c.pull(1000)!;
        expect(f).not.toBeNull();
        expect(checkFrame(f.pixels)).toBe(n);
        expect(f.meta.frameNumber).toBe(n);
        f.release();
      }
      expect(s.stats().writerDrops).toBe(0);
    },
  );

  it(
    'lending every slot without committing is a FrameringError ' + 'INVALID_ARGUMENT, and writes work after abandoning',
    () => {
      const s = new FrameRingServer({ name: ringName(), width: 16, height: 16, slots: 8 });
      cleanups.push(() => s.close());
      const c = FrameRingClient.open(s.name, { policy: 'every' });
      cleanups.push(() => c.close());
      const lent = [];
      let error: unknown = null;
      for (let i = 0; i < 8 && !error; i++) {
        try {
          const l = s.lend();
          expect(l).not.toBeNull();
          lent.push(l!);
        } catch (err) {
          error = err;
        }
      }
      expect(error).toBeInstanceOf(FrameringError);
      expect((error as FrameringError).code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toMatch(/commit\(\) or abandon\(\)/);
      expect(lent.length).toBeGreaterThan(0);
      expect(lent.length).toBeLessThan(8);
      for (const l of lent) l.abandon();
      const pixels = new Uint8Array(s.frameBytes);
      for (let n = 1; n <= 20; n++) {
        fillFrame(pixels, n);
        expect(s.write(pixels, { frameNumber: n })).toBe(n);
        const f = c.pull(1000)!;
        expect(checkFrame(f.pixels)).toBe(n);
        f.release();
      }
      // As many lends as before fit again: abandoning gave every slot back.
      const again = lent.map(() => s.lend());
      expect(again.every((l) => l !== null)).toBe(true);
      for (const l of again) l!.abandon();
    },
  );

  it('commit(NaN), commit(-1), commit(1.5) and commit(Infinity) are INVALID_ARGUMENT and leak no slot', () => {
    const s = new FrameRingServer({ name: ringName(), width: 16, height: 16, slots: 8 });
    cleanups.push(() => s.close());
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => c.close());
    const maxLends = (): number => {
      const got = [];
      try {
        for (let l = s.lend(); l; l = s.lend()) got.push(l);
      } catch (err) {
        if ((err as FrameringError).code !== 'INVALID_ARGUMENT') throw err;
      }
      for (const l of got) l.abandon();
      return got.length;
    };
    const capacity = maxLends();
    expect(capacity).toBeGreaterThan(0);
    for (let round = 0; round < 20; round++) {
      const l = s.lend()!;
      fillFrame(l.view, 100 + round);
      for (const bad of [NaN, -1, 1.5, Infinity, -Infinity])
        expectCode(() => l.commit(undefined, bad), 'INVALID_ARGUMENT', /whole number of bytes/);
      expect(c.pull(0)).toBeNull(); // nothing was published by the failed commits
      if (round % 2 === 0) {
        // The slot is still lent: a good commit publishes it.
        expect(l.commit({ frameNumber: 100 + round })).toBeGreaterThan(0);
        const f = c.pull(1000)!;
        expect(checkFrame(f.pixels)).toBe(100 + round);
        f.release();
      } else {
        l.abandon();
      }
    }
    expect(maxLends()).toBe(capacity); // no slot stayed lent or Writing
    expect(s.stats().writerDrops).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// §4.6 Files resized behind the writer's back.
describe('§4 ring files resized by someone else', () => {
  it(
    'extended to 2 GiB (sparse) while its writer lives: a new ' +
      'reader gets RING_INVALID "extended" and maps none of it',
    async () => {
      const s = new FrameRingServer({ name: ringName(), width: 32, height: 32, slots: 4 });
      cleanups.push(() => s.close());
      const early = FrameRingClient.open(s.name, { policy: 'every' });
      cleanups.push(() => early.close());
      const size = statSync(shmPath(s.name)).size;
      truncateSync(shmPath(s.name), 2 * 1024 ** 3);

      const [open, list] = await probe([
        { op: 'open', name: s.name },
        { op: 'list', name: s.name },
      ]);
      expect(open).toMatchObject({ ok: false, code: 'RING_INVALID' });
      expect(open.message).toMatch(
        new RegExp(`it is ${2 * 1024 ** 3} bytes but its geometry needs exactly ${size} .*extended`),
      );
      // No 2 GiB mapping, not even for a moment: peak RSS (VmHWM), RSS and address space all stay put.
      expect(open.hwmGrowth).toBeLessThan(64 * 1024 ** 2);
      expect(open.rssGrowth).toBeLessThan(64 * 1024 ** 2);
      expect(open.vmGrowth).toBeLessThan(512 * 1024 ** 2);
      expect(list.segments).toEqual([expect.objectContaining({ valid: false, writerAlive: true, stale: false })]);
      expect(list.segments![0].problem).toMatch(/extended/);
      // Nobody may take over a live ring, however odd its file; the writer and the reader attached before carry on.
      expectCode(
        () => new FrameRingServer({ name: s.name, width: 32, height: 32 }),
        'RING_EXISTS',
        new RegExp(`live process ${process.pid}`),
      );
      const pixels = new Uint8Array(s.frameBytes);
      for (let n = 1; n <= 5; n++) {
        fillFrame(pixels, n);
        expect(s.write(pixels, { frameNumber: n })).toBe(n);
        const f = early.pull(1000)!;
        expect(checkFrame(f.pixels)).toBe(n);
        f.release();
      }
    },
  );

  // Shrinking a file that another process maps (ftruncate to less than the mapping) kills that process with SIGBUS
  // the next time it touches a page past the new end: inherent to mmap, nothing a reader can defend against. What
  // framering can and does promise is never to truncate a ring that anybody maps: its only ftruncate sizes its own
  // new, still unnamed file, and a stale ring it replaces is unlinked, never resized.
  it(
    're-creating a ring over a stale one leaves the old file ' +
      'whole: a reader still mapping it reads its held frames',
    async () => {
      const name = ringName();
      cleanups.push(() => void removeSegment(`framering-${name}`));
      const writer = child(WRITER, ['stream', name, '32', '32', '4']);
      await nextMessage(writer, (m) => m.ready === true);
      const holder = child(READER, ['hold', name, '2']);
      const held = await nextMessage<{ held: number[] }>(holder, (m) => Array.isArray(m.held));
      expect(held.held.every((n) => n > 0)).toBe(true);
      const oldFd = openSync(shmPath(name), 'r');
      cleanups.push(() => closeSync(oldFd));
      const old = fstatSync(oldFd);

      writer.kill('SIGKILL');
      await exited(writer);
      const s = new FrameRingServer({ name, width: 64, height: 64, slots: 2 }); // another geometry, another size
      cleanups.push(() => s.close());
      expect(statSync(shmPath(name)).ino).not.toBe(old.ino);
      expect(statSync(shmPath(name)).size).not.toBe(old.size);
      expect(fstatSync(oldFd).size).toBe(old.size);
      expect(fstatSync(oldFd).blocks).toBe(old.blocks);

      holder.send({ check: true });
      const checked = await nextMessage<{ checked: number[]; writerGone: string | null }>(holder, (m) =>
        Array.isArray(m.checked),
      );
      expect(checked.checked).toEqual(held.held);
      expect(checked.writerGone).toMatch(/died/);
      expect(holder.exitCode).toBeNull();
      expect(holder.signalCode).toBeNull();
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §7 Dead readers give their table entries and slots back.
describe('§7 dead readers', () => {
  it(
    'a reader killed -9 while holding frames is dropped within ' +
      '2 s by a writer that writes nothing, and its slots are free',
    async () => {
      const slots = 4;
      const s = new FrameRingServer({ name: ringName(), width: 32, height: 32, slots });
      cleanups.push(() => s.close());
      const holder = child(READER, ['hold', s.name, '3']);
      await nextMessage(holder, (m) => m.ready === true);
      const pixels = new Uint8Array(s.frameBytes);
      for (let n = 1; n <= 3; n++) {
        fillFrame(pixels, n);
        s.write(pixels);
      }
      await nextMessage(holder, (m) => Array.isArray(m.held));
      expect(s.stats().readers).toEqual([expect.objectContaining({ pid: holder.pid, held: 3 })]);
      expect(holdMasks(s.name, slots).filter((m) => m !== 0n)).toHaveLength(3);

      holder.kill('SIGKILL');
      await exited(holder);
      const killedAt = Date.now();
      // no write, no lend: the writer's own timer
      await until('s.stats().readers.length === 0', () => s.stats().readers.length === 0, 2000);
      expect(Date.now() - killedAt).toBeLessThan(2000);
      expect(holdMasks(s.name, slots)).toEqual([0n, 0n, 0n, 0n]);
      const lent = Array.from({ length: slots - 1 }, () => s.lend());
      expect(lent.every((l) => l !== null)).toBe(true);
      for (const l of lent) l!.abandon();
    },
  );

  it(
    'with all 64 entries taken, killing a reader process ' + '-9 lets a new reader open at once (no TOO_MANY_READERS)',
    async () => {
      const s = new FrameRingServer({ name: ringName(), width: 8, height: 8, slots: 4 });
      cleanups.push(() => s.close());
      // Only the newcomer may free the dead entries here: stop the writer's own reclaim timer.
      clearInterval((s as unknown as { reclaimTimer: NodeJS.Timeout }).reclaimTimer);
      const procs = [0, 1, 2, 3].map(() => child(READER, ['many', s.name, '16']));
      await Promise.all(procs.map((p) => nextMessage(p, (m) => m.ready === true)));
      expect(s.stats().readers).toHaveLength(addon.maxReaders);
      expectCode(() => FrameRingClient.open(s.name), 'TOO_MANY_READERS');
      const pixels = new Uint8Array(s.frameBytes);
      fillFrame(pixels, 1);
      s.write(pixels);
      for (const p of procs) p.send({ take: true });
      const took = await Promise.all(procs.map((p) => nextMessage<{ took: number }>(p, (m) => m.took !== undefined)));
      expect(took.map((t) => t.took)).toEqual([16, 16, 16, 16]);

      procs[1].kill('SIGKILL');
      await exited(procs[1]);
      const started = performance.now();
      const fresh = [FrameRingClient.open(s.name)];
      cleanups.push(() => {
        for (const c of fresh) c.close();
      });
      expect(performance.now() - started).toBeLessThan(500);
      for (let i = 1; i < 16; i++) fresh.push(FrameRingClient.open(s.name));
      expectCode(() => FrameRingClient.open(s.name), 'TOO_MANY_READERS');
      const pids = s.stats().readers.map((r) => r.pid);
      expect(pids).toHaveLength(addon.maxReaders);
      expect(pids).not.toContain(procs[1].pid);
      expect(pids.filter((p) => p === process.pid)).toHaveLength(16);
      // The dead process's holds went with its entries: its 16 bits are clear on the slot the others still hold.
      const masks = holdMasks(s.name, 4).filter((m) => m !== 0n);
      expect(masks).toHaveLength(1);
      const bits = masks[0]
        .toString(2)
        .split('')
        .filter((b) => b === '1').length;
      expect(bits).toBe(48);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §7 The ArrayBuffer behind frame.pixels covers the payloads only.
describe('§7 a reader wiping its whole buffer', () => {
  it(
    'new Uint8Array(frame.pixels.buffer).fill(0) wipes ' + 'payloads only: the reader table and slot metadata survive',
    async () => {
      const slots = 4;
      const s = new FrameRingServer({ name: ringName(), width: 32, height: 32, slots });
      cleanups.push(() => s.close());
      const wiper = child(READER, ['wipe', s.name]);
      const counter = child(READER, ['count', s.name, 'every']);
      await Promise.all([wiper, counter].map((p) => nextMessage(p, (m) => m.ready === true)));
      type Got = { frame: number; whole: number; meta: Record<string, number>; droppedBefore: number };
      const got: Got[] = [];
      wiper.on('message', (m: Got) => {
        if (m.whole !== undefined) got.push(m);
      });
      const pixels = new Uint8Array(s.frameBytes);
      fillFrame(pixels, 1);
      s.write(pixels, { frameNumber: 1, slotId: 5 });
      const wiped = await nextMessage<{ wiped?: boolean; bufferBytes: number; frame: number }>(
        wiper,
        (m) => m.wiped === true,
      );
      const layout = nativeServerOf(s).layout();
      expect(wiped.bufferBytes).toBe(slots * layout.slotStride);
      const metaBytes = Math.ceil((offsets.headerBytes + slots * offsets.slotMetaBytes) / 4096) * 4096;
      expect(layout.totalBytes - wiped.bufferBytes).toBe(metaBytes);

      const file = readFileSync(shmPath(s.name)).subarray(0, metaBytes);
      expect(file.readBigUInt64LE(0)).toBe(RING_MAGIC);
      expect(file.readUInt32LE(offsets.slotCount)).toBe(slots);
      expect(
        s
          .stats()
          .readers.map((r) => r.pid)
          .sort(),
      ).toEqual([wiper.pid, counter.pid].sort());
      expect(listSegments().find((x) => x.name === s.name)).toMatchObject({ valid: true, readers: 2 });

      for (let n = 2; n <= 21; n++) {
        fillFrame(pixels, n);
        expect(s.write(pixels, { frameNumber: n, slotId: 5 })).toBe(n);
        await until('got.length >= n - 1', () => got.length >= n - 1, 5000);
      }
      expect(got.map((g) => g.whole)).toEqual(got.map((g) => g.frame));
      got.forEach((g, k) => {
        expect(g.meta).toEqual({
          seq: k + 2,
          width: 32,
          height: 32,
          bytes: 32 * 32 * 3,
          frameNumber: k + 2,
          slotId: 5,
        });
        expect(g.droppedBefore).toBe(0);
      });
      const beat = await nextMessage<{ beat?: boolean; count: number; bad: number }>(
        counter,
        (m) => m.beat === true && m.count >= 21,
      );
      expect(beat.bad).toBeLessThanOrEqual(1); // frame 1 may have been wiped under it while it checked
      expect(s.stats().readers).toHaveLength(2);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// §7 A live ring of a later layout version is not ours to delete.
describe('§7 a live ring of another layout version', () => {
  function futureVersionRing(name: string): void {
    const header = Buffer.alloc(64 * 1024);
    header.writeBigUInt64LE(RING_MAGIC, 0);
    header.writeUInt32LE(4, 8); // layout version 4: one after this build's (addon.limits.layoutVersion, 3)
    header.writeUInt32LE(4096, 12);
    writeFileSync(shmPath(name), header, { mode: 0o600 });
    removeLater(name);
  }
  function age(name: string): void {
    const old = new Date(Date.now() - 10_000); // past the grace a ring being created gets
    utimesSync(shmPath(name), old, old);
  }

  it(
    'is RING_EXISTS for a new server and kept by the cleanup tool ' +
      'while its writer lock is held; replaced and removed after',
    async () => {
      const a = ringName();
      const b = ringName();
      futureVersionRing(a);
      futureVersionRing(b);
      const holders = [
        await holdLock(shmPath(a), [offsets.writerLockByte]),
        await holdLock(shmPath(b), [offsets.writerLockByte]),
      ];
      cleanups.push(() => {
        for (const h of holders) h.process.kill('SIGKILL');
      });
      for (const [name, h] of [
        [a, holders[0]],
        [b, holders[1]],
      ] as const) {
        const fd = openSync(shmPath(name), 'r+');
        const pid = Buffer.alloc(4);
        pid.writeInt32LE(h.process.pid!);
        writeSync(fd, pid, 0, 4, 16); // writer_pid: same offset in every layout version
        closeSync(fd);
        age(name);
      }
      const inoA = statSync(shmPath(a)).ino;

      expect(listSegments().find((s) => s.name === a)).toMatchObject({
        version: 4,
        writerAlive: true,
        stale: false,
        valid: false,
      });
      const err = expectCode(
        () => new FrameRingServer({ name: a, width: 8, height: 8 }),
        'RING_EXISTS',
        new RegExp(`live process ${holders[0].process.pid}`),
      );
      expect(err.message).not.toMatch(/being created/);
      expectCode(() => FrameRingClient.open(a), 'RING_INVALID', /layout version is 4/);
      expect(removeSegment(`framering-${a}`)).toMatchObject({ removed: false, why: expect.stringMatching(/alive/) });
      const dry = await cleanupTool('--dry-run', a);
      expect(dry.out).toMatch(new RegExp(`keep\\s+framering-${escapeRe(a)}\\s.*layout version 4`));
      const plain = await cleanupTool(a);
      expect(plain.code).toBe(0);
      expect(plain.out).toMatch(new RegExp(`keep\\s+framering-${escapeRe(a)}\\s`));
      expect(statSync(shmPath(a)).ino).toBe(inoA);

      await Promise.all(holders.map((h) => h.kill()));
      // The cleanup tool removes one…
      expect(listSegments().find((s) => s.name === a)).toMatchObject({ version: 4, writerAlive: false, stale: true });
      const removed = await cleanupTool(a);
      expect(removed.code).toBe(0);
      expect(removed.out).toMatch(new RegExp(`remove\\s+framering-${escapeRe(a)}\\s`));
      expect(existsSync(shmPath(a))).toBe(false);
      // …and a new server replaces the other.
      const s = new FrameRingServer({ name: b, width: 8, height: 8 });
      cleanups.push(() => s.close());
      expect(listSegments().find((x) => x.name === b)).toMatchObject({
        valid: true,
        version: addon.limits.layoutVersion,
        writerPid: process.pid,
        writerAlive: true,
      });
    },
  );
});
