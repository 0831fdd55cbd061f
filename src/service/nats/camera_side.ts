// The camera host's half: for each ClientProcess whose master is remote, read the frames its forwardFrame() writes
// (the ring a local master would read), send them to `<prefix>.frames.<master>` with a reply subject of this
// host's, and write each reply into a data ring the client listens to, exactly as a local master's reply arrives
// (same value, meta.frameNumber of the frame it answers): ClientProcess.handleMessage sees no difference.
//
// Back-pressure, never a queue: at most `inflight` frames per client await a reply; a frame that finds no free
// slot, or no connection, is skipped and counted. A reply later than `timeoutMs` is counted and its slot freed.

import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { DataRingServer, FrameRingClient, type Frame } from '../../shm/index.js';
import type { ClientProcess } from '../../process/index.js';
import { NatsBridgeError } from './bridge_error.js';
import { decodeReply, encodeFrame, frameHeaders, HEADER, type FrameFormat } from './frame_codec.js';
import { RecentSamples } from './latency.js';
import type { NatsLink } from './nats_link.js';

export interface CameraSideOptions {
  prefix: string;
  host: string;
  encoding: FrameFormat;
  jpegQuality: number;
  inflight: number;
  timeoutMs: number;
  /** Prefix of the reply rings' names (unique per host process). */
  ringPrefix: string;
  log: (line: string) => void;
}

/** Per remote master, on the camera host. */
export interface RemoteMasterStats {
  state: string;
  clients: number;
  frames_sent: number;
  replied: number;
  /** Frames not sent: no free in-flight slot, no connection, or missed while the bridge was encoding. */
  skipped: number;
  skipped_inflight: number;
  skipped_disconnected: number;
  timed_out: number;
  /** Replies that came after their timeout (delivered all the same). */
  late: number;
  /** Frames a detector host rejected, or sent while no detector host listened. */
  remote_errors: number;
  no_responders: number;
  last_remote_error: string | null;
  inflight: number;
  inflight_max_seen: number;
  inflight_bytes: number;
  rtt_p50_ms: number | null;
  rtt_p99_ms: number | null;
  bytes_per_frame: number | null;
  encode_ms_p50: number | null;
  encoding: FrameFormat;
}

interface Pending {
  frameNumber: number;
  sentAt: number;
  bytes: number;
  timer: NodeJS.Timeout;
}

interface Forwarded {
  name: string;
  camera: string;
  remote: string;
  client: ClientProcess;
  reader: FrameRingClient;
  replies: DataRingServer;
  pending: Map<number, Pending>;
  seq: number;
  /** Replies written into its reply ring. */
  replied: number;
  closing: boolean;
  busy: Promise<void> | null;
}

class MasterCounters {
  frames_sent = 0;
  replied = 0;
  skipped_inflight = 0;
  skipped_disconnected = 0;
  skipped_behind = 0;
  timed_out = 0;
  late = 0;
  remote_errors = 0;
  no_responders = 0;
  last_remote_error: string | null = null;
  inflight_max_seen = 0;
  bytes = new RecentSamples(256);
  rtt = new RecentSamples(1024);
  encodeMs = new RecentSamples(256);
}

export class CameraSide {
  private readonly clients = new Map<string, Forwarded>();
  private readonly counters = new Map<string, MasterCounters>();
  private sub: Subscription | null = null;
  unknownClientReplies = 0;
  badReplies = 0;
  replyRingFull = 0;
  private rawTooLargeLogged = false;

  constructor(
    private readonly link: NatsLink,
    private readonly o: CameraSideOptions,
  ) {
    link.on('connection', (nc: NatsConnection) => this.subscribe(nc));
    if (link.nc) this.subscribe(link.nc);
  }

  /** Where replies for this host come: `<prefix>.replies.<host>.<client>.<seq>`. */
  get replySubject(): string {
    return `${this.o.prefix}.replies.${this.o.host}`;
  }

  /** Starts forwarding a running client's frames to a remote master; the client listens to the replies. */
  async add(client: ClientProcess, remote: string, camera: string): Promise<void> {
    if (this.clients.has(client.name))
      throw new NatsBridgeError('ALREADY_FORWARDED', `client '${client.name}' is already forwarded to a remote master`);
    const ringInfo = await client.backend.frameRingInfo();
    const replies = new DataRingServer({
      name: `${this.o.ringPrefix}-r-${client.name}`,
      slots: 16,
      maxMessageBytes: 64 * 1024,
    });
    let reader: FrameRingClient | null = null;
    try {
      await client.backend.listenToDataRing(replies.info());
      reader = FrameRingClient.open(ringInfo, { policy: 'latest' });
    } catch (err) {
      await client.backend.stopListeningToDataRing().catch(() => false);
      replies.close();
      throw err;
    }
    const entry: Forwarded = {
      name: client.name,
      camera,
      remote,
      client,
      reader,
      replies,
      pending: new Map(),
      seq: 0,
      replied: 0,
      closing: false,
      busy: null,
    };
    this.clients.set(client.name, entry);
    if (!this.counters.has(remote)) this.counters.set(remote, new MasterCounters());
    reader.on('gone', () => void this.remove(client.name));
    reader.onFrame((frame) => this.onFrame(entry, frame));
  }

