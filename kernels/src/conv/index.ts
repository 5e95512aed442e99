// Public exports of the conv kernel family (re-exported by src/index.ts).
export {};
