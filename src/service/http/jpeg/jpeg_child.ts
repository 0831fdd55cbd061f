/**
 * The JPEG encoder: a child process forked by EncoderHost. It opens each camera's frame ring with policy 'latest'
 * only while the parent wants pictures of it, encodes each wanted frame once per (camera, height, quality) with
 * sharp straight from the ring slot (the slot is held until sharp is done), and sends the JPEG bytes to the parent.
 * So JPEG work never runs in the analysis processes nor on the HTTP event loop, and nothing is encoded while nobody
 * watches. It exits when the parent goes away (IPC disconnect).
 */
import sharp from 'sharp';
import { isErrorCode } from '../../../errors/index.js';
import { FrameRingClient, type Frame } from '../../../shm/index.js';
import type { Box } from '../../service_view.js';
import { outputSize, type FromEncoder, type ToEncoder } from './protocol.js';

sharp.cache(false);
// Two cores here: leave room for the cameras and the analysis.
sharp.concurrency(1);

interface Feed {
  id: string;
  ring: string;
  height: number;
  quality: number;
  intervalMs: number;
  nextDueMs: number;
  busy: boolean;
}

interface Snap {
  req: number;
  height: number;
  quality: number;
  boxes: Box[] | null;
}

interface Reader {
  ring: string;
  client: FrameRingClient | null;
  opening: boolean;
  snaps: Snap[];
  inFlight: Promise<unknown> | null;
  lastUsedMs: number;
  retryAtMs: number;
}

const IDLE_CLOSE_MS = 5_000;
const feeds = new Map<string, Feed>();
const readers = new Map<string, Reader>();
let encoded = 0;
let skipped = 0;
let stopping = false;

function send(msg: FromEncoder): void {
  if (process.connected) process.send!(msg);
}

function feedsOf(ring: string): Feed[] {
  const out: Feed[] = [];
  for (const f of feeds.values()) if (f.ring === ring) out.push(f);
  return out;
}

function readerFor(ring: string): Reader {
  let r = readers.get(ring);
  if (!r) {
    r = { ring, client: null, opening: false, snaps: [], inFlight: null, lastUsedMs: Date.now(), retryAtMs: 0 };
    readers.set(ring, r);
  }
  r.lastUsedMs = Date.now();
  ensureOpen(r);
  return r;
}

function ensureOpen(r: Reader): void {
  if (r.client || r.opening || stopping || Date.now() < r.retryAtMs) return;
  r.opening = true;
  FrameRingClient.waitFor(r.ring, { policy: 'latest', timeoutMs: 3_000 }).then(
    (client) => {
      r.opening = false;
      if (stopping || readers.get(r.ring) !== r) {
        client.close();
        return;
      }
      r.client = client;
      client.on('gone', () => void closeReader(r, false));
      client.on('error', () => {});
      client.onFrame((frame) => onFrame(r, frame));
    },
    (err: { code?: string; message?: string }) => {
      r.opening = false;
      r.retryAtMs = Date.now() + 1_000;
      // Ring errors keep their code (RING_NOT_FOUND…); an uncoded one would be a bug of ours.
      const code = isErrorCode(err?.code) ? err.code : 'INTERNAL';
      const message = String(err?.message ?? err);
      for (const s of r.snaps.splice(0)) send({ t: 'snap-error', req: s.req, code, message });
      send({ t: 'ring-error', ring: r.ring, code, message });
    },
  );
}

async function closeReader(r: Reader, forget: boolean): Promise<void> {
  const client = r.client;
  r.client = null;
  await r.inFlight?.catch(() => {});
  client?.close();
  if (forget) readers.delete(r.ring);
  else if (!stopping && (feedsOf(r.ring).length > 0 || r.snaps.length > 0)) {
    r.retryAtMs = Date.now() + 250;
    setTimeout(() => ensureOpen(r), 300);
  }
}

