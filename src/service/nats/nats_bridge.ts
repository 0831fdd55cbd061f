// NatsBridge: remote masters over NATS, for `framering serve` (configured under nats:) and for programs that run
// their own processes. One connection per host; a camera host forwards its clients' frames to masters on detector
// hosts (forwardClient), a detector host serves its masters to the camera hosts (serveMaster); one host may do both.
//
//   camera host                                         NATS                        detector hosts (queue group)
//   client.forwardFrame() → forward ring → bridge ─ <prefix>.frames.<master> ─▶ bridge → input ring → master
//   client.handleMessage() ◀ reply ring ◀ bridge ◀─ <prefix>.replies.<host>.<client>.<n> ─ bridge ◀ master.reply()

import { hostname } from 'node:os';
import type { ClientProcess, MasterProcess } from '../../process/index.js';
import { redactUrls } from '../../stream/index.js';
import type { BridgeStats } from '../service_view.js';
import { NatsBridgeError } from './bridge_error.js';
import { CameraSide, type RemoteMasterStats } from './camera_side.js';
import { DetectorSide, type ServedMasterStats } from './detector_side.js';
import { NatsLink } from './nats_link.js';

export interface NatsBridgeOptions {
  /** nats://host:port, one or several (a cluster). */
  servers: string[] | string;
  user?: string;
  password?: string;
  token?: string;
  /** Subject prefix (default 'framering'). */
  prefix?: string;
  /** This host's name in subjects and on detector hosts (default: the machine's host name). */
  host?: string;
  /** 'jpeg' (default) or 'raw' RGB24 when a frame fits the server's max_payload. */
  encoding?: 'jpeg' | 'raw';
  /** JPEG quality 1–100 (default 80). */
  jpegQuality?: number;
  /** Frames awaiting a reply per client (default 2). */
  inflight?: number;
  /** Reply timeout in ms (default 2000). */
  timeoutMs?: number;
  /** Detector host: remote clients per master (default 32). */
  maxClients?: number;
  /** Log lines (default: stderr). Give a redacting one if anything secret may be in URLs. */
  log?: (line: string) => void;
  /** Redacts secrets from text (default: the credentials above and URL user info). */
  redact?: (text: string) => string;
  /** Remote clients attached on a detector host (for naming their events). */
  onRemoteClient?: (servedAs: string, key: string, camera: string) => void;
}

/** What `ServiceStats.bridges.nats` holds: BridgeStats plus per remote master (camera host) and per served master. */
export interface NatsBridgeStats extends BridgeStats {
  host: string;
  /** The server of the list (or of the cluster) this host is connected to now; null while it is not. */
  server: string | null;
  reply_subject: string;
  reconnects: number;
  /** Camera host: per remote master. */
  masters: Record<string, RemoteMasterStats>;
  /** Detector host: per master served to remote clients. */
  serving: Record<string, ServedMasterStats>;
  unknown_client_replies: number;
  bad_replies: number;
  reply_ring_full: number;
}

let bridgeCounter = 0;

export class NatsBridge {
  readonly host: string;
  private readonly link: NatsLink;
  private readonly camera: CameraSide;
  private readonly detector: DetectorSide;
  private stopped: Promise<void> | null = null;

  constructor(options: NatsBridgeOptions) {
    const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
    if (!Array.isArray(servers) || servers.length === 0)
      throw new NatsBridgeError('INVALID_ARGUMENT', 'NatsBridge needs servers: a nats:// URL or a list of them');
    if (options.password !== undefined && options.user === undefined)
      throw new NatsBridgeError('INVALID_ARGUMENT', 'NatsBridge: a password needs a user');
    const secrets = [options.password, options.token].filter((s): s is string => typeof s === 'string' && s !== '');
    const redact =
      options.redact ??
      ((text: string) => {
        let out = text;
        for (const s of secrets) out = out.split(s).join('***');
        return redactUrls(out);
      });
    const log = (line: string) =>
      (options.log ?? ((l: string) => process.stderr.write(`framering: ${l}\n`)))(redact(line));
    this.host =
      options.host ??
      (hostname()
        .replace(/[^A-Za-z0-9_-]/g, '_')
        .slice(0, 64) ||
        'host');
    const prefix = options.prefix ?? 'framering';
    const ringPrefix = `svc${process.pid}-nats${++bridgeCounter}`;
    this.link = new NatsLink({
      servers,
      ...(options.user !== undefined ? { user: options.user, password: options.password } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      name: `framering ${this.host} pid ${process.pid}`,
      redact,
      log,
    });
    this.camera = new CameraSide(this.link, {
      prefix,
      host: this.host,
      encoding: options.encoding ?? 'jpeg',
      jpegQuality: options.jpegQuality ?? 80,
      inflight: options.inflight ?? 2,
      timeoutMs: options.timeoutMs ?? 2000,
      ringPrefix,
      log,
    });
    this.detector = new DetectorSide(this.link, {
      prefix,
      maxClients: options.maxClients ?? 32,
      ringPrefix,
      log,
      ...(options.onRemoteClient ? { onClient: options.onRemoteClient } : {}),
    });
  }

  /** Connects in the background (a server that is down is retried; nothing waits for it). */
  start(): this {
    this.link.start();
    return this;
  }

  get state(): string {
    return this.link.state;
  }

  /** Forwards a running client's frames to the remote master `remote`; its replies reach the client's handleMessage. */
  forwardClient(client: ClientProcess, remote: string, camera = client.name): Promise<void> {
    return this.camera.add(client, remote, camera);
  }

  /** Stops forwarding a client (it stops listening to the reply ring first). */
  unforwardClient(client: ClientProcess): Promise<void> {
    return this.camera.remove(client.name);
  }

  /** Serves a running master to camera hosts as `name` (queue group: several detector hosts share the work). */
  serveMaster(master: MasterProcess, name: string): void {
    this.detector.serve(master, name);
  }

  /** Camera host: replies delivered to each forwarded client so far. */
  repliesByClient(): Map<string, number> {
    return this.camera.repliedByClient();
  }

  stats(): NatsBridgeStats {
    const c = this.camera.totals;
    const d = this.detector.totals;
    return {
      state: this.link.state,
      url: this.link.url,
      last_error: this.link.lastError,
      queued: c.queued,
      dropped: c.skipped,
      sent: c.sent + d.sent,
      received: c.received + d.received,
      host: this.host,
      server: this.link.server,
      reply_subject: `${this.camera.replySubject}.<client>.<n>`,
      reconnects: this.link.reconnects,
      masters: this.camera.stats(this.link.state),
      serving: this.detector.stats(),
      unknown_client_replies: this.camera.unknownClientReplies,
      bad_replies: this.camera.badReplies,
      reply_ring_full: this.camera.replyRingFull,
    };
  }

  /** Readers before writers: clients stop listening, rings close, the masters let go of their inputs; then NATS. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.camera.stop();
      await this.detector.stop();
      await this.link.stop();
    })();
    return this.stopped;
  }
}
