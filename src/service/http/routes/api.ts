/** JSON: /healthz, /api/stats (Frigate's names), /api/cameras, /api/config (redacted). */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from '../context.js';
import { parseQuery } from '../query.js';
import { scrub } from '../scrub.js';
import { noQuery } from './api.schema.js';

/** What the HTTP side adds to ServiceStats: its own clients and encoder. */
export function httpStats(ctx: HttpContext) {
  const e = ctx.encoder.stats;
  return {
    mjpeg_clients: ctx.mjpegClients,
    sse_clients: ctx.sse.size,
    jpeg_feeds: ctx.encoder.feedCount,
    jpeg_encoded: e.encoded,
    encoder_pid: e.pid,
    encoder_restarts: e.restarts,
  };
}

export function statsBody(ctx: HttpContext) {
  return scrub({ ...ctx.view.stats(), http: httpStats(ctx) });
}

export function apiPlugin(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      return {
        status: 'ok',
        cameras: ctx.view.cameras().length,
        uptime_s: Math.round((Date.now() - ctx.startedAtMs) / 1000),
      };
    });

    app.get('/api/stats', async (req, reply) => {
      parseQuery(noQuery, req.query);
      reply.header('cache-control', 'no-store');
      return statsBody(ctx);
    });

    app.get('/api/cameras', async (req, reply) => {
      parseQuery(noQuery, req.query);
      reply.header('cache-control', 'no-store');
      const stats = ctx.view.stats().cameras;
      return scrub(
        ctx.view.cameras().map((c) => {
          const base = `/api/cameras/${encodeURIComponent(c.name)}`;
          return {
            name: c.name,
            width: c.width,
            height: c.height,
            fps: c.fps,
            source: c.source,
            state: stats[c.name]?.state ?? 'unknown',
            latest: `${base}/latest.jpg`,
            mjpeg: `${base}/stream.mjpeg`,
          };
        }),
      );
    });

    app.get('/api/config', async (req, reply) => {
      parseQuery(noQuery, req.query);
      reply.header('cache-control', 'no-store');
      return scrub(ctx.view.redactedConfig() ?? {});
    });
  };
}
