/**
 * The HTTP side of `framering serve`: dashboard, JSON API, JPEG snapshots, MJPEG, Server-Sent Events and
 * Prometheus metrics over one ServiceView. Pictures come from the camera rings through a forked JPEG encoder
 * (jpeg/jpeg_child.ts), so this event loop only moves finished JPEG bytes.
 *
 *   const http = await startHttp(view, { port: 8321, token: process.env.FRAMERING_TOKEN });
 *   console.log(http.url); … await http.close();
 */
import Fastify, { type FastifyError } from 'fastify';
import type { ServiceView } from '../service_view.js';
import { registerAuth } from './auth.js';
import { HttpContext, type HttpLimits } from './context.js';
import { HttpError, sendError } from './errors.js';
import { EncoderHost } from './jpeg/encoder_host.js';
import { apiPlugin } from './routes/api.js';
import { dashboardPlugin } from './routes/dashboard.js';
import { eventsPlugin } from './routes/events.js';
import { imagesPlugin } from './routes/images.js';
import { metricsPlugin } from './routes/metrics.js';

export interface HttpOptions {
  /** Default 127.0.0.1: only this machine. Set '0.0.0.0' (and a token) to serve the network. */
  host?: string;
  /** Default 8321; 0 picks a free port. */
  port?: number;
  /** When set, every route but /healthz needs it (see auth.ts). */
  token?: string;
  mjpeg?: { maxClientsPerCamera?: number; maxClients?: number; maxBufferedBytes?: number };
  events?: { maxClients?: number; maxBufferedBytes?: number };
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8321;

export async function startHttp(view: ServiceView, opts: HttpOptions = {}): Promise<HttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HttpError(0, 'INVALID_ARGUMENT', `port must be a whole number from 0 to 65535, got ${port}`);
  if (opts.token !== undefined && opts.token.length < 8)
    throw new HttpError(0, 'INVALID_ARGUMENT', 'the token must have at least 8 characters');
  const limits: HttpLimits = {
    maxMjpegClientsPerCamera: opts.mjpeg?.maxClientsPerCamera ?? 20,
    maxMjpegClients: opts.mjpeg?.maxClients ?? 200,
    mjpegMaxBufferedBytes: opts.mjpeg?.maxBufferedBytes ?? 512 * 1024,
    maxSseClients: opts.events?.maxClients ?? 64,
    sseMaxBufferedBytes: opts.events?.maxBufferedBytes ?? 256 * 1024,
    stallTimeoutMs: 30_000,
  };

  const encoder = new EncoderHost();
  encoder.start();
  const ctx = new HttpContext(view, encoder, limits);
  // No logger: request lines carry ?token= and the service core owns logging.
  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (a malformed percent-escape, a too long parameter) quote the URL, and so
    // a ?token=: answered here, without the URL, like every other error.
    frameworkErrors: (err, _req, reply) => {
      const status =
        typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void sendError(
        securityHeaders(reply),
        new HttpError(status, 'BAD_REQUEST', 'bad request: the URL is malformed or too long'),
      );
    },
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });
  app.setNotFoundHandler((_req, reply) =>
    sendError(reply, new HttpError(404, 'NOT_FOUND', 'no such route; the API is listed in the README (HTTP section)')),
  );
  app.setErrorHandler((err: FastifyError | HttpError, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // Fastify's own messages may quote the URL (and so a ?token=): say only what kind of error it was.
    const e =
      status === 500
        ? new HttpError(500, 'INTERNAL', 'internal error')
        : new HttpError(status, status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', 'bad request');
    return sendError(reply, e);
  });
  if (opts.token !== undefined) registerAuth(app, opts.token);

  await app.register(apiPlugin(ctx));
  await app.register(imagesPlugin(ctx));
  await app.register(eventsPlugin(ctx));
  await app.register(metricsPlugin(ctx));
  await app.register(dashboardPlugin());

  app.addHook('preClose', async () => {
    for (const set of ctx.mjpeg.values()) for (const c of [...set]) c.close();
    for (const c of [...ctx.sse]) c.close();
  });

  try {
    await app.listen({ host, port });
  } catch (err) {
    await encoder.close();
    throw err;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${actualPort}`,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await encoder.close();
      })()),
  };
}

export type { ServiceView } from '../service_view.js';

/** The headers every response carries (set in onSend, and by hand where Fastify answers before its hooks). */
function securityHeaders<R extends { header(name: string, value: string): R }>(reply: R): R {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}
