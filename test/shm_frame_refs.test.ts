// Frames passed by reference (PROTOCOL.md SLOT-8): FrameRingClient.takeRef takes a slot only while it holds the
// referenced frame, FrameRefSender bounds the holds it keeps, FrameRefReceiver takes frames where they lie and counts
// what it could not take (overwritten, junk, ring made again, wrong format). Same process here; the process test
// (process_forward_reference.test.ts) runs it across processes.
import { describe, expect, it } from 'vitest';
import {
  DataRingServer,
  type Frame,
  FrameRefReceiver,
  FrameRefSender,
  FrameRingClient,
  FrameRingServer,
} from '../src/shm/index.js';
import { frameRefRings, rawRef, sendRaw, take } from './support/frame_ref_rings.js';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const W = 16;
const H = 8;
const { cleanups } = trackCleanups();
const rings = frameRefRings('t-refs', cleanups);
const { ringName, reader } = rings;
const camera = (slots = 4, pixelFormat: 'rgb24' | 'gray8' = 'rgb24'): FrameRingServer =>
  rings.camera({ slots, width: W, height: H, pixelFormat });

function pattern(seed: number, format: 'rgb24' | 'gray8' = 'rgb24'): Uint8Array {
  const bytes = new Uint8Array(W * H * (format === 'gray8' ? 1 : 3));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 29 + i) & 0xff;
  return bytes;
}

