/**
 * @twist/autograd/node: what needs Node's file system. Atomic, checksummed checkpoint directories and
 * safetensors files; the rest of the package (src/index.ts) loads in a browser as well.
 */
export { saveSafetensors, loadSafetensors, writeFileAtomic } from './checkpoint/safetensors.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo, hasCheckpoint, type CheckpointParts } from './checkpoint/checkpoint.js';
