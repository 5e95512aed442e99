/** Every program in examples/ runs (from source, so no build is needed), with small sizes where it takes any. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, ROOT, runNode } from './run.js';

/** Arguments that keep a run short; an example not listed runs with none. */
const ARGS: Record<string, string[]> = { 'world-model-oscillator.mjs': ['60'] };

describe('examples/*.mjs run', () => {
  const dir = join(ROOT, 'examples');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
    it(name, async () => {
      const r = await runNode(join(dir, name), { cwd: dir, args: ARGS[name] ?? [], timeoutMs: 240_000 });
      expect(r.code, describeRun(name, r)).toBe(0);
      expect(r.stdout.trim().length, `${name} printed nothing`).toBeGreaterThan(0);
    });
  }
});
