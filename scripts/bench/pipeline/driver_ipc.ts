/**
 * What a pipeline driver (a forked process running one pipeline) and the bench say to each other over IPC:
 * the driver sends { t: 'ready' } once frames flow; the bench asks { t: 'sample' } and gets counts back;
 * { t: 'stop' } stops the pipeline and the driver exits.
 */
export interface PipelineCounts {
  /** Frames that came out of ffmpeg (whole frames read from the pipes). */
  decoded: number;
  /** Frames the per-camera processes handled. */
  handled: number;
  forwarded: number;
  /** Frames the master handled. */
  masterHandled: number;
  replies: number;
}

export type ToDriver = { t: 'sample' } | { t: 'stop' };
export type FromDriver = { t: 'ready' } | ({ t: 'sample' } & PipelineCounts) | { t: 'error'; message: string };

export interface DriverArgs {
  cameras: number;
  clip: string;
  width: number;
  height: number;
  fps: number;
  /** How the framering clients forward: by reference (default) or by copy. */
  forward: 'reference' | 'copy';
}

export function driverArgs(argv = process.argv.slice(2)): DriverArgs {
  const [cameras, clip, width, height, fps, forward] = argv;
  return {
    cameras: Number(cameras),
    clip: clip!,
    width: Number(width),
    height: Number(height),
    fps: Number(fps),
    forward: forward === 'copy' ? 'copy' : 'reference',
  };
}

/** Runs the driver: answers samples with `counts()`, stops with `stop()`, reports a failure and exits 1. */
export function serveDriver(
  start: () => Promise<{ counts: () => Promise<PipelineCounts>; stop: () => Promise<void> }>,
): void {
  const send = (m: FromDriver) => process.send?.(m);
  start().then(
    ({ counts, stop }) => {
      send({ t: 'ready' });
      process.on('message', (m: ToDriver) => {
        if (m.t === 'sample')
          counts().then(
            (c) => send({ t: 'sample', ...c }),
            (err: Error) => send({ t: 'error', message: err.message }),
          );
        if (m.t === 'stop') void stop().finally(() => process.exit(0));
      });
      process.on('disconnect', () => void stop().finally(() => process.exit(0)));
    },
    (err: Error) => {
      send({ t: 'error', message: err.stack ?? err.message });
      process.exit(1);
    },
  );
}
