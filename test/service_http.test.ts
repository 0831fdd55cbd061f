// The HTTP side of `framering serve` on the real service, started in this process from a config as the CLI does
// (startService + startHttp with the config's http options): synthetic cameras and a password-protected RTSP
// camera (GStreamer's RTSP server, the password from ${ENV} in the config) decoded by real ffmpeg into real rings,
// the built-in motion clients and blob master, a user's process class, the real JPEG encoder child.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { parseConfigText } from '../src/service/config/index.js';
import { startHttp, type HttpServer } from '../src/service/http/index.js';
import { httpOptionsFor } from '../src/service/http_options.js';
import { startService, type Service } from '../src/service/service.js';
import { listSegments } from '../src/shm/index.js';
import { parsePrometheus, rawGet, readMjpeg, readSse } from './support/http_clients.js';
import { RtspTestServer } from './support/rtsp_test_server.js';

const FIXED_BOX = fileURLToPath(new URL('./fixtures/service/fixed_box_process.ts', import.meta.url));
const BOX = { x: 40, y: 40, width: 200, height: 140 };

const PASSWORD = 'Http-S3cret-pw!';
const TOKEN = 'service-http-token-9876';

function json(body: Buffer): Record<string, unknown> {
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
}

function expectNoSecret(text: string): void {
  for (const s of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN]) expect(text).not.toContain(s);
}

