// Public exports of the gru kernel family (re-exported by src/index.ts).
export { gruCell, gruCellBackward, gruCellBackwardNoWeights, type GruGradInto, type GruParams, type GruSaved } from './gru.js';
