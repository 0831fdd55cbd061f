// Rings over their lifetime: dead writers and readers, stale segments, every exit path, and bad input.
import { closeSync, existsSync, openSync, statfsSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trackCleanups } from './support/test_scope.js';
import { FrameringError } from '../src/errors/index.js';
import { DataRingClient, DataRingServer, FrameRingClient, FrameRingServer, listSegments } from '../src/shm/index.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { addon } from '../src/shm/native_addon.js';
import { fillFrame } from './fixtures/shm/frame_pattern.js';
import { holdLock } from './support/lock_holder.js';

const READER = new URL('./fixtures/shm/ring_reader_child.ts', import.meta.url);
const WRITER = new URL('./fixtures/shm/ring_writer_child.ts', import.meta.url);
let seq = 0;
const ringName = () => `t-life-${process.pid}-${++seq}`;
const shmPath = (name: string) => `/dev/shm/framering-${name}`;

const { cleanups, children } = trackCleanups();

function child(url: URL, args: string[]) {
  const c = forkScript(url, args, { quiet: args.includes('throw') });
  children.push(c);
  return c;
}

function expectCode(fn: () => unknown, code: string, message?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameringError);
    expect((err as FrameringError).code).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

describe('dead and replaced processes', () => {
  it('a reader learns within a second that its writer was killed', async () => {
    const name = ringName();
    const writer = child(WRITER, [name, '32', '32', '0']);
    await nextMessage(writer, (m) => m.ready === true);
    const c = FrameRingClient.open(name);
    cleanups.push(() => c.close());
    const gone = new Promise<{ err: FrameringError; at: number }>((resolve) =>
      c.on('gone', (err) => resolve({ err, at: Date.now() })),
    );
    c.onFrame(() => {});
    const killedAt = Date.now();
    writer.kill('SIGKILL');
    const { err, at } = await gone;
    expect(err.code).toBe('WRITER_GONE');
    expect(err.message).toMatch(/died/);
    expect(at - killedAt).toBeLessThan(1000);
    expect(c.writerGone()).toMatch(/died/);
    // kill -9 cannot be caught: the segment is left for the next owner or the cleanup tool, and shows as stale.
    expect(listSegments().find((s) => s.name === name)?.stale).toBe(true);
    cleanups.push(() => new FrameRingServer({ name, width: 32, height: 32 }).close());
  });

  it('a blocking pull() fails with WRITER_GONE when the writer closes', async () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    const c = FrameRingClient.open(s.name);
    cleanups.push(() => c.close());
    s.close();
    expectCode(() => c.pull(2000), 'WRITER_GONE', /closed/);
  });

  it('a stale ring of a dead writer is replaced; a live owner is a clear error', async () => {
    const name = ringName();
    const writer = child(WRITER, [name, '32', '32', '0']);
    await nextMessage(writer, (m) => m.ready === true);
    expectCode(() => new FrameRingServer({ name, width: 32, height: 32 }), 'RING_EXISTS', /live process \d+/);
    writer.kill('SIGKILL');
    await exited(writer);
    const s = new FrameRingServer({ name, width: 16, height: 16 });
    cleanups.push(() => s.close());
    expect(listSegments().find((x) => x.name === name)).toMatchObject({
      writerPid: process.pid,
      writerAlive: true,
      width: 16,
    });
  });

  it('the writer reclaims the table entry and held slot of a reader killed while holding a frame', async () => {
    const s = new FrameRingServer({ name: ringName(), width: 32, height: 32, slots: 2 });
    cleanups.push(() => s.close());
    const holder = child(READER, [s.name, 'every', 'hold']);
    await nextMessage(holder, (m) => m.ready === true);
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 1);
    s.write(pixels);
    await nextMessage(holder, (m) => m.held === 1);
    expect(s.stats().readers).toEqual([expect.objectContaining({ pid: holder.pid, held: 1 })]);
    holder.kill('SIGKILL');
    await exited(holder);
    // Both slots must come back into use: the held one only once the dead reader is reclaimed.
    await new Promise((r) => setTimeout(r, 600));
    for (let n = 2; n <= 5; n++) {
      fillFrame(pixels, n);
      expect(s.write(pixels)).not.toBeNull();
    }
    expect(s.stats().readers).toEqual([]);
  });

  for (const how of ['exit', 'throw', 'SIGINT', 'SIGTERM'] as const) {
    it(`a writer process's rings are unlinked when it ends by ${how}`, async () => {
      for (const kind of ['frame', 'data']) {
        const name = ringName();
        const writer = child(WRITER, [name, '32', '32', '0', how.startsWith('SIG') ? 'stay' : how, kind]);
        await nextMessage(writer, (m) => m.ready === true);
        expect(existsSync(shmPath(name))).toBe(true);
        if (how.startsWith('SIG')) writer.kill(how as NodeJS.Signals);
        else writer.send({ go: true });
        const end = await exited(writer);
        if (how.startsWith('SIG')) expect(end.signal).toBe(how); // still dies of the signal, as without framering
        if (how === 'throw') expect(end.code).toBe(1);
        expect(existsSync(shmPath(name))).toBe(false);
      }
    });
  }
});

