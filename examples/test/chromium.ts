/**
 * Headless Chromium for the browser-page tests: Debian's `chromium` package driven by playwright-core over the
 * DevTools protocol (no browser download), and a static server for examples/browser/ on 127.0.0.1.
 * Where no Chromium is installed the tests skip, saying why (scripts/bootstrap.mjs --browser installs it as root
 * on Debian/Ubuntu); in CI (CI=true) a missing Chromium fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? process.env.CHROMIUM_PATH;

/** Throws in CI, warns otherwise, when there is no Chromium; returns whether the tests can run. */
export function haveChromium(test: string): boolean {
  if (CHROMIUM) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but no Chromium (/usr/bin/chromium): ${test} would not run. apt-get install chromium`);
  console.warn(`${test}: skipped: no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)`);
  return false;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.json': 'application/json' };

/** Serves dir's files (404 outside it); returns the base URL and a close function. */
export async function serve(dir: string): Promise<{ base: string; close: () => void }> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(dir) || !existsSync(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/**
 * Opens url in a fresh headless Chromium with the given flags, waits until #result leaves data-status
 * "running", runs read(page) and closes the browser. Returns what read returned and the page's console lines.
 */
export async function runPage<T>(url: string, args: string[], read: (page: Page) => Promise<T>, timeoutMs = 150_000): Promise<T & { console: string[] }> {
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', ...args] });
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForSelector('#result:not([data-status="running"])', { timeout: timeoutMs });
    return { ...(await read(page)), console: lines };
  } finally {
    await browser?.close();
  }
}

/** Chromium's flags: WebGPU on (SwiftShader's adapter where there is no GPU), or off (the page's CPU fallback). */
export const WEBGPU_ON = ['--enable-unsafe-webgpu'];
export const WEBGPU_OFF = ['--disable-features=WebGPU', '--disable-gpu'];
