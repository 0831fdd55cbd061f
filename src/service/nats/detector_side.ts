// The detector host's half: a queue-group subscriber on `<prefix>.frames.<name>` that checks each frame message,
// decodes it (JPEG, or raw RGB24), and writes it into an input ring of the local MasterProcess, one ring per remote
// client, attached exactly as registerClientProcess attaches a local client's forward ring. The master's reply()
// lands on that client's reply ring; the bridge reads it and sends it back to the reply subject of the frame it
// answers (the reply's meta.frameNumber). A bad message is rejected with a counted error, never a crash.

import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DataRingClient, FrameRingServer, type SlotMeta } from '../../shm/index.js';
import type { MasterProcess } from '../../process/index.js';
import { NatsBridgeError, type NatsBridgeErrorCode } from './bridge_error.js';
import { decodeFrame, encodeReply, HEADER, readFrameHeaders } from './frame_codec.js';
import { RecentSamples } from './latency.js';
import type { NatsLink } from './nats_link.js';

export interface DetectorSideOptions {
  prefix: string;
  /** How many remote clients one master takes at once. */
  maxClients: number;
  ringPrefix: string;
  log: (line: string) => void;
  /** A remote client was attached (its key is what handleFrame gets as the client's name). */
  onClient?: (master: string, key: string, camera: string) => void;
}

/** Per served master, on the detector host. */
export interface ServedMasterStats {
  master: string;
  subject: string;
  queue_group: string;
  clients: number;
  frames_received: number;
  frames_written: number;
  replies_sent: number;
  rejected: number;
  rejected_by_code: Partial<Record<NatsBridgeErrorCode, number>>;
  last_rejection: string | null;
  /** Master replies with no frame message to answer (none pending for that client). */
  orphan_replies: number;
  decode_ms_p50: number | null;
}

/** A frame that awaits its master's reply; the reply goes to `reply`. */
interface Waiting {
  reply: string;
  timestampUs: number;
}

interface RemoteClient {
  key: string;
  width: number;
  height: number;
  ring: FrameRingServer;
  replies: DataRingClient;
  /** frameNumber → where its reply goes; bounded (oldest forgotten). */
  waiting: Map<number, Waiting>;
  lastFrameMs: number;
}

const WAITING_MAX = 32;
const IDLE_DETACH_MS = 60_000;
/** JPEG decodes at once per master beyond which a frame is rejected (DETECTOR_BUSY) instead of queued. */
const MAX_DECODING = 8;

class Served {
  readonly clients = new Map<string, RemoteClient>();
  readonly attaching = new Map<string, Promise<RemoteClient>>();
  sub: Subscription | null = null;
  decoding = 0;
  received = 0;
  written = 0;
  repliesSent = 0;
  orphanReplies = 0;
  rejectedBy: Partial<Record<NatsBridgeErrorCode, number>> = {};
  lastRejection: string | null = null;
  decodeMs = new RecentSamples(256);
  constructor(
    readonly name: string,
    readonly master: MasterProcess,
  ) {}
}