describe('bad input', () => {
  it('a missing ring is a clear error, or is waited for up to a timeout', async () => {
    const name = ringName();
    expectCode(() => FrameRingClient.open(name), 'RING_NOT_FOUND', /start its server first/);
    await expect(FrameRingClient.waitFor(name, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const later = FrameRingClient.waitFor(name, { timeoutMs: 5000 });
    const s = new FrameRingServer({ name, width: 8, height: 8 });
    cleanups.push(() => s.close());
    const c = await later;
    cleanups.push(() => c.close());
    expect(c.width).toBe(8);
  });

  it('names with "/", empty or too long are refused before anything is created', () => {
    for (const name of ['a/b', '', 'x'.repeat(121), '../etc', 'sp ace']) {
      const before = listSegments().length;
      expectCode(() => new FrameRingServer({ name, width: 8, height: 8 }), 'INVALID_ARGUMENT');
      expect(listSegments().length).toBe(before);
    }
    expectCode(() => FrameRingClient.open('a/b'), 'INVALID_ARGUMENT', /no '\/'/);
  });

  it('zero, negative, fractional or absurd sizes are refused', () => {
    const name = ringName();
    expectCode(() => new FrameRingServer({ name, width: 0, height: 8 }), 'INVALID_ARGUMENT', /width/);
    expectCode(() => new FrameRingServer({ name, width: 8, height: -1 }), 'INVALID_ARGUMENT', /height/);
    expectCode(() => new FrameRingServer({ name, width: 8.5, height: 8 }), 'INVALID_ARGUMENT', /width/);
    expectCode(() => new FrameRingServer({ name, width: 8, height: 8, slots: 1 }), 'INVALID_ARGUMENT', /slots/);
    expectCode(() => new FrameRingServer({ name, width: 8, height: 8, slots: 1_000_000 }), 'INVALID_ARGUMENT', /slots/);
    expectCode(() => new FrameRingServer({ name, width: 99999, height: 8 }), 'INVALID_ARGUMENT', /width/);
    expectCode(() => new DataRingServer({ name, maxMessageBytes: 0 }), 'INVALID_ARGUMENT', /maxMessageBytes/);
    expect(existsSync(shmPath(name))).toBe(false);
  });

  it('a ring larger than /dev/shm has free is refused up front, never a SIGBUS later', () => {
    const fs = statfsSync('/dev/shm');
    const free = fs.bavail * fs.bsize;
    const slots = Math.ceil(free / (16384 * 16384 * 3)) + 1;
    const name = ringName();
    expectCode(
      () => new FrameRingServer({ name, width: 16384, height: 16384, slots: Math.min(slots, 1024) }),
      'NO_SPACE',
      /--shm-size/,
    );
    expect(existsSync(shmPath(name))).toBe(false);
  });

  it('truncated, foreign or mismatched segments are clear errors for readers', () => {
    // Older than the 2 s a ring may take to be created (younger ones count as "being created").
    const old = new Date(Date.now() - 10_000);
    const name = ringName();
    const fd = openSync(shmPath(name), 'w', 0o600);
    writeSync(fd, Buffer.from('not a ring at all'));
    closeSync(fd);
    utimesSync(shmPath(name), old, old);
    cleanups.push(() => unlinkSync(shmPath(name)));
    expectCode(() => FrameRingClient.open(name), 'RING_INVALID', /truncated or not a framering ring/);
    const name2 = ringName();
    const fd2 = openSync(shmPath(name2), 'w', 0o600);
    writeSync(fd2, Buffer.alloc(64 * 1024, 0x5a));
    closeSync(fd2);
    utimesSync(shmPath(name2), old, old);
    cleanups.push(() => unlinkSync(shmPath(name2)));
    expectCode(() => FrameRingClient.open(name2), 'RING_INVALID', /no framering magic/);

    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    cleanups.push(() => s.close());
    expectCode(() => FrameRingClient.open({ ...s.info(), width: 9 }), 'RING_INVALID', /8x8 frames but 9x8/);
    expectCode(() => DataRingClient.open(s.name), 'RING_INVALID', /use FrameRingClient/);
    expect(s.stats().readers).toEqual([]); // the refused readers did not stay in the table
  });

  it('a reader waiting for a ring that is being created waits for it instead of failing', async () => {
    const name = ringName();
    // As a creator without O_TMPFILE leaves it just before sizing and filling it: empty, its writer lock held.
    const creator = await holdLock(shmPath(name), [addon.layoutOffsets.writerLockByte]);
    cleanups.push(() => creator.kill());
    expectCode(() => FrameRingClient.open(name), 'RING_NOT_FOUND', /being created/);
    const waiting = FrameRingClient.waitFor(name, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300)); // the reader keeps trying while the creator works
    // Stands in for the creator finishing: its file leaves the name (still locked) and the complete ring takes it.
    unlinkSync(shmPath(name));
    await creator.kill();
    const s = new FrameRingServer({ name, width: 8, height: 8 });
    cleanups.push(() => s.close());
    const c = await waiting;
    cleanups.push(() => c.close());
    expect(c.width).toBe(8);
  });

  it('a reader attached before another process corrupts the header keeps its own checked geometry', () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8, slots: 4 });
    cleanups.push(() => s.close());
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => c.close());
    // A hostile writer sets slot_count absurdly high.
    const fd = openSync(shmPath(s.name), 'r+');
    const bad = Buffer.alloc(4);
    bad.writeUInt32LE(2_000_000);
    writeSync(fd, bad, 0, 4, addon.layoutOffsets.slotCount);
    closeSync(fd);
    expect(c.pull(10)).toBeNull(); // no crash, no out-of-bounds walk
    expectCode(() => FrameRingClient.open(s.name), 'RING_INVALID', /geometry is corrupt/);
  });

  it('a reader whose table entry was taken over reports it, instead of reading through someone else’s entry', () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    cleanups.push(() => s.close());
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => c.close());
    const { readers, readerToken } = addon.layoutOffsets; // our entry is the first: the ring had no reader before
    const fd = openSync(shmPath(s.name), 'r+');
    const other = Buffer.alloc(8);
    other.writeBigUInt64LE(999_999n); // as if a hostile process rewrote the entry as another registration's
    writeSync(fd, other, 0, 8, readers + readerToken);
    closeSync(fd);
    s.write(new Uint8Array(s.frameBytes));
    expectCode(() => c.pull(100), 'WRITER_GONE', /dropped from the ring's reader table/);
  });

  it('a header whose sizes overflow is refused', () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8, slots: 4 });
    cleanups.push(() => s.close());
    const fd = openSync(shmPath(s.name), 'r+');
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(2n ** 64n - 1n);
    writeSync(fd, huge, 0, 8, addon.layoutOffsets.slotBytes);
    closeSync(fd);
    expectCode(() => FrameRingClient.open(s.name), 'RING_INVALID', /geometry is corrupt/);
  });

  it('a half-created ring is left to its creator while it lives, and replaced at once when it dies', async () => {
    const name = ringName();
    const creator = await holdLock(shmPath(name), [addon.layoutOffsets.writerLockByte]);
    cleanups.push(() => creator.kill());
    expectCode(() => new FrameRingServer({ name, width: 8, height: 8 }), 'RING_EXISTS', /being created/);
    expectCode(() => FrameRingClient.open(name), 'RING_NOT_FOUND', /being created/);
    await creator.kill(); // the kernel drops its lock: no age to wait for
    const s = new FrameRingServer({ name, width: 8, height: 8 });
    cleanups.push(() => s.close());
    expect(listSegments().find((x) => x.name === name)?.valid).toBe(true);
  });

  it('frames of the wrong size and writes after close are errors, never truncated', () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    expectCode(() => s.write(new Uint8Array(10)), 'INVALID_ARGUMENT', /does not match/);
    s.close();
    expectCode(() => s.write(new Uint8Array(192)), 'CLOSED');
  });

  it('segments are 0600 by default and widen to a group on request', () => {
    const a = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    const b = new FrameRingServer({ name: ringName(), width: 8, height: 8, mode: 0o660 });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(statSync(shmPath(a.name)).mode & 0o777).toBe(0o600);
    expect(statSync(shmPath(b.name)).mode & 0o777).toBe(0o660);
    expectCode(
      () => new FrameRingServer({ name: ringName(), width: 8, height: 8, mode: 0o666 }),
      'INVALID_ARGUMENT',
      /other users/,
    );
  });
});

