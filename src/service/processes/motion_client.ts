// Built-in 'motion-client' (main3 shape, the light per-camera half): motion on every frame of its camera; a frame
// with motion is forwarded to the shared master, and the motion event is published on the client's data ring,
// where the service (and any other reader) picks it up.

import { MotionDetectors } from '../../analysis/index.js';
import type { Frame } from '../../shm/index.js';
import { ClientProcess, type ClientProcessOptions } from '../../process/index.js';
import { motionEvent } from './analysis_events.js';
import { motionPart, type MotionSettings } from './builtin_options.js';

export type MotionClientOptions = ClientProcessOptions & MotionSettings;

export class MotionClient extends ClientProcess {
  static override moduleUrl = import.meta.url;
  private readonly detectors: MotionDetectors;

  constructor(options: MotionClientOptions) {
    super(options);
    this.detectors = new MotionDetectors(motionPart(options));
  }

  protected override async handleFrame(frame: Frame, camera: string): Promise<void> {
    const { width, height } = frame.meta;
    const motion = this.detectors.for(camera, width, height).detect(frame.pixels);
    if (!motion.motion) return;
    // Only frames worth the master's time go to it; null = the master is behind: skip. The Frame itself goes (copied
    // with its frameNumber, slotId and timestamp, or by reference when the group says forward: { by_reference }).
    this.forwardFrame(frame);
    this.publishData(motionEvent(camera, frame.meta, motion));
  }

  // As the built-in motion process: a camera whose ring went away forgets its background (no per-camera leak).
  protected override async handleRingGone(camera: string): Promise<void> {
    this.detectors.delete(camera);
  }
}
