/**
 * Pictures: latest.jpg (one JPEG of the next frame, boxes of the latest 'objects' event drawn on request) and
 * stream.mjpeg (multipart/x-mixed-replace). Both are encoded by the JPEG child; MJPEG viewers of the same camera,
 * height and quality share one feed, so a frame is encoded once however many watch.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from '../context.js';
import { HttpError } from '../errors.js';
import { outputSize } from '../jpeg/protocol.js';
import { MjpegClient } from '../mjpeg_client.js';
import { parseQuery } from '../query.js';
import { latestQuery, mjpegQuery } from './images.schema.js';

interface NameParams {
  name: string;
}

/** Boxes older than this are not drawn: they would no longer match the picture. */
const BOXES_MAX_AGE_MS = 10_000;

export function imagesPlugin(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: NameParams }>('/api/cameras/:name/latest.jpg', async (req, reply) => {
      const cam = ctx.camera(req.params.name);
      const q = parseQuery(latestQuery, req.query);
      const height = outputSize(cam.width, cam.height, q.height ?? cam.height).height;
      let boxes = null;
      if (q.boxes) {
        const ev = ctx.lastObjects.get(cam.name);
        boxes = ev && Date.now() - ev.timestamp < BOXES_MAX_AGE_MS ? ev.objects.map((o) => o.box) : [];
      }
      const pic = await ctx.encoder.snapshot(cam.name, cam.ring, height, q.quality, boxes);
      return reply
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'no-store')
        .header('x-frame-number', String(pic.frameNumber))
        .send(pic.data);
    });

    app.get<{ Params: NameParams }>('/api/cameras/:name/stream.mjpeg', async (req, reply) => {
      const cam = ctx.camera(req.params.name);
      const q = parseQuery(mjpegQuery, req.query);
      const height = outputSize(cam.width, cam.height, q.height).height;
      let set = ctx.mjpeg.get(cam.name);
      if ((set?.size ?? 0) >= ctx.limits.maxMjpegClientsPerCamera)
        throw new HttpError(
          503,
          'TOO_MANY_CLIENTS',
          `camera '${cam.name}' already has ${ctx.limits.maxMjpegClientsPerCamera} MJPEG viewers (the limit); ` +
            `try again later`,
        );
      if (ctx.mjpegClients >= ctx.limits.maxMjpegClients)
        throw new HttpError(
          503,
          'TOO_MANY_CLIENTS',
          `the service already has ${ctx.limits.maxMjpegClients} MJPEG viewers (the limit); try again later`,
        );
      if (!set) {
        set = new Set();
        ctx.mjpeg.set(cam.name, set);
      }
      reply.hijack();
      const token = {};
      const feed = ctx.encoder.subscribe(token, cam.name, cam.ring, height, q.quality, q.fps);
      const client: MjpegClient = new MjpegClient(
        reply.raw,
        feed,
        { fps: q.fps, maxBufferedBytes: ctx.limits.mjpegMaxBufferedBytes, stallTimeoutMs: ctx.limits.stallTimeoutMs },
        (c) => {
          ctx.mjpegSent += c.sent;
          ctx.mjpegDropped += c.dropped;
          ctx.encoder.unsubscribe(token, feed);
          const s = ctx.mjpeg.get(cam.name);
          s?.delete(c);
          if (s?.size === 0) ctx.mjpeg.delete(cam.name);
        },
      );
      set.add(client);
    });
  };
}
