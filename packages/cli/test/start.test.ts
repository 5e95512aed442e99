import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startPipeline } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'twist-cli-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const teacher = fileURLToPath(new URL('../../../assets/teachers/oracle-cartpole-balance-quick', import.meta.url));

/** Every file under dir with its modification time (to show the committed teacher is only read). */
const stamps = (dir: string): Record<string, number> =>
  Object.fromEntries(readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe("npm start's pipeline (scripts/main.mjs) at a smoke size", () => {
  it('collects with the committed teacher, distils, and reports the four rows on the same seeds; the teacher is not written', async () => {
    const before = stamps(teacher);
    const lines: string[] = [];
    const dir = join(root, 'start');
    const r = await startPipeline({
      dir,
      teacher,
      episodes: 2,
      distilSteps: 2,
      batch: 2,
      length: 8,
      imagStarts: 4,
      evalEpisodes: 2,
      latentEpisodes: 1,
      episodeLength: 40,
      backend: 'cpu',
      log: (s) => lines.push(s),
    });
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(s).toEqual(r.summary);
    expect(s.teacher).toEqual({ run: 'runs/oracle-cb-ae', envSteps: 90_000, updates: 8600, preset: 'quick' });
    expect(s.collected.episodes).toBe(2);
    expect(s.distil.updates).toBe(2);
    expect(s.evalSeeds.length).toBe(2);
    for (const row of [s.deployedHeldout, s.teacherStateReturn, s.references.zero, s.references.random]) {
      expect(row.returns.length).toBe(2);
      expect(Number.isFinite(row.mean)).toBe(true);
    }
    expect(s.latentCheck.steps).toBe(20);
    for (const k of ['copy', 'collect', 'distil']) expect(s.seconds[k]).toBeGreaterThanOrEqual(0);
    expect(s.seconds.distilStages.updates).toBeGreaterThan(0);
    const out = lines.join('\n');
    expect(out).toMatch(/\| deployed student \(images, held-out visual domains\), after 2 distillation updates \| [-\d.]+ \+- [\d.]+ \|/);
    expect(out).toMatch(/\| teacher: Oracle on the state \(quick, 90000 env steps\) \| [\d.]+ \|/);
    expect(out).toMatch(/\| zero action \| [\d.]+ \|\n\| uniform random actions \| [\d.]+ \|/);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/# npm start: TWIST on cartpole-balance/);
    expect(existsSync(join(dir, 'distil', 'curve.png'))).toBe(true);
    expect(stamps(teacher)).toEqual(before);
  });

  it('budgeted: a probe measures the rate, then the run resumes to as many updates as fit (at least one more)', async () => {
    const lines: string[] = [];
    const dir = join(root, 'budget');
    const r = await startPipeline({
      dir, teacher, episodes: 1, distilSteps: null, budgetSeconds: 1, probeSteps: 2, maxSteps: 50, batch: 2, length: 8, imagStarts: 4,
      evalEpisodes: 1, latentEpisodes: 0, episodeLength: 40, backend: 'cpu', log: (s) => lines.push(s),
    });
    const out = lines.join('\n');
    expect(out).toMatch(/probe: 2 updates at [\d.]+ updates\/s .* -> 3 updates in all/);
    expect(out).toMatch(/resumed .* at 2 distillation updates \(checkpoint\)/);
    expect(r.summary.distil.updates).toBe(3);
    expect(r.summary.distil.budgetSeconds).toBe(1);
    expect(r.summary.latentCheck).toBeNull();
    expect(r.summary.deployedHeldout.returns.length).toBe(1);
  });
});
