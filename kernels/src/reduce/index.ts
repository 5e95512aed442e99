// Public exports of the reduce kernel family (re-exported by src/index.ts).
export { sum, mean, max, min, sumTo, addSumTo } from './reduce.js';
export { softmax, logSoftmax, softmaxGrad, logSoftmaxGrad } from './softmax.js';