  /** Stops forwarding one client: it stops listening first, then its reply ring closes. */
  async remove(name: string): Promise<void> {
    const entry = this.clients.get(name);
    if (!entry) return;
    this.clients.delete(name);
    entry.closing = true;
    await entry.busy?.catch(() => {});
    for (const p of entry.pending.values()) clearTimeout(p.timer);
    entry.pending.clear();
    entry.reader.close();
    if (entry.client.state === 'running') await entry.client.backend.stopListeningToDataRing().catch(() => false);
    entry.replies.close();
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    this.sub = null;
    await Promise.all([...this.clients.keys()].map((name) => this.remove(name)));
  }

  stats(state: string): Record<string, RemoteMasterStats> {
    const out: Record<string, RemoteMasterStats> = {};
    for (const [remote, c] of this.counters) {
      const mine = [...this.clients.values()].filter((e) => e.remote === remote);
      const pending = mine.flatMap((e) => [...e.pending.values()]);
      out[remote] = {
        state,
        clients: mine.length,
        frames_sent: c.frames_sent,
        replied: c.replied,
        skipped: c.skipped_inflight + c.skipped_disconnected + c.skipped_behind,
        skipped_inflight: c.skipped_inflight,
        skipped_disconnected: c.skipped_disconnected,
        timed_out: c.timed_out,
        late: c.late,
        remote_errors: c.remote_errors,
        no_responders: c.no_responders,
        last_remote_error: c.last_remote_error,
        inflight: pending.length,
        inflight_max_seen: c.inflight_max_seen,
        inflight_bytes: pending.reduce((a, p) => a + p.bytes, 0),
        rtt_p50_ms: c.rtt.percentile(50),
        rtt_p99_ms: c.rtt.percentile(99),
        bytes_per_frame: roundOrNull(c.bytes.mean()),
        encode_ms_p50: c.encodeMs.percentile(50),
        encoding: this.o.encoding,
      };
    }
    return out;
  }

  /** Replies delivered per client name (for the cameras' detection_fps). */
  repliedByClient(): Map<string, number> {
    return new Map([...this.clients.values()].map((e) => [e.name, e.replied]));
  }

  get totals(): { sent: number; received: number; queued: number; skipped: number } {
    let sent = 0,
      received = 0,
      skipped = 0,
      queued = 0;
    for (const c of this.counters.values()) {
      sent += c.frames_sent;
      received += c.replied;
      skipped += c.skipped_inflight + c.skipped_disconnected + c.skipped_behind;
    }
    for (const e of this.clients.values()) queued += e.pending.size;
    return { sent, received, queued, skipped };
  }

  private subscribe(nc: NatsConnection): void {
    this.sub = nc.subscribe(`${this.replySubject}.>`, {
      callback: (err, msg) => (err ? undefined : this.onReply(msg)),
    });
  }

  private onFrame(entry: Forwarded, frame: Frame): void | Promise<void> {
    const c = this.counters.get(entry.remote)!;
    c.skipped_behind += frame.droppedBefore;
    if (entry.closing) return;
    if (!this.link.connected) {
      c.skipped_disconnected++;
      return;
    }
    if (entry.pending.size >= this.o.inflight) {
      c.skipped_inflight++;
      return;
    }
    // A copy of our own, and the slot goes back at once: the encoder never reads a ring that may close meanwhile.
    const { width, height, frameNumber, timestampUs } = frame.meta;
    const pixels = Buffer.from(frame.pixels);
    frame.release();
    const seq = ++entry.seq;
    const placeholder: Pending = { frameNumber, sentAt: 0, bytes: 0, timer: undefined as unknown as NodeJS.Timeout };
    entry.pending.set(seq, placeholder);
    c.inflight_max_seen = Math.max(c.inflight_max_seen, entry.pending.size);
    const work = this.send(entry, c, seq, placeholder, pixels, { width, height, frameNumber, timestampUs }).finally(
      () => {
        if (entry.busy === work) entry.busy = null;
      },
    );
    entry.busy = work;
    // The next frame comes after the encoding: a busy CPU makes the ring skip frames (counted), never queue them.
    return work;
  }

