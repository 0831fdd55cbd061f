// One MotionDetector per source (camera or client): each keeps its own background, and a source whose frame size
// changes gets a fresh one.
import { MotionDetector, type MotionOptions } from './motion_detector.js';

export class MotionDetectors {
  private readonly bySource = new Map<string, MotionDetector>();

  constructor(private readonly options: MotionOptions = {}) {}

  for(source: string, width: number, height: number): MotionDetector {
    let d = this.bySource.get(source);
    if (!d || d.frameWidth !== width || d.frameHeight !== height) {
      d = new MotionDetector(width, height, this.options);
      this.bySource.set(source, d);
    }
    return d;
  }

  delete(source: string): void {
    this.bySource.delete(source);
  }
}
