/**
 * @twist/rssm: DreamerV2's recurrent state-space world model, as the TWIST paper uses it: a state-input
 * teacher and an image-input student sharing one code path. Loads in browsers too (no Node imports);
 * checkpoint files are in @twist/rssm/node (src/node.ts).
 */
export {
  PRESETS,
  makeConfig,
  validateConfig,
  encoderSizes,
  decoderSizes,
  decoderKernels,
  type WorldModelConfig,
  type RSSMConfig,
  type Modality,
  type PresetName,
  type DeepPartial,
} from './config.js';
export { RSSM, checkIsFirstValues, type ObserveOptions, type ObservePath, type LatentState, type SequenceLatents, type ImaginedLatents, type Policy } from './rssm.js';
export { StateEncoder, ImageEncoder, StateDecoder, ImageDecoder, ScalarHead } from './networks.js';
export { WorldModel, readMetrics, disposeMetrics, type Batch, type WorldModelMetrics } from './world-model.js';
export { WorldModelTrainer, type WorldModelOptOptions } from './trainer.js';
