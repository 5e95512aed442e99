/**
 * @twist/rssm/node: world-model checkpoints on disk (Node). Everything else, training included, is in the
 * browser-safe main entry (src/index.ts).
 */
export { saveWorldModel, loadWorldModel, saveWorldModelTrainer, loadWorldModelTrainer, readCheckpointConfig } from './checkpoint.js';
