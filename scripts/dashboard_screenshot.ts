/// <reference lib="dom" />  // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
/**
 * `npm run screenshot [-- OUT.png] [--config FILE]`: the README's picture of the dashboard. Runs `framering serve`
 * as a user does (the CLI, the built-in config unless --config, a free port), opens the dashboard in headless
 * Debian Chromium through puppeteer-core (a fresh profile, removed after), waits until every tile has a picture,
 * the processes and events are in, and saves a screenshot (default docs/dashboard.png). SIGTERM stops the service.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';

const { values, positionals } = parseArgs({
  options: { config: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' } },
  allowPositionals: true,
});
const out = positionals[0] ?? 'docs/dashboard.png';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'src/service/cli.ts',
    'serve',
    '--port',
    '0',
    ...(values.config ? ['--config', values.config] : []),
  ],
  {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
let stdout = '';
child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
const profile = mkdtempSync(join(tmpdir(), 'framering-screenshot-'));
let browser: Awaited<ReturnType<typeof puppeteer.launch>> | null = null;
let code = 0;
try {
  let url: string | null = null;
  for (let i = 0; i < 600 && !url; i++) {
    url = /framering: open (http:\/\/\S+)/.exec(stdout)?.[1] ?? null;
    if (child.exitCode !== null) throw new Error('framering serve exited before printing its URL');
    if (!url) await new Promise((r) => setTimeout(r, 100));
  }
  if (!url) throw new Error('framering serve printed no URL within 60 s');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
    ],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: Number(values.width ?? 1440), height: Number(values.height ?? 640) });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(
    () => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('.tile .pic')];
      return imgs.length > 0 && imgs.every((i) => i.naturalWidth > 0);
    },
    { timeout: 30_000 },
  );
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#procs tr td:nth-child(6)')].some(
        (td) => Number((td.textContent ?? '').replace(/,/g, '')) > 0,
      ),
    { timeout: 20_000 },
  );
  await page.waitForFunction(() => document.querySelectorAll('#events li:not(.empty)').length >= 8, {
    timeout: 20_000,
  });
  await new Promise((r) => setTimeout(r, 3000)); // rates settle, more events in the list
  // A moment when the most tiles show boxes (a test pattern holds nothing the object detector knows).
  const boxedTiles = () =>
    page.evaluate(
      () =>
        [...document.querySelectorAll<HTMLCanvasElement>('.tile .boxes')].filter((c) => {
          const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
          if (!d) return false;
          for (let i = 3; i < d.length; i += 4 * 13) if (d[i]! > 200) return true;
          return false;
        }).length,
    );
  let best = 0;
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    const n = await boxedTiles();
    if (n > best) {
      best = n;
      await page.screenshot({ path: out as `${string}.png`, type: 'png' });
    }
    if (n === (await page.$$('.tile')).length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (best === 0) throw new Error('no tile showed boxes within 10 s');
  if (errors.length > 0) throw new Error(`errors in the page: ${errors.join('; ')}`);
  process.stderr.write(`screenshot: ${out}\n`);
} catch (err) {
  process.stderr.write(`screenshot: ${(err as Error).message}\n`);
  code = 1;
} finally {
  await browser?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  child.kill('SIGTERM');
  const served = await exited;
  if (served !== 0) code = 1;
}
process.exit(code);
