// Public exports of the rng kernel family (re-exported by src/index.ts).
export {};
