// An analysis process for the service tests: motion → blobs → one 'objects' event per frame with boxes (at most
// 10 per second per camera), as the real service's processes report results.
import { RGB24Process } from '../../src/process/index.js';
import type { Frame } from '../../src/shm/index.js';
import { BlobExtractor, MotionDetectors } from '../../src/analysis/index.js';

export class ObjectsProcess extends RGB24Process {
  static override moduleUrl = import.meta.url;
  private readonly detectors = new MotionDetectors();
  private readonly blobs = new BlobExtractor({ maxBlobs: 4 });
  private readonly lastSent = new Map<string, number>();
  private frames = 0;

  protected override async handleFrame(frame: Frame, source: string): Promise<void> {
    this.frames++;
    const { width, height, frameNumber, timestampUs } = frame.meta;
    const motion = this.detectors.for(source, width, height).detect(frame.pixels);
    const now = Date.now();
    if (now - (this.lastSent.get(source) ?? 0) < 100) return;
    this.lastSent.set(source, now);
    const boxes = motion.motion ? this.blobs.extract(motion.mask, motion.grid.width, motion.grid.height, motion.grid.step) : [];
    this.sendOut('objects', {
      camera: source,
      frameNumber,
      timestamp: Math.round(timestampUs / 1000),
      objects: boxes.map((b) => ({ label: 'motion', score: 0.9, box: { x: b.x, y: b.y, width: b.width, height: b.height } })),
    });
  }

  /** Backend: frames handled. */
  counts(): { frames: number } {
    return { frames: this.frames };
  }
}