describe('service HTTP', () => {
  let rtsp: RtspTestServer;
  let service: Service;
  let http: HttpServer;
  let secured: HttpServer;
  const bodies: string[] = []; // every body seen, checked for secrets at the end

  const get = async (path: string, headers: Record<string, string> = {}, base = http.url) => {
    const r = await rawGet(base, path, headers);
    if (!String(r.headers['content-type']).startsWith('image/')) bodies.push(r.body.toString('utf8'));
    return r;
  };

  beforeAll(async () => {
    rtsp = await RtspTestServer.start({ width: 320, height: 240, fps: 10, user: 'admin', password: PASSWORD });
    // The password and the token only in the environment; the config names them.
    const yaml =
      `cameras:
  front: { source: synthetic://testsrc2, width: 320, height: 240, fps: 10, slots: 6 }
  wide: { source: synthetic://testsrc, width: 640, height: 360, fps: 10, slots: 6 }
  secure: { source: "rtsp://admin:\${SECURE_PASSWORD}@127.0.0.1:${rtsp.securePort}/secure", ` +
      `width: 320, height: 240, fps: 10, slots: 6 }
processes:
  - name: detect              # motion clients on the moving cameras, the blob master answering them
    shape: client-master
    cameras: [front, wide]
    client: { class: motion-client }
    master: { class: blob-master }
    forward: { by_reference: true }   # the master takes the cameras' frames in place (the copy: service_browser)
  - name: boxes               # a user's class: one known box on the RTSP camera
    class: { module: ${FIXED_BOX}, export: FixedBoxProcess }
    cameras: [secure]
    options: { box: { x: ${BOX.x}, y: ${BOX.y}, width: ${BOX.width}, height: ${BOX.height} } }
http:
  port: 0
  token: \${HTTP_TOKEN}
  mjpeg: { maxClientsPerCamera: 3 }
`;
    const parsed = parseConfigText(yaml, { env: { SECURE_PASSWORD: PASSWORD, HTTP_TOKEN: TOKEN } });
    service = await startService(parsed, { log: () => {} });
    const opts = httpOptionsFor(parsed.config);
    http = await startHttp(service, { ...opts, token: undefined }); // the same service, open, for most tests
    secured = await startHttp(service, opts); // exactly what the config asks: the token from ${HTTP_TOKEN}
    // Every camera streaming, rates measured (two polls), the processes' counters in.
    for (let i = 0; ; i++) {
      const s = service.stats();
      const cams = Object.values(s.cameras);
      if (
        cams.every((c) => c.state === 'streaming' && c.camera_fps > 0 && c.process_fps > 0) &&
        s.processes['detect-master']!.frames > 0
      )
        break;
      if (i > 300) throw new Error(`the service did not get going: ${JSON.stringify(s.cameras)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    expectNoSecret(bodies.join('\n'));
    await secured?.close();
    await http?.close();
    await service?.stop();
    await rtsp?.stop();
    expect(listSegments().filter((s) => s.name.startsWith(`svc${process.pid}-`))).toEqual([]);
  });

  it('binds to 127.0.0.1 by default and answers /healthz', async () => {
    expect(new URL(http.url).hostname).toBe('127.0.0.1');
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(json(r.body).status).toBe('ok');
  });

  it('lists cameras, stats (Frigate names) and the redacted config without any password', async () => {
    const cams = await get('/api/cameras');
    expect(cams.status).toBe(200);
    const list = JSON.parse(cams.body.toString()) as Array<{ name: string; width: number; source: string }>;
    expect(list.map((c) => c.name)).toEqual(['front', 'wide', 'secure']);
    expect(list[2]!.source).toContain('***');
    const stats = json((await get('/api/stats')).body) as {
      cameras: Record<string, Record<string, unknown>>;
      processes: Record<string, Record<string, unknown>>;
    };
    for (const name of ['front', 'wide', 'secure']) {
      const c = stats.cameras[name]!;
      for (const k of [
        'state',
        'camera_fps',
        'process_fps',
        'skipped_fps',
        'detection_fps',
        'frames',
        'dropped',
        'restarts',
        'last_error',
      ])
        expect(c).toHaveProperty(k);
      expect(c.state).toBe('streaming');
      expect(c.camera_fps).toBeGreaterThan(0);
      expect(c.process_fps).toBeGreaterThan(0);
    }
    expect(Object.keys(stats.processes)).toEqual(['detect-front', 'detect-wide', 'detect-master', 'boxes']);
    for (const p of Object.values(stats.processes)) {
      expect(p.pid).toBeGreaterThan(0);
      expect(p.rss_bytes).toBeGreaterThan(1e6);
    }
    expect(stats.cameras.front!.detection_fps).toBeGreaterThan(0);
    const config = await get('/api/config');
    expect(config.status).toBe(200);
    expect(config.body.toString()).toContain('secure');
  });

  it('latest.jpg decodes to the asked height, from a synthetic and from the RTSP camera', async () => {
    for (const [cam, height, width] of [
      ['front', 120, 160],
      ['wide', 180, 320],
      ['secure', 240, 320],
    ] as const) {
      const r = await get(`/api/cameras/${cam}/latest.jpg?height=${height}&quality=70`);
      expect(r.status, r.body.toString()).toBe(200);
      expect(r.headers['content-type']).toBe('image/jpeg');
      const meta = await sharp(r.body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
    }
    // No height: the camera's own size; never enlarged.
    const own = await sharp((await get('/api/cameras/wide/latest.jpg')).body).metadata();
    expect([own.width, own.height]).toEqual([640, 360]);
    const big = await sharp((await get('/api/cameras/front/latest.jpg?height=2000')).body).metadata();
    expect(big.height).toBe(240);
  });

  it('latest.jpg?boxes=1 draws the boxes of the latest objects event', async () => {
    // The 'boxes' process (a user's class) reports this box on the RTSP camera a few times a second.
    const box = BOX;
    let redOnEdge = 0;
    for (let attempt = 0; attempt < 10 && redOnEdge < 100; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
      const r = await get('/api/cameras/secure/latest.jpg?boxes=1&quality=95');
      expect(r.status).toBe(200);
      const { data, info } = await sharp(r.body).raw().toBuffer({ resolveWithObject: true });
      redOnEdge = 0;
      for (let x = box.x + 5; x < box.x + box.width - 5; x++) {
        const i = (box.y * info.width + x) * info.channels;
        if (data[i]! > 200 && data[i + 1]! < 110 && data[i + 2]! < 110) redOnEdge++;
      }
    }
    expect(redOnEdge).toBeGreaterThan(100);
    // Without boxes=1 the same picture has no red line there.
    const plain = await sharp((await get('/api/cameras/secure/latest.jpg?quality=95')).body)
      .raw()
      .toBuffer({ resolveWithObject: true });
    let red = 0;
    for (let x = box.x + 5; x < box.x + box.width - 5; x++) {
      const i = (box.y * plain.info.width + x) * plain.info.channels;
      if (plain.data[i]! > 200 && plain.data[i + 1]! < 110 && plain.data[i + 2]! < 110) red++;
    }
    expect(red).toBeLessThan(60);
  });

  it('MJPEG: a client parses JPEG frames at its fps, at the asked height', async () => {
    const r = await readMjpeg(http.url, '/api/cameras/wide/stream.mjpeg?fps=5&height=180', 2000);
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^multipart\/x-mixed-replace; boundary=/);
    console.log(`MJPEG: ${r.frames.length} JPEG frames in 2 s at fps=5 (wide, 640×360 → 320×180)`);
    expect(r.frames.length).toBeGreaterThanOrEqual(8);
    expect(r.frames.length).toBeLessThanOrEqual(13);
    for (const f of r.frames) expect([f[0], f[1], f.at(-2), f.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    const meta = await sharp(r.frames.at(-1)!).metadata();
    expect([meta.width, meta.height]).toEqual([320, 180]);
  });

  it('MJPEG: viewers of one size share one encode; over the cap is a 503 with a JSON error', async () => {
    const encodedBefore = (json((await get('/api/stats')).body).http as { jpeg_encoded: number }).jpeg_encoded;
    const t0 = Date.now();
    const viewers = [1, 2, 3].map(() => readMjpeg(http.url, '/api/cameras/front/stream.mjpeg?fps=5&height=120', 3000));
    await new Promise((r) => setTimeout(r, 800));
    const stats = json((await get('/api/stats')).body).http as { mjpeg_clients: number; jpeg_feeds: number };
    expect(stats).toMatchObject({ mjpeg_clients: 3, jpeg_feeds: 1 });
    const over = await get('/api/cameras/front/stream.mjpeg?fps=5&height=120');
    expect(over.status).toBe(503);
    expect(json(over.body).code).toBe('TOO_MANY_CLIENTS');
    const results = await Promise.all(viewers);
    for (const v of results) expect(v.frames.length).toBeGreaterThanOrEqual(12);
    await new Promise((r) => setTimeout(r, 1200)); // the child reports its count once a second
    const encoded =
      (json((await get('/api/stats')).body).http as { jpeg_encoded: number }).jpeg_encoded - encodedBefore;
    const seconds = (Date.now() - t0) / 1000;
    // One feed at 5 fps (plus the snapshots of other tests, none here): far below 3 viewers × 5 fps.
    expect(encoded).toBeLessThanOrEqual(5 * seconds + 3);
    expect(encoded).toBeGreaterThanOrEqual(10);
  });

  it('/api/events delivers events, and stats with ?stats=1', async () => {
    const events = (m: Array<{ event: string; data: string }>) =>
      m
        .filter((x) => x.event === 'message')
        .map((x) => JSON.parse(x.data) as { camera: string; kind: string; source: string });
    const r = await readSse(http.url, '/api/events?stats=1&recent=0', 8000, {
      until: (m) =>
        ['motion', 'objects'].every((k) => events(m).some((e) => e.kind === k)) && m.some((x) => x.event === 'stats'),
    });
    expect(r.status).toBe(200);
    // Live events of both kinds, from the real processes, named by camera.
    for (const e of events(r.messages)) {
      expect(['front', 'wide', 'secure']).toContain(e.camera);
      expect(['motion', 'objects']).toContain(e.kind);
    }
    const ev = events(r.messages).find((e) => e.kind === 'objects')!;
    expect(['front', 'wide', 'secure']).toContain(ev.camera);
    expect(ev.kind).toBe('objects');
    expect(['detect-master', 'boxes']).toContain(ev.source);
    expect(events(r.messages).find((e) => e.kind === 'motion')!.source).toMatch(/^detect-(front|wide)$/);
    const st = JSON.parse(r.messages.find((m) => m.event === 'stats')!.data) as { cameras: Record<string, unknown> };
    expect(Object.keys(st.cameras)).toEqual(['front', 'wide', 'secure']);
    bodies.push(r.raw);
  });

  it('/metrics is Prometheus text with the camera, process, shm and client metrics', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(r.body.toString());
    const one = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    for (const cam of ['front', 'wide', 'secure']) {
      expect(one('framering_camera_fps', { camera: cam })!.value).toBeGreaterThan(5);
      expect(one('framering_camera_frames_total', { camera: cam })!.value).toBeGreaterThan(10);
      expect(one('framering_camera_dropped_total', { camera: cam })).toBeDefined();
      expect(one('framering_camera_restarts_total', { camera: cam })).toBeDefined();
    }
    expect(types.get('framering_camera_frames_total')).toBe('counter');
    expect(types.get('framering_camera_fps')).toBe('gauge');
    for (const proc of ['detect-front', 'detect-wide', 'detect-master', 'boxes']) {
      expect(one('framering_process_cpu_percent', { process: proc }), proc).toBeDefined();
      expect(one('framering_process_resident_memory_bytes', { process: proc })!.value).toBeGreaterThan(1e6);
      expect(one('framering_process_frames_total', { process: proc })!.value).toBeGreaterThan(0);
    }
    expect(one('framering_shm_used_bytes')!.value).toBeGreaterThan(0);
    expect(one('framering_http_clients', { kind: 'mjpeg' })).toBeDefined();
  });

  it('404 for an unknown camera or route, 400 naming a bad query value', async () => {
    for (const path of ['/api/cameras/nope/latest.jpg', '/api/cameras/nope/stream.mjpeg']) {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(json(r.body)).toMatchObject({ code: 'UNKNOWN_CAMERA' });
    }
    const nf = await get('/api/nothing?token=abc');
    expect(nf.status).toBe(404);
    expect(json(nf.body).code).toBe('NOT_FOUND');
    expect(nf.body.toString()).not.toContain('token');
    const bad: Array<[string, string]> = [
      ['/api/cameras/front/latest.jpg?height=abc', 'height'],
      ['/api/cameras/front/latest.jpg?height=8', 'height'],
      ['/api/cameras/front/latest.jpg?quality=0', 'quality'],
      ['/api/cameras/front/latest.jpg?quality=101', 'quality'],
      ['/api/cameras/front/latest.jpg?boxes=maybe', 'boxes'],
      ['/api/cameras/front/latest.jpg?height=100&height=200', 'height'],
      ['/api/cameras/front/latest.jpg?heigth=100', 'heigth'],
      ['/api/cameras/front/stream.mjpeg?fps=0', 'fps'],
      ['/api/cameras/front/stream.mjpeg?fps=100', 'fps'],
      ['/api/cameras/front/stream.mjpeg?height=1.5', 'height'],
      ['/api/events?recent=-1', 'recent'],
      ['/api/stats?x=1', 'x'],
    ];
    for (const [path, param] of bad) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const b = json(r.body);
      expect(b, path).toMatchObject({ code: 'BAD_QUERY', param });
      expect(String(b.message)).toContain(param);
    }
  });

  it('path traversal gets nowhere', async () => {
    const attempts = [
      '/..%2f..%2fetc/passwd',
      '/../../etc/passwd',
      '/static/..%2f..%2f..%2fpackage.json',
      '/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/static/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/static/..%5c..%5cpackage.json',
      '/static/.%2e/.%2e/.%2e/package.json',
      '/static/app.js%00.html',
      '/api/cameras/..%2F..%2Fpackage.json/latest.jpg',
      '/api/cameras/%2e%2e/latest.jpg',
      '/api/cameras/..%2F..%2F..%2Fetc%2Fpasswd/stream.mjpeg',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect([400, 404], path).toContain(r.status);
      const text = r.body.toString();
      expect(text, path).not.toContain('"name": "framering"');
      expect(text, path).not.toContain('root:');
      expect(() => JSON.parse(text), path).not.toThrow();
    }
    const ok = await get('/static/app.js');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/javascript/);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('token: 401 without it, bearer header, ?token= once then a cookie; /healthz stays open', async () => {
    const base = secured.url;
    for (const path of [
      '/',
      '/api/stats',
      '/api/cameras',
      '/api/config',
      '/metrics',
      '/api/events',
      '/api/cameras/front/latest.jpg',
      '/static/app.js',
      '/nope',
    ]) {
      const r = await get(path, {}, base);
      expect(r.status, path).toBe(401);
      expect(json(r.body).code).toBe('UNAUTHORIZED');
      expect(r.headers['www-authenticate']).toContain('Bearer');
    }
    expect((await get('/api/stats', { authorization: 'Bearer wrong-token-xxxxxxx' }, base)).status).toBe(401);
    expect((await get('/api/stats', { authorization: `Bearer ${TOKEN}x` }, base)).status).toBe(401);
    expect((await get('/healthz', {}, base)).status).toBe(200);
    const withHeader = await get(
      '/api/cameras/front/latest.jpg?height=120',
      { authorization: `Bearer ${TOKEN}` },
      base,
    );
    expect(withHeader.status).toBe(200);
    expect((await sharp(withHeader.body).metadata()).height).toBe(120);
    // The browser flow: ?token= on / → cookie + redirect to / (the token leaves the address bar).
    const first = await get(`/?token=${TOKEN}`, {}, base);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await get('/', { cookie: session }, base)).status).toBe(200);
    expect((await get('/api/stats', { cookie: session }, base)).status).toBe(200);
    const mj = await readMjpeg(base, '/api/cameras/front/stream.mjpeg?fps=5&height=120', 1200, {
      headers: { cookie: session },
    });
    expect(mj.status).toBe(200);
    expect(mj.frames.length).toBeGreaterThan(2);
    expect((await get('/api/stats', { cookie: 'framering_session=forged' }, base)).status).toBe(401);
  });

  it('a killed JPEG encoder is restarted and pictures come back', async () => {
    const pid = (json((await get('/api/stats')).body).http as { encoder_pid: number }).encoder_pid;
    process.kill(pid, 'SIGKILL');
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await get('/api/cameras/front/latest.jpg?height=120')).status;
    }
    expect(status).toBe(200);
    const http2 = json((await get('/api/stats')).body).http as { encoder_pid: number; encoder_restarts: number };
    expect(http2.encoder_pid).not.toBe(pid);
    expect(http2.encoder_restarts).toBe(1);
  });

  it('no password in any body: stats, cameras, config, events, metrics, errors', async () => {
    const texts = await Promise.all(
      [
        '/api/stats',
        '/api/cameras',
        '/api/config',
        '/metrics',
        '/api/cameras/nope/latest.jpg',
        '/api/cameras/secure/latest.jpg?height=x',
      ].map(async (p) => (await get(p)).body.toString()),
    );
    const sse = await readSse(http.url, '/api/events?stats=1&recent=50', 1500);
    texts.push(sse.raw);
    for (const t of texts) expectNoSecret(t);
    expect(texts.join('')).toContain('secure');
  });
});
