export { Rng, createRng } from './rng.js';
export {
  sampleVisualDomain,
  applyVisualDomain,
  VISUAL_DISTRIBUTIONS,
  type VisualDomain,
  type VisualSplit,
  type VisualDistribution,
  type SampleOptions,
} from './domain.js';
