// The cameras of an example: one LiveStream (ffmpeg → frame ring) per camera on the command line, in this process.
// A camera that cannot be reached is not an error here: LiveStream retries it with backoff, and the status line
// shows it reconnecting while the others run.

import { LiveStream, type LiveStreamStats, type StreamError } from '../../src/stream/index.js';
import type { CameraArg, ExampleOptions } from './args.js';

export interface Camera {
  name: string;
  /** Redacted description, for people. */
  label: string;
  stream: LiveStream;
  /** The name of the camera's frame ring (segment framering-<ring> in /dev/shm). */
  ring: string;
  startedAtMs: number;
}

export interface CameraEvents {
  /** A run of ffmpeg ended badly and will be retried (message already redacted by LiveStream). */
  onFault(camera: Camera, err: StreamError): void;
}

/**
 * Creates every camera's LiveStream and so its ring, without running ffmpeg yet: the rings exist for processes to
 * attach to, and a full /dev/shm fails here before anything runs.
 */
export function createCameras(options: ExampleOptions, events: CameraEvents): Camera[] {
  const cameras: Camera[] = [];
  try {
    for (const arg of options.cameras) cameras.push(createCamera(arg, options, events));
  } catch (err) {
    void stopCameras(cameras);
    throw err;
  }
  return cameras;
}

/** Starts ffmpeg for every camera; frames flow into the rings from here on. */
export async function startCameras(cameras: readonly Camera[]): Promise<void> {
  await Promise.all(
    cameras.map(async (c) => {
      c.startedAtMs = Date.now();
      await c.stream.start();
    }),
  );
}

function createCamera(arg: CameraArg, options: ExampleOptions, events: CameraEvents): Camera {
  const stream = new LiveStream({
    source: arg.source,
    width: options.width,
    height: options.height,
    fps: options.fps,
    // Unique per run, so that two examples running side by side do not meet in /dev/shm.
    name: `ex${process.pid}-${arg.name}`,
    slots: 8,
  });
  const camera: Camera = {
    name: arg.name,
    label: arg.label,
    stream,
    ring: stream.info().name,
    startedAtMs: Date.now(),
  };
  stream.on('fault', (err: StreamError) => events.onFault(camera, err));
  return camera;
}

/** Stops every camera in parallel: ffmpeg ended and reaped, rings unlinked. */
export async function stopCameras(cameras: readonly Camera[]): Promise<void> {
  await Promise.allSettled(cameras.map((c) => c.stream.stop()));
}

export function cameraStats(camera: Camera): LiveStreamStats {
  return camera.stream.stats();
}
