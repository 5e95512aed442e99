// Public exports of the truncated-normal kernel family (re-exported by src/index.ts).
export {
  truncNormalSample,
  truncNormalSampleGrad,
  truncNormalLogProb,
  truncNormalLogProbGrad,
  truncNormalEntropy,
  truncNormalEntropyGrad,
  normalSpecial,
  type SpecialFn,
  type TruncNormalBounds,
  type TruncNormalSampleOptions,
} from './truncnorm.js';
export {
  truncNormalHeadSample,
  truncNormalHeadSampleGrad,
  truncNormalHeadEntropy,
  truncNormalHeadEntropyGrad,
  type TruncNormalHeadOptions,
} from './head.js';
