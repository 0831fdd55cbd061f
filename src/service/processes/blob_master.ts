// Built-in 'blob-master' (main3 shape, the shared heavy half): a finer motion analysis of what the clients forward,
// moving blobs as boxes, sent as an 'objects' event and replied to the client. The stand-in for a real object
// detector: same place in the topology, same event shape.

import { BlobExtractor, MotionDetectors } from '../../analysis/index.js';
import type { Frame } from '../../shm/index.js';
import { MasterProcess, type MasterProcessOptions } from '../../process/index.js';
import { EVENT_NAME } from '../events.js';
import { objectsEvent } from './analysis_events.js';
import { motionPart, type BlobMasterSettings } from './builtin_options.js';

export type BlobMasterOptions = MasterProcessOptions & BlobMasterSettings;

/** What the master replies to a client about one forwarded frame. */
export interface BlobReply {
  frameNumber: number;
  boxes: Array<{ x: number; y: number; width: number; height: number }>;
}

export class BlobMaster extends MasterProcess {
  static override moduleUrl = import.meta.url;
  private readonly detectors: MotionDetectors;
  private readonly blobs: BlobExtractor;
  private readonly label: string;

  constructor(options: BlobMasterOptions) {
    super(options);
    // Finer than the clients' by default (step 2): the heavier analysis the clients share.
    this.detectors = new MotionDetectors({ step: 2, ...motionPart(options) });
    this.blobs = new BlobExtractor({
      dilate: options.dilate ?? 2,
      minCells: options.minCells ?? 8,
      maxBlobs: options.maxBlobs ?? 16,
    });
    this.label = options.label ?? 'blob';
  }

  /** `client` is the client's name: the service maps it to the client's camera. */
  protected override async handleFrame(frame: Frame, client: string): Promise<void> {
    const { width, height, frameNumber } = frame.meta;
    const motion = this.detectors.for(client, width, height).detect(frame.pixels);
    const boxes = this.blobs.extract(motion.mask, motion.grid.width, motion.grid.height, motion.grid.step);
    if (boxes.length > 0) this.sendOut(EVENT_NAME, objectsEvent(client, frame.meta, boxes, this.label));
    const reply: BlobReply = {
      frameNumber,
      boxes: boxes.map(({ x, y, width: w, height: h }) => ({ x, y, width: w, height: h })),
    };
    // null: the client's reply ring is full; the next frame gets a reply.
    this.reply(client, reply);
  }

  protected override async handleRingGone(client: string): Promise<void> {
    this.detectors.delete(client);
  }
}
