// Built-in 'motion' (main1 and main2 shapes): an RGB24Process that watches each camera it reads for motion and
// sends a 'motion' event for every frame in which something moved.

import { MotionDetectors } from '../../analysis/index.js';
import type { Frame } from '../../shm/index.js';
import { RGB24Process, type MessageProcessOptions } from '../../process/index.js';
import { EVENT_NAME } from '../events.js';
import { motionEvent } from './analysis_events.js';
import { motionPart, type MotionSettings } from './builtin_options.js';

export type MotionProcessOptions = MessageProcessOptions & MotionSettings;

export class MotionProcess extends RGB24Process {
  static override moduleUrl = import.meta.url;
  // One detector (one background) per camera.
  private readonly detectors: MotionDetectors;

  constructor(options: MotionProcessOptions) {
    super(options);
    this.detectors = new MotionDetectors(motionPart(options));
  }

  protected override async handleFrame(frame: Frame, camera: string): Promise<void> {
    const { width, height } = frame.meta;
    const motion = this.detectors.for(camera, width, height).detect(frame.pixels);
    if (motion.motion) this.sendOut(EVENT_NAME, motionEvent(camera, frame.meta, motion));
  }

  protected override async handleRingGone(camera: string): Promise<void> {
    this.detectors.delete(camera);
  }
}
