// `framering serve` as a user runs it (the CLI in a child process, a config file, the camera password and the
// token only in its environment), its dashboard in a real headless Chromium: tiles show live pictures (two
// screenshots a second apart differ in every tile), stats text updates, the real processes and events show,
// boxes are drawn, the token cookie flow works for <img> and EventSource, and SIGTERM leaves nothing behind.
// The README's screenshot is made by scripts/dashboard_screenshot.ts on the built-in config.
// The callbacks given to page.evaluate/$$eval run in the browser, so this file needs the DOM types.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Browser, Page } from 'puppeteer-core';
import { CHROMIUM, launchChromium } from './support/chromium.js';
import { RtspTestServer } from './support/rtsp_test_server.js';
import { startServeCli, type ServeCli } from './support/serve_cli.js';

const TOKEN = 'browser-test-token-1234';
const PASSWORD = 'dash-pa55-s3cret';

async function tileRects(
  page: Page,
): Promise<Array<{ name: string; x: number; y: number; width: number; height: number }>> {
  return page.$$eval('.tile', (tiles) =>
    tiles.map((t) => {
      const r = (t.querySelector('.media') as HTMLElement).getBoundingClientRect();
      return {
        name: (t as HTMLElement).dataset.camera ?? '',
        x: Math.round(r.x),
        y: Math.round(r.y),
        width: Math.round(r.width),
        height: Math.round(r.height),
      };
    }),
  );
}

async function crop(png: Uint8Array, r: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
  return sharp(png).extract({ left: r.x, top: r.y, width: r.width, height: r.height }).raw().toBuffer();
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in headless Chromium', () => {
  let rtsp: RtspTestServer;
  let serve: ServeCli;
  let dir: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;

  beforeAll(async () => {
    rtsp = await RtspTestServer.start({
      width: 640,
      height: 360,
      fps: 10,
      pattern: 'ball',
      user: 'viewer',
      password: PASSWORD,
    });
    dir = mkdtempSync(join(tmpdir(), 'framering-browser-'));
    const config = join(dir, 'cameras.yaml');
    writeFileSync(
      config,
      `cameras:
  front-door: { source: synthetic://testsrc2, width: 640, height: 360, fps: 8 }
  yard:
    source: rtsp://127.0.0.1:${rtsp.securePort}/secure
    username: viewer
    password: \${YARD_PASSWORD}
    width: 640
    height: 360
    fps: 8
  garage: { source: synthetic://testsrc, width: 640, height: 360, fps: 8 }
  driveway: { source: synthetic://testsrc2, width: 640, height: 360, fps: 8 }
processes:
  - name: detect
    shape: client-master
    client: { class: motion-client }
    master: { class: blob-master }
http:
  port: 8321                # --port 0 wins
  token: \${FRAMERING_TOKEN}
`,
    );
    serve = await startServeCli(['--config', config, '--port', '0'], {
      YARD_PASSWORD: PASSWORD,
      FRAMERING_TOKEN: TOKEN,
    });
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    const end = await serve?.stop();
    await rtsp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (end) {
      // Ctrl-C / SIGTERM: everything stopped in order, exit 0, nothing in /dev/shm, no secret in anything it said.
      expect(end).toEqual({ code: 0, signal: null, leftInShm: [] });
      expect(serve.stderr()).toMatch(/stopping \(SIGTERM\)[\s\S]*stopped/);
      for (const secret of [PASSWORD, TOKEN]) expect(serve.stdout() + serve.stderr()).not.toContain(secret);
    }
  });

  it('shows every camera live, updates its stats, and draws boxes', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // The token once in the URL; the service sets its cookie and sends the browser to / without it.
    await page.goto(`${serve.base}/?token=${TOKEN}`, { waitUntil: 'domcontentloaded' });
    expect(new URL(page.url()).search).toBe('');
    await page.waitForFunction(() => document.querySelectorAll('.tile').length === 4, { timeout: 15_000 });
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('.tile .pic')].every((i) => i.naturalWidth > 0),
      { timeout: 20_000 },
    );
    await page.waitForFunction(() => document.querySelector('#live')?.classList.contains('on'), { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('#procs tr td').length >= 7, { timeout: 10_000 });
    // The real processes: 4 motion clients and the master, each with a pid, an RSS and frames counted.
    await page.waitForFunction(
      () => {
        const trs = [...document.querySelectorAll<HTMLElement>('#procs tr')];
        const rows = trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
        // name, pid, CPU, RSS, frames, replies; the state on the row (a dot before the name)
        return (
          rows.length === 5 &&
          trs.every((tr) => tr.dataset.state === 'running') &&
          rows.every(
            (r) => Number(r[1]) > 0 && /%$/.test(r[2]!) && /MiB/.test(r[3]!) && Number(r[4]!.replace(/,/g, '')) > 0,
          )
        );
      },
      { timeout: 15_000 },
    );
    const procNames = await page.$$eval('#procs tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(procNames).toEqual([
      'detect-front-door',
      'detect-yard',
      'detect-garage',
      'detect-driveway',
      'detect-master',
    ]);
    // Real events in the list (motion from the clients, objects from the master).
    await page.waitForFunction(
      () => {
        const tags = [...document.querySelectorAll('#events li .tag')].map((t) => t.textContent);
        return tags.includes('motion') && tags.includes('objects');
      },
      { timeout: 15_000 },
    );

    const statsText = () =>
      page.$$eval('.tile .s-in, .tile .fps, #chip-uptime, #procs', (els) => els.map((e) => e.textContent).join('|'));
    const rects = await tileRects(page);
    expect(rects.map((r) => r.name).sort()).toEqual(['driveway', 'front-door', 'garage', 'yard']);
    const text1 = await statsText();
    const shot1 = await page.screenshot({ type: 'png' });
    await new Promise((r) => setTimeout(r, 1000));
    const shot2 = await page.screenshot({ type: 'png' });
    for (const r of rects) {
      const d = meanAbsDiff(await crop(shot1, r), await crop(shot2, r));
      expect(d, `tile ${r.name} did not change between screenshots`).toBeGreaterThan(0.5);
    }
    await page.waitForFunction(
      (before) => {
        const now = [...document.querySelectorAll('.tile .s-in, .tile .fps, #chip-uptime, #procs')]
          .map((e) => e.textContent)
          .join('|');
        return now !== before;
      },
      { timeout: 5_000 },
      text1,
    );
    // The tiles show the streaming state and a plausible rate.
    const states = await page.$$eval('.tile .state', (els) => els.map((e) => e.textContent));
    expect(states).toEqual(['streaming', 'streaming', 'streaming', 'streaming']);
    // Boxes: the overlay canvas of a moving camera has coloured pixels.
    await page.waitForFunction(
      () => {
        const c = document.querySelector<HTMLCanvasElement>('.tile[data-camera="yard"] .boxes');
        if (!c || c.width === 0) return false;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4 * 7) if (d[i]! > 0) return true;
        return false;
      },
      { timeout: 10_000 },
    );
    const body = await page.content();
    expect(body).not.toContain(PASSWORD);
    expect(body).not.toContain(TOKEN);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without the token the dashboard gets 401 and no picture', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    const res = await page.goto(`${serve.base}/`);
    expect(res?.status()).toBe(401);
    // innerText is the text as shown (hidden elements left out, CSS line breaks kept); textContent is not.
    // biome-ignore lint/performance/useDomNodeTextContent: the test reads what a person sees
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('UNAUTHORIZED');
    expect(text).not.toContain(TOKEN);
    await ctx.close();
  });
});