  private async send(
    entry: Forwarded,
    c: MasterCounters,
    seq: number,
    p: Pending,
    pixels: Buffer,
    m: { width: number; height: number; frameNumber: number; timestampUs: number },
  ): Promise<void> {
    let format: FrameFormat = this.o.encoding;
    if (format === 'raw' && pixels.byteLength + 1024 > this.link.maxPayload) {
      format = 'jpeg';
      if (!this.rawTooLargeLogged) {
        this.rawTooLargeLogged = true;
        this.o.log(
          `nats: raw ${m.width}x${m.height} frames (${pixels.byteLength} bytes) ` +
            `exceed the server's max_payload (${this.link.maxPayload}); sending JPEG instead`,
        );
      }
    }
    const t0 = performance.now();
    let data: Uint8Array;
    try {
      data = (await encodeFrame(pixels, m.width, m.height, format, this.o.jpegQuality)).data;
    } catch (err) {
      entry.pending.delete(seq);
      c.remote_errors++;
      c.last_remote_error = `encoding failed: ${(err as Error).message}`;
      return;
    }
    c.encodeMs.add(performance.now() - t0);
    const nc = this.link.nc;
    if (entry.closing || !nc || !this.link.connected) {
      entry.pending.delete(seq);
      if (!entry.closing) c.skipped_disconnected++;
      return;
    }
    const origin = { host: this.o.host, client: entry.name, camera: entry.camera, ...m };
    try {
      nc.publish(`${this.o.prefix}.frames.${entry.remote}`, data, {
        reply: `${this.replySubject}.${entry.name}.${seq}`,
        headers: frameHeaders(origin, format),
      });
    } catch (err) {
      entry.pending.delete(seq);
      c.skipped_disconnected++;
      c.last_remote_error = `publish failed: ${(err as Error).message}`;
      return;
    }
    p.sentAt = performance.now();
    p.bytes = data.byteLength;
    p.timer = setTimeout(() => {
      if (entry.pending.get(seq) !== p) return;
      entry.pending.delete(seq);
      c.timed_out++;
    }, this.o.timeoutMs);
    c.frames_sent++;
    c.bytes.add(data.byteLength);
  }

  private onReply(msg: Msg): void {
    // <prefix>.replies.<host>.<client>.<seq>
    const tail = msg.subject.slice(this.replySubject.length + 1).split('.');
    const entry = tail.length === 2 ? this.clients.get(tail[0]!) : undefined;
    if (!entry || entry.closing) {
      this.unknownClientReplies++;
      return;
    }
    const c = this.counters.get(entry.remote)!;
    const seq = Number(tail[1]);
    const p = entry.pending.get(seq);
    const free = () => {
      if (!p) return;
      clearTimeout(p.timer);
      entry.pending.delete(seq);
    };
    const h = msg.headers;
    if (h?.hasError && h.code === 503) {
      // No detector host listens on this master's subject now.
      free();
      c.no_responders++;
      c.remote_errors++;
      c.last_remote_error =
        `no detector host serves '${entry.remote}' ` + `(no responders on ${this.o.prefix}.frames.${entry.remote})`;
      return;
    }
    const remoteError = h?.get(HEADER.error);
    if (remoteError) {
      free();
      c.remote_errors++;
      c.last_remote_error = remoteError.slice(0, 300);
      return;
    }
    let value: unknown;
    try {
      value = decodeReply(msg.data);
    } catch {
      this.badReplies++;
      return;
    }
    if (p) {
      c.rtt.add(performance.now() - p.sentAt);
      free();
    } else {
      c.late++;
    }
    const frameNumber = p?.frameNumber ?? numberOr(h?.get(HEADER.frame), undefined);
    const timestampUs = numberOr(h?.get(HEADER.timestamp), undefined);
    try {
      const sent = entry.replies.send(
        value,
        frameNumber === undefined ? undefined : { frameNumber, ...(timestampUs !== undefined ? { timestampUs } : {}) },
      );
      if (sent === null) this.replyRingFull++;
      else {
        c.replied++;
        entry.replied++;
      }
    } catch {
      this.badReplies++;
    }
  }
}

function numberOr(text: string | undefined, fallback: number | undefined): number | undefined {
  if (!text || !/^\d{1,16}$/.test(text)) return fallback;
  return Number(text);
}

function roundOrNull(v: number | null): number | null {
  return v === null ? null : Math.round(v);
}
