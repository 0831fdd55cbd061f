/** What the route plugins share: the view, the encoder, the live clients, the options. */
import type { CameraView, FrameringEvent, ServiceView } from '../service_view.js';
import { unknownCamera } from './errors.js';
import type { EncoderHost } from './jpeg/encoder_host.js';
import type { MjpegClient } from './mjpeg_client.js';
import type { SseClient } from './sse_client.js';

export interface HttpLimits {
  maxMjpegClientsPerCamera: number;
  maxMjpegClients: number;
  maxSseClients: number;
  /** Per-client bytes waiting in the socket before frames / events are dropped. */
  mjpegMaxBufferedBytes: number;
  sseMaxBufferedBytes: number;
  /** A client that takes nothing for this long is disconnected. */
  stallTimeoutMs: number;
}

export class HttpContext {
  readonly mjpeg = new Map<string, Set<MjpegClient>>();
  readonly sse = new Set<SseClient>();
  /** The latest 'objects' event of each camera (boxes for latest.jpg?boxes=1). */
  readonly lastObjects = new Map<string, FrameringEvent>();
  mjpegSent = 0;
  mjpegDropped = 0;
  sseDropped = 0;

  constructor(
    readonly view: ServiceView,
    readonly encoder: EncoderHost,
    readonly limits: HttpLimits,
    readonly startedAtMs = Date.now(),
  ) {}

  /** The camera of that exact name, or a 404: names are matched against the list, never used as paths. */
  camera(name: unknown): CameraView {
    const cam = typeof name === 'string' ? this.view.cameras().find((c) => c.name === name) : undefined;
    if (!cam) throw unknownCamera();
    return cam;
  }

  get mjpegClients(): number {
    let n = 0;
    for (const s of this.mjpeg.values()) n += s.size;
    return n;
  }
}
