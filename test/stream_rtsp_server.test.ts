// The RTSP test camera itself: real ffmpeg decodes its /test and /secure mounts over TCP and UDP, and it comes
// back on the same port after a kill.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GST_SMPTE_BARS, barsError } from './support/frames.js';
import { RtspTestServer } from './support/rtsp_test_server.js';

const WIDTH = 320;
const HEIGHT = 240;

function grabFrame(url: string, transport: 'tcp' | 'udp'): Promise<{ pixels: Buffer; stderr: string }> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-rtsp_transport',
    transport,
    '-timeout',
    '10000000',
    '-i',
    url,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/ffmpeg',
      args,
      { encoding: 'buffer', timeout: 30_000, maxBuffer: 1 << 22 },
      (_err, stdout, stderr) => resolve({ pixels: stdout, stderr: stderr.toString() }),
    );
  });
}

function bars(pixels: Buffer) {
  return { pixels: new Uint8Array(pixels), meta: { width: WIDTH, height: HEIGHT } as never };
}

describe('RTSP test server', () => {
  let server: RtspTestServer;
  beforeAll(async () => {
    server = await RtspTestServer.start({ width: WIDTH, height: HEIGHT, fps: 10, password: 'pa55-word' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves SMPTE bars over TCP and UDP', async () => {
    for (const transport of ['tcp', 'udp'] as const) {
      const { pixels, stderr } = await grabFrame(server.url(), transport);
      expect(pixels.length, stderr).toBe(WIDTH * HEIGHT * 3);
      expect(barsError(bars(pixels), GST_SMPTE_BARS)).toBeLessThan(40);
    }
  });

  it('protects /secure with basic auth', async () => {
    const ok = await grabFrame(server.secureUrl(), 'tcp');
    expect(ok.pixels.length, ok.stderr).toBe(WIDTH * HEIGHT * 3);
    const wrong = await grabFrame(server.secureUrl('user', 'wrong'), 'tcp');
    expect(wrong.pixels.length).toBe(0);
    expect(wrong.stderr).toMatch(/401|Unauthorized/);
  });

  it('restarts on the same ports after a kill', async () => {
    const { port, securePort } = server;
    await server.kill();
    expect(server.running).toBe(false);
    const refused = await grabFrame(server.url(), 'tcp');
    expect(refused.pixels.length).toBe(0);
    await server.restart();
    expect([server.port, server.securePort]).toEqual([port, securePort]);
    const { pixels, stderr } = await grabFrame(server.url(), 'tcp');
    expect(pixels.length, stderr).toBe(WIDTH * HEIGHT * 3);
  });
});
