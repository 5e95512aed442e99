// resolveDeployedDir: the one place a distillation run's path or a deployed agent's directory becomes the
// deployed agent's directory (twist collect --driver, twist distil --init, twist eval --run).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDeployedDir } from '../src/node.js';

const root = mkdtempSync(join(tmpdir(), 'twist-resolve-deployed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string, files: Record<string, string>) => {
  const d = join(root, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(d, f, '..'), { recursive: true });
    writeFileSync(join(d, f), text);
  }
  mkdirSync(d, { recursive: true });
  return d;
};

describe('resolveDeployedDir', () => {
  it("maps a distillation run to its deployed/ once its first checkpoint wrote it", () => {
    const run = dir('run', { 'run.json': JSON.stringify({ kind: 'distil' }), 'deployed/checkpoint.json': '{}' });
    expect(resolveDeployedDir(run, 'test: --x')).toBe(join(run, 'deployed'));
  });
  it('refuses a distillation run with no deployed agent yet, naming the asker and the missing directory', () => {
    const run = dir('young', { 'run.json': JSON.stringify({ kind: 'distil' }) });
    expect(() => resolveDeployedDir(run, 'twist eval: --run')).toThrow(
      new RegExp(`^twist eval: --run ${run}: the distillation run has no deployed agent yet \\(nothing in ${join(run, 'deployed')};`),
    );
    expect(() => resolveDeployedDir(run, 'x')).toThrow(expect.objectContaining({ name: 'UsageError' }));
  });
  it("takes a deployed agent's directory as it is", () => {
    const d = dir('agent', { 'checkpoint.json': '{}' });
    expect(resolveDeployedDir(d, 'x')).toBe(d);
  });
  it('refuses a directory that is neither (a training run, an empty folder, a missing path)', () => {
    const train = dir('train', { 'run.json': JSON.stringify({ kind: 'train', method: 'oracle' }) });
    for (const d of [train, dir('empty', {}), join(root, 'missing')]) {
      expect(() => resolveDeployedDir(d, 'twist collect: --driver')).toThrow(
        `twist collect: --driver ${d} is neither a distillation run nor a deployed agent's directory (no ${join(d, 'checkpoint.json')})`,
      );
    }
  });
});
