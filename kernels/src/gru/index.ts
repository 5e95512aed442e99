// Public exports of the gru kernel family (re-exported by src/index.ts).
export {};
