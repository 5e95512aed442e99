/**
 * examples/browser/ in headless Chromium (Debian's `chromium` package, driven by playwright-core over the
 * DevTools protocol; no browser download): bundled by its build.mjs, served from 127.0.0.1, it trains a world
 * model a few steps and shows the loss, on WebGPU where the browser has an adapter (SwiftShader here), and on
 * the CPU backend, saying so on the page, where it has none. Skipped, saying why, where no Chromium is installed
 * (scripts/bootstrap.mjs installs it as root on Debian/Ubuntu); in CI (CI=true) a missing Chromium fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './run.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? process.env.CHROMIUM_PATH;
if (!CHROMIUM) {
  if (process.env.CI === 'true') throw new Error('CI=true but no Chromium (/usr/bin/chromium): the browser example would not be tested. apt-get install chromium');
  console.warn('browser-page.test.ts: skipped: no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)');
}
const PAGE_DIR = join(ROOT, 'examples', 'browser');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

let server: Server;
let base = '';
let browser: Browser | null = null;

async function open(args: string[], steps: number) {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', ...args] });
  const page = await browser.newPage();
  const console: string[] = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(`${base}/index.html?steps=${steps}`);
  await page.waitForSelector('#result:not([data-status="running"])', { timeout: 150_000 });
  const read = await page.evaluate(() => {
    const r = document.getElementById('result')!;
    return {
      status: r.dataset.status,
      backend: r.dataset.backend,
      losses: JSON.parse(r.dataset.losses ?? '[]') as number[],
      text: r.textContent,
      shownBackend: document.getElementById('backend')!.textContent,
      notice: document.getElementById('notice')!.hidden ? null : document.getElementById('notice')!.textContent,
      log: document.getElementById('log')!.textContent,
    };
  });
  await browser.close();
  browser = null;
  return { ...read, console };
}

describe.skipIf(!CHROMIUM)('examples/browser in headless Chromium', () => {
  beforeAll(async () => {
    const { bundle } = await import(join(PAGE_DIR, 'build.mjs'));
    await bundle();
    server = createServer((req, res) => {
      const path = normalize(join(PAGE_DIR, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      if (!path.startsWith(PAGE_DIR) || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('trains on navigator.gpu where Chromium has a WebGPU adapter, and shows the loss', async () => {
    const r = await open(['--enable-unsafe-webgpu'], 20);
    expect(r.status, `page: ${r.text}\n${r.log}\n${r.console.join('\n')}`).toBe('done');
    if (r.backend !== 'webgpu') {
      // Chromium offered no adapter (it gives SwiftShader's on the project's machines): the page must say so.
      if (process.env.CI === 'true') throw new Error(`CI=true but headless Chromium offered no WebGPU adapter: ${r.notice}`);
      expect(r.notice).toMatch(/No WebGPU adapter/);
      console.warn(`browser-page.test.ts: Chromium offered no WebGPU adapter (${r.notice}); the page trained on the CPU backend`);
    } else {
      expect(r.shownBackend).toMatch(/^WebGPU/);
      expect(r.notice).toBeNull();
    }
    expect(r.losses).toHaveLength(20);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.losses.slice(-5)), `losses ${r.losses.map((l) => l.toFixed(2)).join(' ')}`).toBeLessThan(mean(r.losses.slice(0, 5)));
    expect(r.text).toMatch(/^loss [\d.-]+ -> [\d.-]+$/);
  }, 180_000);

  it('without WebGPU it trains on the CPU backend and says so on the page', async () => {
    const r = await open(['--disable-features=WebGPU', '--disable-gpu'], 5);
    expect(r.status, `page: ${r.text}\n${r.log}\n${r.console.join('\n')}`).toBe('done');
    expect(r.backend).toBe('cpu');
    expect(r.shownBackend).toMatch(/^CPU/);
    expect(r.notice).toMatch(/^No WebGPU adapter: .+ Training on the CPU backend instead/);
    expect(r.losses).toHaveLength(5);
    expect(r.losses.every(Number.isFinite)).toBe(true);
  }, 180_000);
});
