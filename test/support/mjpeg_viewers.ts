// A crowd of MJPEG viewers in a process of its own (so their parsing does not load the service's event loop):
//   argv: base-url, JSON [{ path, count }], seconds, stalled-path|''
// Sends { kind: 'started' } once every stream is open, then { kind: 'done', viewers: [{ path, frames, fps, status }] }.
import { readMjpeg, stalledMjpeg } from './http_clients.js';

const [base, specJson, secondsText, stalledPath] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as Array<{ path: string; count: number }>;
const ms = Number(secondsText) * 1000;

const stalled = stalledPath ? stalledMjpeg(base!, stalledPath) : null;
const runs = spec.flatMap(({ path, count }) =>
  Array.from({ length: count }, () => ({ path, run: readMjpeg(base!, path, ms, { keepFrames: 0 }) })),
);
process.send!({ kind: 'started', stalledStatus: stalled ? await stalled.status : null });
const viewers = await Promise.all(
  runs.map(async ({ path, run }) => {
    const r = await run;
    // fps over the steady part: from the first frame to the last.
    const t = r.frameTimes;
    const fps = t.length > 1 ? ((t.length - 1) * 1000) / (t.at(-1)! - t[0]!) : 0;
    return { path, status: r.status, frames: t.length, fps, bytes: r.bytes };
  }),
);
stalled?.close();
process.send!({ kind: 'done', viewers });
process.disconnect();
