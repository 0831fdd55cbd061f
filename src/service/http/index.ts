// PLACEHOLDER — the real HTTP side (dashboard, API, MJPEG, metrics) is being written in parallel as
// src/service/http/ and replaces this file at merge. Its entry keeps this signature; this stand-in only answers
// GET /healthz, so that `framering serve` runs end to end meanwhile.

import { createServer } from 'node:http';
import type { ServiceView } from '../service_view.js';

export interface HttpOptions {
  host: string;
  port: number;
  token?: string;
}

export async function startHttp(view: ServiceView, opts: HttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', cameras: view.cameras().length }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found (placeholder HTTP server: only /healthz)\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
