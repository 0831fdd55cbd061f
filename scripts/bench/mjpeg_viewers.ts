// MJPEG viewers for the watch bench, in a process of their own (their CPU is not the service's):
//   argv: url, count, seconds → sends { frames: number[] } (parts received per viewer) when done.
import { request } from 'node:http';

const [url, countText, secondsText] = process.argv.slice(2);
const u = new URL(url!);
const BOUNDARY = Buffer.from('--framering-frame');

function view(ms: number): Promise<number> {
  return new Promise((resolve) => {
    let frames = 0;
    let tail = Buffer.alloc(0);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
      res.on('data', (chunk: Buffer) => {
        const hay = tail.length ? Buffer.concat([tail, chunk]) : chunk;
        for (let i = hay.indexOf(BOUNDARY); i >= 0; i = hay.indexOf(BOUNDARY, i + BOUNDARY.length)) frames++;
        tail = Buffer.from(hay.subarray(Math.max(0, hay.length - BOUNDARY.length + 1)));
      });
    });
    req.on('error', () => {});
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve(frames);
    }, ms);
  });
}

const frames = await Promise.all(Array.from({ length: Number(countText) }, () => view(Number(secondsText) * 1000)));
process.send!({ frames });
process.disconnect();
