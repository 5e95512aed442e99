/**
 * examples/browser/agent.html in headless Chromium (see chromium.ts): the deployed TWIST agent committed in
 * examples/browser/agent/ runs a short cartpole-balance episode on a held-out visual domain in the page, from
 * the camera images it renders, on WebGPU where Chromium has an adapter (SwiftShader here) and on the CPU
 * backend, saying so, where it has none. Checked against the same agent in Node: @twist/distil/node's
 * DeployedAgent.load of the same directory, evaluated by @twist/agent/node's evaluate() on the same seed and
 * held-out domain (VisualDR, VecEnv). The CPU page must act as Node's CPU run does to float rounding; the
 * WebGPU page (a GPU renderer, f32 kernels) closely.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevice } from '@twist/kernels';
import { evaluate } from '@twist/agent/node';
import { DeployedAgent } from '@twist/distil/node';
import { haveChromium, runPage, serve, WEBGPU_OFF, WEBGPU_ON } from './chromium.js';
import { ROOT } from './run.js';

const PAGE_DIR = join(ROOT, 'examples', 'browser');
const STEPS = 100; // control steps: 50 actions at cartpole's action repeat 2
const SEED = 3;
const COMPARED = 20; // the actions the page reports

let server: { base: string; close: () => void } | null = null;
/** The Node run of the committed agent: its actions and return on the page's episode. */
let reference: { actions: number[]; ret: number };

async function nodeReference(): Promise<{ actions: number[]; ret: number }> {
  const device = await createDevice({ backend: 'cpu' });
  const agent = DeployedAgent.load(device, join(PAGE_DIR, 'agent'));
  const actions: number[] = [];
  const recorder = {
    observes: 'image' as const,
    imageSize: agent.imageSize,
    act: async (...a: Parameters<DeployedAgent['act']>) => {
      const out = await agent.act(...a);
      actions.push(...out);
      return out;
    },
    resetPolicy: () => agent.resetPolicy(),
  };
  const r = await evaluate(device, recorder, { task: 'cartpole-balance', domain: 'heldout', episodes: 1, seed: SEED, episodeLength: STEPS, references: false });
  agent.dispose();
  device.destroy();
  return { actions, ret: r.returns[0] };
}

async function openAgentPage(args: string[]) {
  return runPage(`${server!.base}/agent.html?steps=${STEPS}&seed=${SEED}`, args, (page) =>
    page.evaluate(() => {
      const r = document.getElementById('result')!;
      const notice = document.getElementById('notice')!;
      const canvas = document.getElementById('camera') as HTMLCanvasElement;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = new Map<number, number>();
      for (let i = 0; i < px.length; i += 4) {
        const c = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      return {
        status: r.dataset.status,
        text: r.textContent,
        backend: r.dataset.backend,
        ret: Number(r.dataset.return),
        steps: Number(r.dataset.steps),
        agentSteps: Number(r.dataset.agentSteps),
        actions: JSON.parse(r.dataset.actions ?? '[]') as number[],
        shownBackend: document.getElementById('backend')!.textContent,
        shownReturn: document.getElementById('return')!.textContent,
        notice: notice.hidden ? null : notice.textContent,
        colours: counts.size,
        dominant: Math.max(...counts.values()) / (px.length / 4),
        log: document.getElementById('log')!.textContent,
      };
    }),
  );
}

type PageRead = Awaited<ReturnType<typeof openAgentPage>>;

/** What every run of the page must show: the requested episode, a bounded return, a drawn camera view. */
function expectEpisode(r: PageRead): void {
  expect(r.status, `page: ${r.text}\n${r.log}\n${r.console.join('\n')}`).toBe('done');
  expect(r.steps).toBe(STEPS);
  expect(r.agentSteps).toBe(STEPS / 2);
  expect(Number.isFinite(r.ret)).toBe(true);
  expect(r.ret).toBeGreaterThanOrEqual(0);
  expect(r.ret).toBeLessThanOrEqual(STEPS);
  expect(Number(r.shownReturn)).toBeCloseTo(r.ret, 1);
  // the held-out domain's background, floor and cartpole: not a blank or flat canvas (42 colours measured)
  expect(r.colours, 'distinct colours on the camera canvas').toBeGreaterThan(8);
  expect(r.dominant, 'fraction of the canvas in its commonest colour').toBeLessThan(0.9);
  expect(r.actions).toHaveLength(COMPARED);
  expect(r.text).toMatch(/^return [\d.]+ over 100 control steps \(50 actions/);
}

describe.skipIf(!haveChromium('browser-agent.test.ts'))('examples/browser/agent.html in headless Chromium', () => {
  beforeAll(async () => {
    const { bundle } = await import(join(PAGE_DIR, 'build.mjs'));
    await bundle();
    server = await serve(PAGE_DIR);
    reference = await nodeReference();
    expect(reference.actions).toHaveLength(STEPS / 2);
  }, 120_000);
  afterAll(() => server?.close());

  it('without WebGPU: the CPU backend, said on the page, and the actions of the same agent evaluated in Node', async () => {
    const r = await openAgentPage(WEBGPU_OFF);
    expectEpisode(r);
    expect(r.backend).toBe('cpu');
    expect(r.shownBackend).toMatch(/^CPU/);
    expect(r.notice).toMatch(/^No WebGPU adapter: .+ on the CPU backend instead/);
    // the same code on the same backend: Node's and the page's runs agree to float rounding
    for (let i = 0; i < COMPARED; i++) expect(r.actions[i], `action ${i}: page ${r.actions[i]}, Node ${reference.actions[i]}`).toBeCloseTo(reference.actions[i], 4);
    expect(r.ret).toBeCloseTo(reference.ret, 2);
  }, 180_000);

  it('on navigator.gpu where Chromium has an adapter: close to the Node run of the same agent', async () => {
    const r = await openAgentPage(WEBGPU_ON);
    expectEpisode(r);
    if (r.backend !== 'webgpu') {
      if (process.env.CI === 'true') throw new Error(`CI=true but headless Chromium offered no WebGPU adapter: ${r.notice}`);
      expect(r.notice).toMatch(/No WebGPU adapter/);
      console.warn(`browser-agent.test.ts: Chromium offered no WebGPU adapter (${r.notice}); the page ran on the CPU backend`);
    } else {
      expect(r.shownBackend).toMatch(/^WebGPU/);
      expect(r.notice).toBeNull();
    }
    // The GPU renderer and f32 kernels may differ from the CPU reference in edge pixels and rounding only: on
    // SwiftShader the 20 actions agree to 1e-6 and the return to 1e-4; a hardware GPU gets room for edge pixels.
    const worst = Math.max(...r.actions.map((a, i) => Math.abs(a - reference.actions[i])));
    expect(worst, `page ${r.actions.map((a) => a.toFixed(4)).join(' ')}\nNode ${reference.actions.slice(0, COMPARED).map((a) => a.toFixed(4)).join(' ')}`).toBeLessThan(0.02);
    expect(Math.abs(r.ret - reference.ret), `return: page ${r.ret}, Node ${reference.ret}`).toBeLessThan(2);
  }, 180_000);
});
