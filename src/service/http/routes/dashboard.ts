/**
 * The dashboard: static files from src/service/http/public (no build step). The folder is found from the package
 * root, so it works under tsx (src/) and from compiled JS (dist/, which tsc fills with .js only). Files are read
 * once at start into a table keyed by their plain name: a request names a key or gets a 404, so no path from a
 * request ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** The folder holding package.json named 'framering', walking up from this file. */
export function packageRoot(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'framering') return dir;
      } catch {
        /* keep looking */
      }
    }
    if (dirname(dir) === dir) throw new Error(`framering: cannot find the package root (package.json) above ${from}`);
  }
}

export function publicDir(): string {
  return join(packageRoot(), 'src', 'service', 'http', 'public');
}

function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type || !/^[a-z0-9][a-z0-9_.-]*$/i.test(name) || !statSync(join(dir, name)).isFile()) continue;
    const body = readFileSync(join(dir, name));
    files.set(name, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return files;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function dashboardPlugin(): FastifyPluginAsync {
  return async (app) => {
    const files = loadFiles(publicDir());
    const send = (name: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const f = files.get(name);
      if (!f) throw new HttpError(404, 'NOT_FOUND', 'no such file');
      reply
        .header('content-type', f.type)
        .header('etag', f.etag)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP);
      if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
      return reply.send(f.body);
    };
    app.get('/', send('index.html'));
    app.get<{ Params: { file: string } }>('/static/:file', async (req, reply) => send(req.params.file)(req, reply));
  };
}
