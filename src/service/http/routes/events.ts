/**
 * GET /api/events — Server-Sent Events. Each analysis result is a default ('message') event whose data is the
 * FrameringEvent JSON; with ?stats=1 a named 'stats' event (the /api/stats body) follows every `interval` seconds,
 * which is what the dashboard lives on. Slow readers lose messages, never memory (see SseClient).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { FrameringEvent } from '../../service_view.js';
import type { HttpContext } from '../context.js';
import { HttpError } from '../errors.js';
import { parseQuery } from '../query.js';
import { scrub } from '../scrub.js';
import { SseClient } from '../sse_client.js';
import { statsBody } from './api.js';
import { eventsQuery } from './events.schema.js';

export function eventsPlugin(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    const onEvent = (ev: FrameringEvent): void => {
      if (ev.kind === 'objects') ctx.lastObjects.set(ev.camera, ev);
      if (ctx.sse.size === 0) return;
      const clean = scrub(ev);
      for (const c of ctx.sse) c.send(null, clean);
    };
    ctx.view.on('event', onEvent);
    app.addHook('onClose', async () => {
      ctx.view.off('event', onEvent);
    });

    app.get('/api/events', async (req, reply) => {
      const q = parseQuery(eventsQuery, req.query);
      if (ctx.sse.size >= ctx.limits.maxSseClients)
        throw new HttpError(
          503,
          'TOO_MANY_CLIENTS',
          `the service already has ${ctx.limits.maxSseClients} event subscribers (the limit); try again later`,
        );
      reply.hijack();
      let timer: NodeJS.Timeout | null = null;
      const client = new SseClient(
        reply.raw,
        (c) => {
          if (timer) clearInterval(timer);
          ctx.sseDropped += c.dropped;
          ctx.sse.delete(c);
        },
        ctx.limits.sseMaxBufferedBytes,
        ctx.limits.stallTimeoutMs,
      );
      ctx.sse.add(client);
      if (q.recent > 0) for (const ev of ctx.view.recentEvents(q.recent)) client.send(null, scrub(ev));
      if (q.stats) {
        client.send('stats', statsBody(ctx));
        timer = setInterval(() => client.send('stats', statsBody(ctx)), q.interval * 1000);
      }
    });
  };
}
