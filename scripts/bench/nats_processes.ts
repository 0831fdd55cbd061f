// The two halves of the remote-master benchmark: a client that makes its own frames (no camera, no ffmpeg: what is
// measured is forwarding and replying) and a master that answers each frame at once.
import { ClientProcess, MasterProcess, type ClientProcessOptions, type Frame, type SlotMeta } from '../../src/index.js';

export interface BenchClientStats {
  forwarded: number;
  skipped: number;
  replies: number;
  rttMs: number[];
}

export class BenchClient extends ClientProcess {
  static override moduleUrl = import.meta.url;
  private readonly fps: number;
  private timer: NodeJS.Timeout | null = null;
  private frameNumber = 0;
  private readonly sentAt = new Map<number, number>();
  private readonly counts: BenchClientStats = { forwarded: 0, skipped: 0, replies: 0, rttMs: [] };

  constructor(options: ClientProcessOptions & { fps: number }) {
    super(options);
    this.fps = options.fps;
  }

  protected override async preRun(): Promise<void> {
    const { width, height } = (this.options as ClientProcessOptions).forward as { width: number; height: number };
    // Camera-like content (smooth shading, edges, a moving box): what JPEG makes of it is close to a real scene.
    const base = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        base[i] = (x * 255) / width;
        base[i + 1] = (y * 255) / height;
        base[i + 2] = 128 + 100 * Math.sin(x / 17) * Math.cos(y / 23);
      }
    const frame = Buffer.alloc(base.length);
    this.timer = setInterval(() => {
      const n = ++this.frameNumber;
      base.copy(frame);
      const bx = (n * 7) % Math.max(1, width - 64);
      for (let y = 40; y < Math.min(height, 104); y++) frame.fill(255, (y * width + bx) * 3, (y * width + bx + 64) * 3);
      this.sentAt.set(n, performance.now());
      if (this.sentAt.size > 1000) this.sentAt.delete(this.sentAt.keys().next().value!);
      if (this.forwardFrame(frame, { frameNumber: n }) === null) this.counts.skipped++;
      else this.counts.forwarded++;
    }, 1000 / this.fps);
  }

  protected override async postRun(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }

  protected override async handleMessage(_value: unknown, meta: SlotMeta): Promise<void> {
    const t = this.sentAt.get(meta.frameNumber);
    this.counts.replies++;
    if (t !== undefined) this.counts.rttMs.push(performance.now() - t);
  }

  /** Counters since the last call (the window is reset). */
  takeStats(): BenchClientStats {
    const out = { ...this.counts, rttMs: [...this.counts.rttMs] };
    Object.assign(this.counts, { forwarded: 0, skipped: 0, replies: 0, rttMs: [] });
    return out;
  }
}

export class BenchMaster extends MasterProcess {
  static override moduleUrl = import.meta.url;
  protected override async handleFrame(frame: Frame, client: string): Promise<void> {
    this.reply(client, { frameNumber: frame.meta.frameNumber });
  }
}
