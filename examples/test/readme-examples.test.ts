/**
 * Every program block of every package README runs: each is written to examples/.readme/ (so that @twist/*
 * resolves to the workspace's sources) and run with Node in a fresh working directory, as a user would run it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { programBlocks } from './readme.js';
import { describeRun, ROOT, runNode } from './run.js';

const READMES = ['kernels/README.md', ...readdirSync(join(ROOT, 'packages')).map((p) => `packages/${p}/README.md`)].filter((f) => {
  try {
    return programBlocks(join(ROOT, f)).length >= 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
});
const OUT = join(ROOT, 'examples', '.readme');
const work: string[] = [];
afterAll(() => {
  for (const d of work) rmSync(d, { recursive: true, force: true });
});

describe('README examples run', () => {
  for (const readme of READMES) {
    const blocks = programBlocks(join(ROOT, readme));
    for (const b of blocks) {
      const name = `${readme}:${b.line}`;
      if (b.notRun) {
        it.skip(`${name} (not run: ${b.notRun})`, () => {});
        continue;
      }
      it(name, async () => {
        mkdirSync(OUT, { recursive: true });
        const file = join(OUT, `${readme.replace(/[/.]/g, '-')}-${b.line}.${b.lang === 'ts' || b.lang === 'typescript' ? 'ts' : 'mjs'}`);
        writeFileSync(file, `// Extracted from ${readme} line ${b.line} by examples/test/readme-examples.test.ts; do not edit.\n${b.code}`);
        const cwd = mkdtempSync(join(tmpdir(), 'twist-readme-'));
        work.push(cwd);
        const r = await runNode(file, { cwd, timeoutMs: 240_000 });
        expect(r.code, describeRun(relative(ROOT, file), r)).toBe(0);
      });
    }
  }

  it('each package README has a program block that runs, and every block not run says why', () => {
    for (const readme of READMES) {
      const blocks = programBlocks(join(ROOT, readme));
      expect(blocks.filter((b) => !b.notRun).length, `${readme} has no program block that runs`).toBeGreaterThan(0);
    }
  });
});
