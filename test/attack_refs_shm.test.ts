// Attack on frames passed by reference (PROTOCOL.md SLOT-8), at the ring level, with real processes and segments:
// takeRef racing a writer that writes as fast as it can into 3 slots, junk and hostile references (values, names of
// data rings, invalid and unknown names, raw bytes written into the reference ring's file), and the user's
// retain/release/forward mistakes. Nothing here may deliver a frame other than the one referenced, crash, or leak
// slots, descriptors or memory.
import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DataRingServer,
  type Frame,
  FrameRefReceiver,
  FrameRefSender,
  FrameRingClient,
  type FrameRingServer,
} from '../src/shm/index.js';
import { refsPatternInto, refsPatternMismatch } from './fixtures/attack/refs_pattern.js';
import { forkScript, nextMessage } from './support/child_script.js';
import { frameRefRings, rawRef, sendRaw, take } from './support/frame_ref_rings.js';
import { scratchRingNames, trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const { cleanups, children } = trackCleanups();
const scratch = scratchRingNames('t-arefs', cleanups);
const rings = frameRefRings('t-arefs', cleanups);
const { ringName, reader } = rings;
const camera = (slots = 4, width = 8, height = 8): FrameRingServer => rings.camera({ slots, width, height });

/** until(), looking every 2 ms: for waits of one message each. */
const soon = (what: string, probe: () => boolean, timeoutMs = 5000) => until(what, probe, timeoutMs, 2);

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function frameOf(n: number, bytes = 8 * 8 * 3): Uint8Array {
  const b = new Uint8Array(bytes);
  refsPatternInto(b, n);
  return b;
}

describe('attack: takeRef racing a writer', () => {
  it('100k references taken while a child writes flat out into 3 slots: never a torn or wrong frame', async () => {
    const name = scratch();
    const writer = forkScript(new URL('./fixtures/attack/refs_writer.ts', import.meta.url), [name, '3']);
    children.push(writer);
    await nextMessage(writer, (m) => m.ready === true);
    const a = reader(name, 'latest'); // finds the frames (and their refs), lets go at once
    const b = reader(name, 'latest'); // takes them by reference, racing the writer for the slot
    const seen = new Map<number, number>(); // seq -> frameNumber, as `a` saw it
    const history: Array<{ index: number; seq: number; ring: string; createdUs: number }> = [];
    let attempts = 0;
    let taken = 0;
    const bad: string[] = [];
    const t0 = Date.now();
    while (attempts < 100_000 && Date.now() - t0 < 12_000) {
      const f = a.pull(1000);
      if (!f) throw new Error('the writer stopped');
      seen.set(f.meta.seq, f.meta.frameNumber);
      if (seen.size > 5000) seen.delete(seen.keys().next().value!);
      const ref = f.ref();
      f.release(); // from here the writer may overwrite that slot at any instant
      history.push(ref);
      if (history.length > 4) history.shift();
      for (const r of history) {
        attempts++;
        const g = b.takeRef(r);
        if (!g) continue;
        taken++;
        if (g.meta.seq !== r.seq) bad.push(`seq ${g.meta.seq} for a reference to ${r.seq}`);
        const expectFn = seen.get(r.seq);
        if (expectFn !== undefined && g.meta.frameNumber !== expectFn)
          bad.push(`frame ${g.meta.frameNumber} for seq ${r.seq} (was frame ${expectFn})`);
        const at = refsPatternMismatch(g.pixels, g.meta.frameNumber);
        if (at >= 0) bad.push(`frame ${g.meta.frameNumber} torn at byte ${at}`);
        g.release();
        if (bad.length > 10) break;
      }
    }
    expect(bad).toEqual([]);
    expect(attempts).toBeGreaterThan(10_000);
    expect(taken).toBeGreaterThan(0);
    expect(b.stats().held).toBe(0);
    expect(a.stats().held).toBe(0);
  }, 20_000);
});

describe('attack: hostile references through a data ring', () => {
  it('junk values, invalid and unknown names, data rings: all lost, no crash, no descriptors kept', async () => {
    const refs = new DataRingServer({ name: ringName('junk'), maxMessageBytes: 4096, slots: 64 });
    cleanups.push(() => refs.close());
    const receiver = FrameRefReceiver.open(refs.info(), { pixelFormat: 'rgb24' });
    cleanups.push(() => receiver.close());
    const errors: unknown[] = [];
    receiver.on('error', (e) => errors.push(e));
    const got: Frame[] = [];
    receiver.onFrame((frame) => {
      got.push(frame);
    });
    const cam = camera(4);
    const camReader = reader(cam);
    cam.write(frameOf(5), { frameNumber: 5 });
    const good = take(camReader).retain(); // held by camReader throughout: the slot is there
    const r = good.ref();
    const dataRings = Array.from({ length: 10 }, () => {
      const d = new DataRingServer({ name: ringName('data'), maxMessageBytes: 64 });
      cleanups.push(() => d.close());
      return d.name;
    });
    const fdsBefore = fdCount();
    // Values serialized by v8 (the old wire form among them) are not references at all.
    const values: unknown[] = [null, undefined, {}, 'junk', [r.ring, r.createdUs, r.index, r.seq]];
    // References on the wire (rawRef) with every field hostile in turn.
    const sends: Uint8Array[] = [
      rawRef({ ...r, tag: 0xff }),
      // Shorter than the 24-byte head, with a good tag and version: nothing past the bytes is read.
      ...[2, 4, 8, 16, 23, 24].map((n) => rawRef(r).subarray(0, n)),
      rawRef({ ...r, tag: 0 }),
      rawRef({ ...r, version: 2 }),
      rawRef({ ...r, nameLength: r.ring.length + 1 }),
      rawRef({ ...r, nameLength: r.ring.length - 1 }),
      rawRef({ ...r, nameLength: 0 }),
      rawRef({ ...r, ring: '' }),
      rawRef({ ...r, index: -1 }), // 0xFFFFFFFF on the wire
      rawRef({ ...r, index: r.index + 4 }), // past the ring's slots
      rawRef({ ...r, seq: 0 }),
      rawRef({ ...r, seq: -r.seq }),
      rawRef({ ...r, seq: r.seq + 2 ** 40 }),
      rawRef({ ...r, seq: Number.MAX_SAFE_INTEGER }),
      rawRef({ ...r, seq: 2 ** 64 }),
      rawRef({ ...r, seq: Infinity }),
      rawRef({ ...r, seq: Number.NaN }),
      rawRef({ ...r, seq: r.seq + 0.25 }),
      rawRef({ ...r, createdUs: -r.createdUs }),
      rawRef({ ...r, createdUs: r.createdUs + 1 }),
      rawRef({ ...r, createdUs: r.createdUs + 0.5 }),
      rawRef({ ...r, createdUs: Number.NaN }),
      rawRef({ ...r, createdUs: 0 }),
      rawRef({ ...r, ring: `${r.ring}\0` }),
      rawRef({ ...r, ring: Uint8Array.from([...Buffer.from(r.ring)].map((b, i) => (i === 0 ? b | 0x80 : b))) }),
      rawRef({ ...r, ring: `../${r.ring}` }),
      rawRef({ ...r, ring: `/framering-${r.ring}` }),
      rawRef({ ...r, ring: 'x'.repeat(255) }),
      rawRef({ ...r, ring: 'x'.repeat(3000) }),
      rawRef({ ...r, ring: `${r.ring}-longer` }),
      rawRef({ ...r, ring: r.ring.slice(0, -1) }),
      rawRef({ ring: refs.name, createdUs: r.createdUs, index: 0, seq: 1 }), // the reference ring itself (a data ring)
      ...dataRings.map((d) => rawRef({ ring: d, createdUs: r.createdUs, index: 0, seq: 1 })),
      ...Array.from({ length: 300 }, (_, i) =>
        rawRef({ ring: `t-arefs-${process.pid}-none-${i}`, createdUs: r.createdUs, index: 0, seq: 1 }),
      ),
    ];
    let sent = 0;
    // One at a time, each read before the next, so that none is skipped by the reference ring.
    for (const v of values) {
      await soon('a free slot in the reference ring', () => refs.send(v) !== null);
      sent++;
      await soon(`value ${sent} read`, () => receiver.stats().received === sent);
    }
    for (const bytes of sends) {
      await soon('a free slot in the reference ring', () => sendRaw(refs, bytes));
      sent++;
      await soon(`reference ${sent} read`, () => receiver.stats().received === sent);
    }
    // The same frame, named rightly, still comes through after all that.
    expect(sendRaw(refs, rawRef(r))).toBe(true);
    await until('the good one', () => got.length === 1, 5000);
    expect(got[0]!.meta.frameNumber).toBe(5);
    expect(receiver.stats()).toMatchObject({ received: sent + 1, taken: 1, lost: sent });
    expect(receiver.stats().rings).toBe(1); // only the camera
    expect(fdCount()).toBeLessThanOrEqual(fdsBefore + 2);
    expect(receiver.isClosed).toBe(false);
    good.release();
  }, 20_000);

  it("many distinct bad names do not flood 'error' (one report a minute per receiver)", async () => {
    const refs = new DataRingServer({ name: ringName('flood'), maxMessageBytes: 1024, slots: 64 });
    cleanups.push(() => refs.close());
    const receiver = FrameRefReceiver.open(refs.info(), { pixelFormat: 'rgb24' });
    cleanups.push(() => receiver.close());
    let errors = 0;
    receiver.on('error', () => errors++);
    receiver.onFrame(() => {});
    const dataRings = Array.from({ length: 50 }, () => {
      const d = new DataRingServer({ name: ringName('dflood'), maxMessageBytes: 64, slots: 2 });
      cleanups.push(() => d.close());
      return d.name;
    });
    // 500 names that cannot be a ring (a '/' in them) and 50 data rings: each a distinct 'ring' to the receiver.
    const sends = [
      ...Array.from({ length: 500 }, (_, i) => rawRef({ ring: `bad/${i}`, createdUs: 1, index: 0, seq: 1 })),
      ...dataRings.map((d) => rawRef({ ring: d, createdUs: 1, index: 0, seq: 1 })),
    ];
    let sent = 0;
    for (const bytes of sends) {
      await soon('a free slot', () => sendRaw(refs, bytes));
      sent++;
      await soon(`reference ${sent} read`, () => receiver.stats().received === sent);
    }
    expect(receiver.stats()).toMatchObject({ taken: 0, lost: sends.length, rings: 0 });
    // Every distinct junk name is one report (and one entry kept forever in the receiver's per-ring error clock).
    expect(errors).toBeLessThanOrEqual(10);
  }, 20_000);

  it('raw bytes written over the reference ring file while references flow: no crash, no wrong frame', async () => {
    const cam = camera(8);
    const camReader = reader(cam);
    const sender = new FrameRefSender({ name: ringName('raw'), hold: 6, holdMs: 60_000 });
    cleanups.push(() => sender.close());
    const receiver = FrameRefReceiver.open(sender.info());
    cleanups.push(() => receiver.close());
    const bad: string[] = [];
    let delivered = 0;
    receiver.on('error', () => {});
    receiver.on('gone', () => {});
    receiver.onFrame((f) => {
      delivered++;
      if (f.meta.seq < 1 || refsPatternMismatch(f.pixels, f.meta.frameNumber) >= 0)
        bad.push(`frame ${f.meta.frameNumber} (seq ${f.meta.seq}) is not its pattern`);
    });
    const path = `/dev/shm/framering-${sender.name}`;
    const size = statSync(path).size;
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const fd = openSync(path, 'r+');
    try {
      for (let i = 1; i <= 300; i++) {
        cam.write(frameOf(i), { frameNumber: i });
        const f = take(camReader);
        sender.send(f);
        f.release();
        if (i % 3 === 0) {
          // A burst of junk somewhere past the first 4 KiB (the header's page): slots, metas, payloads.
          const at = 4096 + (rnd() % Math.max(1, size - 4096 - 64));
          const junk = Buffer.alloc(1 + (rnd() % 48));
          for (let k = 0; k < junk.length; k++) junk[k] = rnd() & 0xff;
          writeSync(fd, junk, 0, junk.length, at);
        }
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      closeSync(fd);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(bad).toEqual([]);
    expect(delivered).toBeGreaterThan(0);
  }, 20_000);
});

describe("attack: the user's retain/release/forward mistakes", () => {
  it('forwarding twice, releasing twice, retaining past the handler: every hold comes back', async () => {
    const cam = camera(8);
    const camReader = reader(cam);
    const sender = new FrameRefSender({ name: ringName('user'), hold: 2, holdMs: 200 });
    cleanups.push(() => sender.close());
    const receiver = FrameRefReceiver.open(sender.info());
    cleanups.push(() => receiver.close());
    const got: number[] = [];
    const kept: Frame[] = [];
    receiver.onFrame((f) => {
      got.push(f.meta.frameNumber);
      if (refsPatternMismatch(f.pixels, f.meta.frameNumber) >= 0) got.push(-1);
      if (f.meta.frameNumber === 2 || f.meta.frameNumber === 4) kept.push(f.retain());
    });
    const userKept: Frame[] = [];
    for (let i = 1; i <= 12; i++) {
      cam.write(frameOf(i), { frameNumber: i });
      const f = take(camReader);
      expect(sender.send(f)).not.toBeNull();
      expect(sender.send(f)).not.toBeNull(); // the same frame twice
      await soon(`references of frame ${i} read`, () => receiver.stats().received === 2 * i);
      if (i === 3 || i === 6) {
        userKept.push(f.retain()); // kept by the user past the sender's holds
        continue;
      }
      f.release();
      f.release(); // twice: idempotent, and not the sender's hold
    }
    await until('all references read', () => receiver.stats().received === 24, 5000);
    // Each frame at most twice (the second take of a frame the receiver retained yields nothing, SLOT-7).
    expect(got.filter((x) => x === -1)).toEqual([]);
    expect(sender.stats().holding).toBeLessThanOrEqual(2);
    // The user still reads what it retained although the sender let go of it.
    await until('the sender let go', () => sender.stats().holding === 0, 3000);
    for (let i = 13; i <= 40; i++) cam.write(frameOf(i), { frameNumber: i });
    for (const f of userKept) expect(refsPatternMismatch(f.pixels, f.meta.frameNumber)).toBe(-1);
    for (const f of kept) expect(refsPatternMismatch(f.pixels, f.meta.frameNumber)).toBe(-1);
    for (const f of [...userKept, ...kept]) {
      f.release();
      f.release();
    }
    expect(camReader.stats().held).toBe(0);
    expect(cam.stats().readers.every((r) => r.held === 0)).toBe(true);
    // A forward after the reader closed is a clear error, not a hold on a slot nobody owns.
    cam.write(frameOf(41), { frameNumber: 41 });
    const late = take(camReader).retain();
    camReader.close();
    expect(() => sender.send(late)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(sender.stats().holding).toBe(0);
  }, 20_000);

  it('the reader closes while the sender pins its frames: the pins are gone, the writer gets every slot back', () => {
    const cam = camera(8); // 8 slots: room for 2 pins (slots − 3)
    const camReader = FrameRingClient.open(cam.info(), { policy: 'every' });
    const sender = new FrameRefSender({ name: ringName('pinclose'), hold: 2, holdMs: 60_000 });
    cleanups.push(() => sender.close());
    for (let i = 1; i <= 3; i++) {
      cam.write(frameOf(i), { frameNumber: i });
      const f = take(camReader);
      sender.send(f);
      f.release();
    }
    expect(sender.stats().holding).toBe(2);
    camReader.close();
    for (let i = 4; i <= 20; i++) expect(cam.write(frameOf(i), { frameNumber: i })).not.toBeNull();
    expect(cam.stats().writerDrops).toBe(0);
    sender.close();
  });
});
