// Built-in 'object-detector' (main3 shape, the shared heavy half): the DetectorMaster (a COCO network on the frames
// the clients forward, latest frame per client, skips counted) whose detections also become the service's
// 'objects' events. Options come flat from the config (builtin_options.ts) and are handed to the detector.

import {
  DetectorMaster,
  type DetectorMasterOptions,
  type DetectorReply,
  type MasterProcessOptions,
} from '../../process/index.js';
import { EVENT_NAME } from '../events.js';
import type { ProcessEvent } from './analysis_events.js';
import type { ObjectDetectorSettings } from './builtin_options.js';

export class ObjectDetectorMaster extends DetectorMaster {
  static override moduleUrl = import.meta.url;

  constructor(options: MasterProcessOptions & ObjectDetectorSettings & DetectorMasterOptions) {
    const { minScore, labels, iouThreshold, maxDetections, threads, ...process } = options;
    // The backend is constructed again from the options the frontend kept (already nested under `detector`).
    const detector = process.detector ?? {
      minScore,
      labels,
      iouThreshold,
      maxDetections,
      tfjsWasm: threads === undefined ? undefined : { threads },
    };
    super({ ...process, detector });
  }

  /** `reply.client` is the client's name: the service maps it to the client's camera. */
  protected override onDetections(reply: DetectorReply): void {
    if (reply.objects.length === 0) return;
    const event: ProcessEvent = {
      camera: reply.client,
      frameNumber: reply.frameNumber,
      timestamp: Math.round(reply.frameTimestampUs / 1000),
      kind: 'objects',
      objects: reply.objects.map((o) => ({
        label: o.label,
        score: o.score,
        box: { x: o.box.x, y: o.box.y, width: o.box.width, height: o.box.height },
      })),
      data: { model: reply.model, inferenceMs: reply.inferenceMs },
    };
    this.sendOut(EVENT_NAME, event);
  }
}
