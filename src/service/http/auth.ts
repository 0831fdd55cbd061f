/**
 * Optional bearer token. With a token set, every route but /healthz needs one of:
 *   - `Authorization: Bearer <token>` (programs, curl);
 *   - the session cookie, which `?token=<token>` on any URL sets once (HttpOnly, SameSite=Strict): browsers cannot
 *     put headers on <img> or EventSource, so the dashboard is opened as /?token=… and redirected to / at once, which
 *     keeps the token out of the address bar and history.
 * Tokens are compared in constant time (SHA-256 of both, then timingSafeEqual); the token is never logged and never
 * appears in a response. The cookie holds an HMAC of the token under a key made at start, not the token itself.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, sendError } from './errors.js';

export const COOKIE = 'framering_session';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return null;
}

export function registerAuth(app: FastifyInstance, token: string): void {
  const want = digest(token);
  const key = randomBytes(32);
  const session = createHmac('sha256', key).update(token).digest('hex');
  const sessionDigest = digest(session);

  const authorised = (req: FastifyRequest): 'header' | 'cookie' | 'query' | null => {
    const h = req.headers.authorization;
    if (typeof h === 'string' && /^bearer /i.test(h) && equal(digest(h.slice(7).trim()), want)) return 'header';
    const c = cookieValue(req.headers.cookie);
    if (c && equal(digest(c), sessionDigest)) return 'cookie';
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === 'string' && equal(digest(q), want)) return 'query';
    return null;
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.url === '/healthz') return;
    const how = authorised(req);
    if (!how) {
      reply.header('www-authenticate', 'Bearer realm="framering"');
      return sendError(
        reply,
        new HttpError(
          401,
          'UNAUTHORIZED',
          'this service needs its token: send "Authorization: Bearer <token>", ' +
            'or open /?token=<token> once in a browser',
        ),
      );
    }
    if (how === 'query') {
      reply.header('set-cookie', `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`);
      // The dashboard drops the token from its address at once (history, screenshots, shoulder surfers).
      if (req.method === 'GET' && req.routeOptions.url === '/')
        return reply.code(303).header('location', '/').header('cache-control', 'no-store').send();
    }
  });
}
