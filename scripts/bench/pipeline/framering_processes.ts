/** The framering pipeline's two process classes (main3 shape): a light client per camera and one shared master. */
import type { Frame } from '../../../src/shm/index.js';
import { ClientProcess, MasterProcess } from '../../../src/process/index.js';
import { FORWARD_EVERY, sample, type Counts } from './workload.js';

export class BenchClient extends ClientProcess {
  static override moduleUrl = import.meta.url;
  private readonly counts: Counts = { handled: 0, forwarded: 0, replies: 0 };

  protected override async handleFrame(frame: Frame): Promise<void> {
    sample(frame.pixels);
    this.counts.handled++;
    if (frame.meta.frameNumber % FORWARD_EVERY === 0 && this.forwardFrame(frame) !== null) this.counts.forwarded++;
  }

  protected override async handleMessage(): Promise<void> {
    this.counts.replies++;
  }

  /** Backend: the counts so far. */
  benchCounts(): Counts {
    return { ...this.counts };
  }
}

export class BenchMaster extends MasterProcess {
  static override moduleUrl = import.meta.url;
  handled = 0;

  protected override async handleFrame(frame: Frame, client: string): Promise<void> {
    const value = sample(frame.pixels);
    this.handled++;
    this.reply(client, { frameNumber: frame.meta.frameNumber, value });
  }

  /** Backend: frames handled. */
  benchHandled(): number {
    return this.handled;
  }
}
