/**
 * examples/browser/ in headless Chromium (Debian's `chromium` package, driven by playwright-core over the
 * DevTools protocol; no browser download): bundled by its build.mjs, served from 127.0.0.1, it trains a world
 * model a few steps and shows the loss, on WebGPU where the browser has an adapter (SwiftShader here), and on
 * the CPU backend, saying so on the page, where it has none. Skipped, saying why, where no Chromium is installed
 * (chromium.ts; scripts/bootstrap.mjs installs it as root on Debian/Ubuntu); in CI (CI=true) a missing Chromium fails.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, runPage, serve, WEBGPU_OFF, WEBGPU_ON } from './chromium.js';
import { ROOT } from './run.js';

const PAGE_DIR = join(ROOT, 'examples', 'browser');
let server: { base: string; close: () => void } | null = null;

function open(args: string[], steps: number) {
  return runPage(`${server!.base}/index.html?steps=${steps}`, args, (page) =>
    page.evaluate(() => {
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
    }),
  );
}

describe.skipIf(!haveChromium('browser-page.test.ts'))('examples/browser in headless Chromium', () => {
  beforeAll(async () => {
    const { bundle } = await import(join(PAGE_DIR, 'build.mjs'));
    await bundle();
    server = await serve(PAGE_DIR);
  }, 60_000);
  afterAll(() => server?.close());

  it('trains on navigator.gpu where Chromium has a WebGPU adapter, and shows the loss', async () => {
    const r = await open(WEBGPU_ON, 20);
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
    const r = await open(WEBGPU_OFF, 5);
    expect(r.status, `page: ${r.text}\n${r.log}\n${r.console.join('\n')}`).toBe('done');
    expect(r.backend).toBe('cpu');
    expect(r.shownBackend).toMatch(/^CPU/);
    expect(r.notice).toMatch(/^No WebGPU adapter: .+ Training on the CPU backend instead/);
    expect(r.losses).toHaveLength(5);
    expect(r.losses.every(Number.isFinite)).toBe(true);
  }, 180_000);
});
