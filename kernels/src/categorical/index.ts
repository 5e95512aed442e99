// Public exports of the categorical kernel family (re-exported by src/index.ts).
export {
  categoricalSample,
  categoricalSampleGrad,
  categoricalKL,
  categoricalKLGrad,
  categoricalEntropy,
  type CategoricalOptions,
} from './categorical.js';