/** Boxes as an SVG the size of the output picture, scaled from frame pixels. */
function boxesSvg(boxes: Box[], srcW: number, outW: number, outH: number): Buffer {
  const k = outW / srcW;
  const line = Math.max(3, Math.round(outH / 120));
  const parts = boxes.slice(0, 64).map((b) => {
    const x = (b.x * k).toFixed(1),
      y = (b.y * k).toFixed(1),
      w = (b.width * k).toFixed(1),
      h = (b.height * k).toFixed(1);
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#ff3b30" stroke-width="${line}"/>`;
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${outW}" height="${outH}">${parts.join('')}</svg>`,
  );
}

async function encode(
  frame: Frame,
  height: number,
  quality: number,
  boxes: Box[] | null,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { width: srcW, height: srcH } = frame.meta;
  const out = outputSize(srcW, srcH, height);
  let img = sharp(frame.pixels, { raw: { width: srcW, height: srcH, channels: 3 } });
  if (out.width !== srcW || out.height !== srcH)
    img = img.resize(out.width, out.height, { fit: 'fill', kernel: 'linear' });
  if (boxes && boxes.length > 0)
    img = img.composite([{ input: boxesSvg(boxes, srcW, out.width, out.height), top: 0, left: 0 }]);
  // Full-resolution colour at high quality (thin red box lines survive), 4:2:0 below (MJPEG, smaller).
  const data = await img.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' }).toBuffer();
  encoded++;
  return { data, ...out };
}

function onFrame(r: Reader, frame: Frame): Promise<void> | void {
  const now = Date.now();
  const jobs: Promise<void>[] = [];
  for (const f of feedsOf(r.ring)) {
    if (f.busy) {
      skipped++;
      continue;
    }
    // Paced at the feed's rate; a quarter interval early is on time (camera frames do not land on our grid).
    if (now < f.nextDueMs - f.intervalMs / 4) continue;
    f.nextDueMs = Math.max(f.nextDueMs + f.intervalMs, now - f.intervalMs / 2);
    f.busy = true;
    jobs.push(
      encode(frame, f.height, f.quality, null)
        .then((j) => {
          if (feeds.get(f.id) === f)
            send({
              t: 'jpeg',
              id: f.id,
              data: j.data,
              frameNumber: frame.meta.frameNumber,
              timestampUs: frame.meta.timestampUs,
              width: j.width,
              height: j.height,
            });
        })
        .catch(() => {})
        .finally(() => (f.busy = false)),
    );
  }
  // Snapshots asking the same picture share one encode.
  const snaps = r.snaps.splice(0);
  const shared = new Map<string, Promise<{ data: Buffer; width: number; height: number }>>();
  for (const s of snaps) {
    const key = s.boxes ? null : `${s.height}/${s.quality}`;
    let job = key ? shared.get(key) : undefined;
    if (!job) {
      job = encode(frame, s.height, s.quality, s.boxes);
      if (key) shared.set(key, job);
    }
    jobs.push(
      job.then(
        (j) =>
          send({
            t: 'snap',
            req: s.req,
            data: j.data,
            frameNumber: frame.meta.frameNumber,
            width: j.width,
            height: j.height,
          }),
        (err: Error) =>
          send({ t: 'snap-error', req: s.req, code: 'ENCODE_FAILED', message: `JPEG encoding failed: ${err.message}` }),
      ),
    );
  }
  if (jobs.length === 0) return;
  r.lastUsedMs = now;
  const all = Promise.all(jobs).then(() => {});
  r.inFlight = all;
  return all; // the slot stays held until every encode of it is done
}

process.on('message', (msg: ToEncoder) => {
  switch (msg.t) {
    case 'feed': {
      const old = feeds.get(msg.id);
      const intervalMs = 1000 / msg.fps;
      if (old && old.ring === msg.ring) {
        old.intervalMs = intervalMs;
        old.nextDueMs = Math.min(old.nextDueMs, Date.now() + intervalMs);
      } else
        feeds.set(msg.id, {
          id: msg.id,
          ring: msg.ring,
          height: msg.height,
          quality: msg.quality,
          intervalMs,
          nextDueMs: 0,
          busy: false,
        });
      readerFor(msg.ring);
      break;
    }
    case 'unfeed':
      feeds.delete(msg.id);
      break;
    case 'snap':
      readerFor(msg.ring).snaps.push({ req: msg.req, height: msg.height, quality: msg.quality, boxes: msg.boxes });
      break;
    case 'stop':
      void shutdown(0);
      break;
  }
});

// Rings nobody wants any more are closed after a while (a dashboard reloading does not reopen them each time).
const sweep = setInterval(() => {
  // A parent that went away while this module was still loading fired 'disconnect' before anyone listened.
  if (!process.connected) return void shutdown(0);
  const now = Date.now();
  for (const r of readers.values()) {
    if (feedsOf(r.ring).length > 0 || r.snaps.length > 0) {
      r.lastUsedMs = now;
      ensureOpen(r);
    } else if (now - r.lastUsedMs > IDLE_CLOSE_MS && !r.opening) void closeReader(r, true);
  }
  send({ t: 'stats', encoded, skipped, readers: [...readers.values()].filter((r) => r.client).length });
}, 1_000);

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(sweep);
  // Bounded: a reader that never finishes closing must not keep an orphan alive.
  setTimeout(() => process.exit(code), 2_000).unref();
  await Promise.all([...readers.values()].map((r) => closeReader(r, true)));
  process.exit(code);
}

// The parent coordinates shutdown: a terminal's Ctrl-C is its business; its disappearance ends us.
process.on('SIGINT', () => {});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
send({ t: 'ready', pid: process.pid });