describe('FrameRingClient.takeRef', () => {
  it('takes the referenced frame in place and holds it: the writer laps around it', () => {
    const cam = camera(4);
    const a = reader(cam);
    const b = reader(cam);
    cam.write(pattern(1), { frameNumber: 1 });
    const original = take(a);
    const ref = original.ref();
    expect(ref).toEqual({ ring: cam.name, createdUs: b.createdUs, index: expect.any(Number), seq: 1 });
    const taken = b.takeRef(ref)!;
    original.release(); // only b's hold keeps the slot now
    expect(taken.meta).toMatchObject({ seq: 1, frameNumber: 1 });
    for (let i = 2; i <= 20; i++) cam.write(pattern(i), { frameNumber: i });
    expect(taken.pixels).toEqual(pattern(1)); // never overwritten while held
    expect(b.stats().held).toBe(1);
    expect(b.takeRef(ref)).toBeNull(); // held by b already: not twice
    taken.release();
    for (let i = 21; i <= 25; i++) cam.write(pattern(i), { frameNumber: i });
    expect(b.takeRef(ref)).toBeNull(); // overwritten now: nothing, never the newer frame in that slot
  });

  it('a client that reads with onFrame cannot also take by reference (its own hold would stall its delivery)', () => {
    const cam = camera(4);
    const a = reader(cam);
    const b = reader(cam);
    cam.write(pattern(1));
    const ref = take(a).ref();
    b.onFrame(() => {});
    expect(() => b.takeRef(ref)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses a reference to another ring, or to an earlier ring of the same name', () => {
    const cam = camera(4);
    const a = reader(cam);
    cam.write(pattern(1));
    const ref = take(a).ref();
    expect(() => a.takeRef({ ...ref, ring: 'elsewhere' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => a.takeRef({ ...ref, createdUs: ref.createdUs - 1 })).toThrow(/made at/);
    // Out of range or never written: nothing.
    expect(a.takeRef({ ...ref, index: 99 })).toBeNull();
    expect(a.takeRef({ ...ref, seq: 999 })).toBeNull();
  });
});

describe('FrameRefSender and FrameRefReceiver', () => {
  function pair(opts: { hold?: number; holdMs?: number; slots?: number } = {}) {
    const sender = new FrameRefSender({ name: ringName('refs'), ...opts });
    cleanups.push(() => sender.close());
    const receiver = FrameRefReceiver.open(sender.info());
    cleanups.push(() => receiver.close());
    return { sender, receiver };
  }

  it('the receiver gets the sent frames themselves; the sender keeps only the last `hold` holds', async () => {
    const cam = camera(8);
    const camReader = reader(cam);
    const { sender, receiver } = pair({ hold: 2 });
    const got: Array<{ frameNumber: number; bytes: Uint8Array }> = [];
    receiver.onFrame((f) => {
      got.push({ frameNumber: f.meta.frameNumber, bytes: f.copy() });
    });
    const sent: Frame[] = [];
    for (let i = 1; i <= 5; i++) {
      cam.write(pattern(i), { frameNumber: i });
      const f = take(camReader);
      expect(sender.send(f)).not.toBeNull();
      f.release(); // as a handler's end does: only the sender's holds remain
      sent.push(f);
    }
    await until('5 frames received', () => got.length === 5);
    expect(got.map((g) => g.frameNumber)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, g] of got.entries()) expect(g.bytes).toEqual(pattern(i + 1));
    expect(camReader.stats().held).toBe(2); // the last two, for the receiver
    expect(sender.stats()).toMatchObject({ holding: 2, written: 5 });
    expect(receiver.stats()).toMatchObject({ received: 5, taken: 5, lost: 0, skipped: 0, rings: 1 });
    expect(() => sender.send(sent[0]!)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it("the sender's holds are its own: the user's retain() and release() neither take nor give them back", async () => {
    const cam = camera(8);
    const camReader = reader(cam);
    const { sender } = pair({ hold: 1, holdMs: 60_000 });
    cam.write(pattern(1), { frameNumber: 1 });
    const first = take(camReader);
    sender.send(first);
    first.release(); // the user is done: the sender still holds the slot
    expect(camReader.stats().held).toBe(1);
    cam.write(pattern(2), { frameNumber: 2 });
    const second = take(camReader).retain(); // the user keeps this one for itself
    sender.send(second); // the sender's hold on the first goes (hold 1)
    expect(camReader.stats().held).toBe(1);
    cam.write(pattern(3), { frameNumber: 3 });
    sender.send(take(camReader)); // the sender lets go of the second: the user's retain keeps it
    for (let i = 4; i <= 30; i++) cam.write(pattern(i), { frameNumber: i });
    expect(second.pixels).toEqual(pattern(2));
    second.release();
    expect(() => second.pixels).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('never holds more of a ring than its slots − 3, so the writer always has a slot to write', () => {
    const cam = camera(4);
    const camReader = reader(cam);
    const { sender } = pair({ hold: 10, holdMs: 60_000 });
    for (let i = 1; i <= 12; i++) {
      cam.write(pattern(i), { frameNumber: i });
      const f = take(camReader);
      sender.send(f);
      f.release();
    }
    expect(sender.stats().holding).toBe(1);
    expect(cam.stats().writerDrops).toBe(0);
    // A ring of 3 slots gets no pin at all.
    const small = camera(3);
    const smallReader = reader(small);
    small.write(pattern(1));
    const f = take(smallReader);
    sender.send(f);
    f.release();
    expect(smallReader.stats().held).toBe(0);
  });

  it('holds are let go after holdMs, and a reference read after the slot was lapped is counted lost', async () => {
    const cam = camera(4);
    const camReader = reader(cam);
    const { sender, receiver } = pair({ hold: 4, holdMs: 50 });
    cam.write(pattern(1), { frameNumber: 1 });
    const f = take(camReader);
    sender.send(f); // the receiver does not read yet
    f.release();
    await until('hold let go', () => camReader.stats().held === 0, 3000);
    expect(sender.stats().holding).toBe(0);
    for (let i = 2; i <= 10; i++) cam.write(pattern(i), { frameNumber: i }); // laps the ring
    const got: number[] = [];
    receiver.onFrame((frame) => {
      got.push(frame.meta.frameNumber);
    });
    await until('the reference read', () => receiver.stats().received === 1);
    expect(got).toEqual([]);
    expect(receiver.stats()).toMatchObject({ received: 1, taken: 0, lost: 1 });
  });

  it('junk, unknown rings, rings made again and the wrong format are counted lost, never delivered', async () => {
    const refs = new DataRingServer({ name: ringName('junk'), maxMessageBytes: 512 });
    cleanups.push(() => refs.close());
    const receiver = FrameRefReceiver.open(refs.info(), { pixelFormat: 'rgb24' });
    cleanups.push(() => receiver.close());
    const errors: unknown[] = [];
    receiver.on('error', (e) => errors.push(e));
    const got: number[] = [];
    receiver.onFrame((frame) => {
      got.push(frame.meta.frameNumber);
    });
    const grey = camera(4, 'gray8');
    const greyReader = reader(grey);
    grey.write(pattern(1, 'gray8'), { frameNumber: 1 });
    const greyRef = take(greyReader).ref();
    const cam = camera(4);
    const camReader = reader(cam);
    cam.write(pattern(7), { frameNumber: 7 });
    const good = take(camReader).ref();
    // Values serialized by v8 are not references; the rest are references on the wire (rawRef).
    refs.send('junk');
    refs.send([cam.name, good.createdUs, good.index, good.seq]); // the old wire form: junk now
    const sends = [
      rawRef({ ring: 'no-such-ring', createdUs: 1, index: 0, seq: 1 }),
      rawRef({ ...good, createdUs: good.createdUs + 1 }), // a later ring of that name: not this one
      rawRef(greyRef),
      rawRef(good),
    ];
    for (const bytes of sends) expect(sendRaw(refs, bytes)).toBe(true);
    await until('all read', () => receiver.stats().received === sends.length + 2);
    expect(got).toEqual([7]);
    expect(receiver.stats()).toMatchObject({ received: 6, taken: 1, lost: 5 });
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('gray8');
  });

  it('a ring made again under the same name is opened again; references to the old one are lost', async () => {
    const name = ringName('remade');
    let cam = new FrameRingServer({ name, width: W, height: H, slots: 4 });
    cleanups.push(() => cam.close());
    const { sender, receiver } = pair({ holdMs: 60_000 });
    const got: number[] = [];
    receiver.onFrame((f) => {
      got.push(f.meta.frameNumber);
    });
    let camReader = FrameRingClient.open(name, { policy: 'every' });
    cam.write(pattern(1), { frameNumber: 1 });
    sender.send(take(camReader));
    await until('first taken', () => got.length === 1);
    camReader.close();
    cam.close();
    cam = new FrameRingServer({ name, width: W, height: H, slots: 4 });
    camReader = FrameRingClient.open(name, { policy: 'every' });
    cleanups.push(() => camReader.close());
    cam.write(pattern(2), { frameNumber: 2 });
    sender.send(take(camReader));
    await until('second taken', () => got.length === 2);
    expect(got).toEqual([1, 2]);
    expect(receiver.stats()).toMatchObject({ taken: 2, lost: 0, rings: 1 });
  });

  it("the receiver reports 'gone' when the sender closes, and lets go of every ring", async () => {
    const cam = camera(4);
    const camReader = reader(cam);
    const { sender, receiver } = pair();
    receiver.onFrame(() => {});
    cam.write(pattern(1));
    const f = take(camReader);
    sender.send(f);
    f.release();
    await until('taken', () => receiver.stats().taken === 1);
    const gone = new Promise((r) => receiver.once('gone', r));
    sender.close();
    await gone;
    expect(receiver.isClosed).toBe(true);
    expect(receiver.stats().rings).toBe(0);
    // The receiver's reader of the camera ring is gone, and the sender's hold went with its close.
    expect(cam.stats().readers.map((r) => r.held)).toEqual([0]);
  });
});
