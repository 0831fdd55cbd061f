// A hostile client's URL must not get the token echoed back (README, HTTP, "Token": no response holds the token).
// Found by an attack run: a URL with a malformed percent-escape (`%zz`, `%`, `%c0%ae`) never reached the service's
// error handler; Fastify answered it itself (FST_ERR_BAD_URL), quoting the whole URL with its ?token=, in its own body
// format and without the security headers. Now `frameworkErrors` answers it like every other error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/service/config/index.js';
import { startHttp, type HttpServer } from '../src/service/http/index.js';
import { httpOptionsFor } from '../src/service/http_options.js';
import { startService, type Service } from '../src/service/service.js';
import { rawGet } from './support/http_clients.js';

const TOKEN = 'attack-test-token-4711';

describe('service HTTP under a hostile client', () => {
  let service: Service;
  let http: HttpServer;

  beforeAll(async () => {
    const yaml = `cameras:
  a: { source: synthetic://testsrc2, width: 320, height: 240, fps: 5 }
processes:
  - name: m
    class: motion
http:
  port: 0
  token: \${HTTP_TOKEN}
`;
    const parsed = parseConfigText(yaml, { env: { HTTP_TOKEN: TOKEN } });
    service = await startService(parsed, { log: () => {} });
    http = await startHttp(service, httpOptionsFor(parsed.config));
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await service?.stop();
  }, 60_000);

  it.each([
    `/static/%zz?token=${TOKEN}`,
    `/api/cameras/%/latest.jpg?token=${TOKEN}`,
    `/api/cameras/%c0%ae%c0%ae/stream.mjpeg?token=${TOKEN}`,
    `/%?token=${TOKEN}`,
  ])('a malformed URL is a JSON error that does not echo the token: %s', async (path) => {
    const r = await rawGet(http.url, path);
    const body = r.body.toString('utf8');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(body).not.toContain(TOKEN);
    // The service's own error shape ({ code, message }) and headers, like every other error.
    expect(JSON.parse(body)).toEqual({ code: expect.any(String), message: expect.any(String) });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});