describe('data ring', () => {
  it('carries structured-clone values, typed arrays included, in order to another process and back', async () => {
    const s = new DataRingServer({ name: ringName(), maxMessageBytes: 4096 });
    cleanups.push(() => s.close());
    const c = DataRingClient.open(s.info());
    cleanups.push(() => c.close());
    const got: unknown[] = [];
    c.onMessage((v) => {
      got.push(v);
    });
    const values = [
      { boxes: [{ x: 1, y: 2, w: 3, h: 4 }], camera: 'cam-1' },
      new Float32Array([1.5, -2]),
      'text',
      42n,
      new Map([['a', 1]]),
    ];
    for (const v of values) expect(s.send(v)).not.toBeNull();
    const end = Date.now() + 5000;
    while (got.length < values.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(values);
  });

  it('a message over the maximum is an error and nothing is sent', () => {
    const s = new DataRingServer({ name: ringName(), maxMessageBytes: 256 });
    cleanups.push(() => s.close());
    const c = DataRingClient.open(s.name);
    cleanups.push(() => c.close());
    expectCode(() => s.send(new Uint8Array(300)), 'MESSAGE_TOO_LARGE', /exceeds .* maximum of 256 bytes/);
    expectCode(() => s.send({ f: () => 1 }), 'INVALID_ARGUMENT', /cannot send/);
    expect(c.pull(20)).toBeNull();
    expect(s.stats().written).toBe(0);
  });
});
