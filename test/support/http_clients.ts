// Small real HTTP clients for the service tests: raw GET (paths exactly as written, no URL normalisation), an
// MJPEG reader that parses parts, an SSE reader, and a Prometheus text parser.
import { request, type IncomingMessage } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** GET `path` verbatim (no normalisation of '..' or %2e), with optional headers. */
export function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface MjpegResult {
  status: number;
  frames: Buffer[];
  frameTimes: number[];
  bytes: number;
  contentType: string;
}

/**
 * Reads an MJPEG stream for `ms` and returns the JPEG parts. `keepFrames` bounds what is kept (counts go on).
 * `stall: true` opens the stream and never reads from it (a stalled viewer), returning nothing useful.
 */
export function readMjpeg(
  base: string,
  path: string,
  ms: number,
  opts: { headers?: Record<string, string>; keepFrames?: number } = {},
): Promise<MjpegResult> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    const frameTimes: number[] = [];
    let buf = Buffer.alloc(0);
    let bytes = 0;
    let status = 0;
    let contentType = '';
    const req = request({ host: u.hostname, port: u.port, path, headers: opts.headers ?? {} }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type'] ?? '');
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const headEnd = buf.indexOf('\r\n\r\n');
          if (headEnd < 0) break;
          const head = buf.subarray(0, headEnd).toString('latin1');
          const m = /content-length:\s*(\d+)/i.exec(head);
          if (!m) {
            if (status !== 200) break;
            buf = buf.subarray(headEnd + 4);
            continue;
          }
          const len = Number(m[1]);
          if (buf.length < headEnd + 4 + len + 2) break;
          const jpeg = buf.subarray(headEnd + 4, headEnd + 4 + len);
          frameTimes.push(Date.now());
          if (frames.length < (opts.keepFrames ?? 1e9)) frames.push(Buffer.from(jpeg));
          else frames.push(Buffer.alloc(0));
          buf = buf.subarray(headEnd + 4 + len + 2);
        }
      });
      res.on('end', () => finish());
      res.on('error', () => finish());
    });
    const finish = () => {
      clearTimeout(timer);
      req.destroy();
      resolve({ status, frames, frameTimes, bytes, contentType: status === 200 ? contentType : buf.toString('utf8') });
    };
    const timer = setTimeout(finish, ms);
    req.on('error', (err) => (status ? finish() : reject(err)));
    req.end();
  });
}

/** Opens an MJPEG stream and never reads it: the socket's receive window fills and the server must cope. */
export function stalledMjpeg(base: string, path: string): { close: () => void; status: Promise<number> } {
  const u = new URL(base);
  let res: IncomingMessage | null = null;
  const req = request({ host: u.hostname, port: u.port, path });
  const status = new Promise<number>((resolve) => {
    req.on('response', (r) => {
      res = r;
      r.pause();
      // Stop the socket itself from reading, so the kernel buffers fill up.
      r.socket.pause();
      resolve(r.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
  req.end();
  const close = () => {
    res?.destroy();
    req.destroy();
  };
  return { close, status };
}

export interface SseMessage {
  event: string;
  data: string;
}

/** Collects SSE messages for up to `ms`, or until `until` says enough. */
export function readSse(
  base: string,
  path: string,
  ms: number,
  opts: { headers?: Record<string, string>; until?: (m: SseMessage[]) => boolean } = {},
): Promise<{ status: number; messages: SseMessage[]; raw: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    let raw = '';
    let status = 0;
    let pending = '';
    const req = request({ host: u.hostname, port: u.port, path, headers: opts.headers ?? {} }, (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        for (let i = pending.indexOf('\n\n'); i >= 0; i = pending.indexOf('\n\n')) {
          const block = pending.slice(0, i);
          pending = pending.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) messages.push({ event, data: data.join('\n') });
        }
        if (opts.until?.(messages)) finish();
      });
      res.on('end', () => finish());
    });
    const finish = () => {
      clearTimeout(timer);
      req.destroy();
      resolve({ status, messages, raw });
    };
    const timer = setTimeout(finish, ms);
    req.on('error', (err) => (status ? finish() : reject(err)));
    req.end();
  });
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (0.0.4); throws on a line that is neither a comment nor a sample. */
export function parsePrometheus(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) throw new Error(`bad comment line: ${line}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( \d+)?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
      let consumed = 0;
      for (const l of m[3].matchAll(re)) {
        labels[l[1]!] = l[2]!;
        consumed += l[0].length;
      }
      if (consumed !== m[3].length) throw new Error(`bad labels: ${line}`);
    }
    samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return { samples, types };
}
