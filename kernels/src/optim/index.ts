// Public exports of the optim kernel family (re-exported by src/index.ts).
export {};