export class DetectorSide {
  private readonly served = new Map<string, Served>();
  private ringCounter = 0;
  private readonly sweeper: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly link: NatsLink,
    private readonly o: DetectorSideOptions,
  ) {
    link.on('connection', (nc: NatsConnection) => {
      for (const s of this.served.values()) this.subscribe(nc, s);
    });
    this.sweeper = setInterval(() => void this.sweepIdle(), 5000);
    this.sweeper.unref();
  }

  /** Serves a running master to remote clients under `name` (subject `<prefix>.frames.<name>`). */
  serve(master: MasterProcess, name: string): void {
    if (this.served.has(name)) throw new NatsBridgeError('INVALID_ARGUMENT', `a master is already served as '${name}'`);
    const s = new Served(name, master);
    this.served.set(name, s);
    if (this.link.nc) this.subscribe(this.link.nc, s);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    for (const s of this.served.values()) {
      s.sub?.unsubscribe();
      s.sub = null;
      await Promise.allSettled([...s.attaching.values()]);
      await Promise.all([...s.clients.keys()].map((key) => this.detach(s, key)));
    }
  }

  stats(): Record<string, ServedMasterStats> {
    const out: Record<string, ServedMasterStats> = {};
    for (const s of this.served.values()) {
      out[s.name] = {
        master: s.master.name,
        subject: this.subject(s.name),
        queue_group: this.queue(s.name),
        clients: s.clients.size,
        frames_received: s.received,
        frames_written: s.written,
        replies_sent: s.repliesSent,
        rejected: Object.values(s.rejectedBy).reduce((a, b) => a + (b ?? 0), 0),
        rejected_by_code: { ...s.rejectedBy },
        last_rejection: s.lastRejection,
        orphan_replies: s.orphanReplies,
        decode_ms_p50: s.decodeMs.percentile(50),
      };
    }
    return out;
  }

  get totals(): { received: number; sent: number } {
    let received = 0,
      sent = 0;
    for (const s of this.served.values()) {
      received += s.received;
      sent += s.repliesSent;
    }
    return { received, sent };
  }

  private subject(name: string): string {
    return `${this.o.prefix}.frames.${name}`;
  }

  private queue(name: string): string {
    return `${this.o.prefix}.masters.${name}`;
  }

  private subscribe(nc: NatsConnection, s: Served): void {
    s.sub = nc.subscribe(this.subject(s.name), {
      queue: this.queue(s.name),
      callback: (err, msg) => {
        if (!err) void this.onFrame(s, msg);
      },
    });
  }

  private async onFrame(s: Served, msg: Msg): Promise<void> {
    s.received++;
    let decoding = false;
    try {
      if (this.stopping) return;
      const h = readFrameHeaders(msg.headers);
      if (s.master.state !== 'running')
        throw new NatsBridgeError('MASTER_DOWN', `master '${s.master.name}' is ${s.master.state}`);
      if (s.decoding >= MAX_DECODING)
        throw new NatsBridgeError(
          'DETECTOR_BUSY',
          `master '${s.master.name}' has ${MAX_DECODING} frames decoding already; frame skipped`,
        );
      s.decoding++;
      decoding = true;
      const t0 = performance.now();
      const pixels = await decodeFrame(msg.data, h.format, h.width, h.height);
      s.decodeMs.add(performance.now() - t0);
      const key = `${h.client}@${h.host}`;
      const rc = await this.clientFor(s, key, h.camera ? `${h.camera}@${h.host}` : key, h.width, h.height);
      if (this.stopping || s.clients.get(key) !== rc) return;
      rc.lastFrameMs = Date.now();
      if (msg.reply) {
        rc.waiting.delete(h.frameNumber);
        rc.waiting.set(h.frameNumber, { reply: msg.reply, timestampUs: h.timestampUs });
        while (rc.waiting.size > WAITING_MAX) rc.waiting.delete(rc.waiting.keys().next().value!);
      }
      const seq = rc.ring.write(pixels, { frameNumber: h.frameNumber, timestampUs: h.timestampUs });
      if (seq === null)
        throw new NatsBridgeError(
          'DETECTOR_BUSY',
          `master '${s.master.name}' holds every slot of ${key}'s input ring; frame skipped`,
        );
      s.written++;
    } catch (err) {
      this.reject(s, msg, err);
    } finally {
      if (decoding) s.decoding--;
    }
  }

  private reject(s: Served, msg: Msg, err: unknown): void {
    const code: NatsBridgeErrorCode =
      err instanceof NatsBridgeError
        ? err.code
        : (err as { code?: string }).code === 'TOO_MANY_CLIENTS'
          ? 'TOO_MANY_CLIENTS'
          : 'INVALID_ARGUMENT';
    const message = `${(err as Error)?.message ?? String(err)} [${code}]`;
    const first = s.rejectedBy[code] === undefined;
    s.rejectedBy[code] = (s.rejectedBy[code] ?? 0) + 1;
    s.lastRejection = message;
    if (first) this.o.log(`nats: ${s.name}: ${message} (counted; further ones only in stats)`);
    // Tell the camera host at once, rather than let it wait out its timeout.
    if (msg.reply && this.link.connected) {
      const h = natsHeaders();
      h.set(HEADER.error, message.slice(0, 300));
      try {
        this.link.nc?.publish(msg.reply, new Uint8Array(0), { headers: h });
      } catch {
        // the connection went meanwhile: the camera host times out instead
      }
    }
  }

  /** The remote client's input ring, attached to the master (once; again when its frame size changes). */
  private async clientFor(
    s: Served,
    key: string,
    camera: string,
    width: number,
    height: number,
  ): Promise<RemoteClient> {
    for (;;) {
      const pending = s.attaching.get(key);
      if (pending) {
        await pending;
        continue;
      }
      const rc = s.clients.get(key);
      if (rc && rc.width === width && rc.height === height) return rc;
      const work = (async () => {
        if (rc) await this.detach(s, key);
        return this.attach(s, key, camera, width, height);
      })();
      s.attaching.set(key, work);
      try {
        return await work;
      } finally {
        s.attaching.delete(key);
      }
    }
  }

  private async attach(s: Served, key: string, camera: string, width: number, height: number): Promise<RemoteClient> {
    if (s.clients.size >= this.o.maxClients) {
      throw new NatsBridgeError(
        'TOO_MANY_CLIENTS',
        `master '${s.master.name}' serves ${s.clients.size} remote clients ` +
          `(nats.max_clients ${this.o.maxClients}); ${key} refused`,
      );
    }
    const ring = new FrameRingServer({ name: `${this.o.ringPrefix}-in${++this.ringCounter}`, width, height, slots: 4 });
    let replies: DataRingClient;
    try {
      const replyPars = await s.master.backend.attachClient(key, ring.info());
      replies = DataRingClient.open(replyPars, { policy: 'every' });
    } catch (err) {
      await s.master.backend.detachClient(key).catch(() => false);
      ring.close();
      throw err;
    }
    const rc: RemoteClient = { key, width, height, ring, replies, waiting: new Map(), lastFrameMs: Date.now() };
    s.clients.set(key, rc);
    replies.onMessage((value, meta) => this.onMasterReply(s, rc, value, meta));
    replies.on('gone', () => {
      // The master freed this client (it stopped, or dropped the ring): forget it; the next frame attaches again.
      if (s.clients.get(key) !== rc) return;
      s.clients.delete(key);
      replies.close();
      rc.ring.close();
    });
    this.o.onClient?.(s.name, key, camera);
    return rc;
  }

  private async detach(s: Served, key: string): Promise<void> {
    const rc = s.clients.get(key);
    if (!rc) return;
    s.clients.delete(key);
    // Readers before writers: the master lets go of the input ring (and closes the reply ring) before it closes.
    rc.replies.close();
    if (s.master.state === 'running') await s.master.backend.detachClient(key).catch(() => false);
    rc.ring.close();
  }

  private onMasterReply(s: Served, rc: RemoteClient, value: unknown, meta: SlotMeta): void {
    // The reply's meta names the frame it answers; a reply without one answers the latest frame.
    let w = rc.waiting.get(meta.frameNumber);
    if (!w) w = [...rc.waiting.values()].pop();
    const nc = this.link.nc;
    if (!w || !nc || !this.link.connected) {
      s.orphanReplies++;
      return;
    }
    const h = natsHeaders();
    h.set(HEADER.frame, String(Math.max(0, meta.frameNumber)));
    h.set(HEADER.timestamp, String(w.timestampUs));
    const data = encodeReply(value);
    if (data.byteLength > this.link.maxPayload) {
      s.rejectedBy.NATS_PAYLOAD_TOO_LARGE = (s.rejectedBy.NATS_PAYLOAD_TOO_LARGE ?? 0) + 1;
      s.lastRejection =
        `a reply of ${data.byteLength} bytes ` +
        `exceeds the server's max_payload (${this.link.maxPayload}) [NATS_PAYLOAD_TOO_LARGE]`;
      return;
    }
    try {
      nc.publish(w.reply, data, { headers: h });
      s.repliesSent++;
    } catch {
      s.orphanReplies++;
    }
  }

  private async sweepIdle(): Promise<void> {
    const now = Date.now();
    for (const s of this.served.values()) {
      for (const rc of [...s.clients.values()])
        if (now - rc.lastFrameMs > IDLE_DETACH_MS) await this.detach(s, rc.key).catch(() => {});
    }
  }
}
