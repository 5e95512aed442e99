// The run curve's panels: the loss panel shows the world-model loss of a Dreamer run and the critic loss of a SAC run.
import { describe, expect, it } from 'vitest';
import { curvePanels } from '../src/run/curve.js';

const evalRow = { kind: 'eval', envFrames: 100, mean: 5, returns: [4, 6], references: { zero: { mean: 1 }, random: { mean: 2 } } };

describe('curvePanels', () => {
  it('plots the world-model loss when the rows have it', () => {
    const p = curvePanels([{ kind: 'train', envFrames: 10, loss: 3, criticLoss: 9 }, evalRow], 'run');
    expect(p[1].title).toBe('world-model loss');
    expect(p[1].series[0].y).toEqual([3]);
    expect(p[0].series[0].y).toEqual([5]);
  });
  it('plots the critic loss of a model-free run (no world-model loss)', () => {
    const p = curvePanels([{ kind: 'train', envFrames: 10, criticLoss: 9 }, { kind: 'train', envFrames: 20, criticLoss: 7 }, evalRow], 'sac');
    expect(p[1].title).toBe('critic loss');
    expect(p[1].series[0].x).toEqual([10, 20]);
    expect(p[1].series[0].y).toEqual([9, 7]);
  });
});
